import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCmdline } from './cmdline.js';

describe('cmdline', () => {
  it('joins NUL-separated arguments with spaces and drops the trailing NUL', () => {
    assert.equal(parseCmdline(Buffer.from('/usr/bin/node\0--enable-source-maps\0server.js\0')), '/usr/bin/node --enable-source-maps server.js');
  });

  it('keeps a process-rewritten title (spaces, no NUL) and an empty file as is', () => {
    assert.equal(parseCmdline('nginx: master process /usr/sbin/nginx'), 'nginx: master process /usr/sbin/nginx');
    assert.equal(parseCmdline(Buffer.alloc(0)), '');
  });

  it('keeps empty arguments as double spaces', () => {
    assert.equal(parseCmdline('sh\0-c\0\0echo\0'), 'sh -c  echo');
  });
});
