import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatHostPort, HostPortError, parseHostPort } from './host-port.js';

describe('HOST:PORT', () => {
  it('parses names, IPv4 and bracketed IPv6 hosts, ports 0 to 65535', () => {
    assert.deepEqual(parseHostPort('127.0.0.1:12345'), { host: '127.0.0.1', port: 12345 });
    assert.deepEqual(parseHostPort('node-1.example:0'), { host: 'node-1.example', port: 0 });
    assert.deepEqual(parseHostPort(' [::1]:65535 '), { host: '::1', port: 65535 });
    assert.deepEqual(parseHostPort('[::ffff:10.0.0.1]:80'), { host: '::ffff:10.0.0.1', port: 80 });
  });

  it('says what is wrong', () => {
    for (const bad of ['', ':80', '127.0.0.1', '127.0.0.1:', '::1:80', 'a:b', 'a:123456', 'a:65536', 'a b:1', 'a:-1']) {
      assert.throws(() => parseHostPort(bad), (e: unknown) => e instanceof HostPortError && e.message === 'not HOST:PORT', bad);
    }
    assert.throws(() => parseHostPort('[1:2:3]:80'), /\[1:2:3\] is not an IPv6 address/);
    assert.throws(() => parseHostPort('[nothost]:80'), /not HOST:PORT/);
  });

  it('an empty host means what the caller says (the operator: every interface)', () => {
    assert.deepEqual(parseHostPort(':8081', { emptyHost: '0.0.0.0' }), { host: '0.0.0.0', port: 8081 });
    assert.throws(() => parseHostPort(':8081'), HostPortError);
  });

  it('formats IPv6 hosts in brackets, so the text parses back', () => {
    for (const hp of [{ host: '::1', port: 80 }, { host: '10.0.0.1', port: 80 }, { host: 'pem.loupe.svc', port: 12345 }]) {
      assert.deepEqual(parseHostPort(formatHostPort(hp)), hp);
    }
    assert.equal(formatHostPort({ host: '::1', port: 80 }), '[::1]:80');
  });
});
