import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  checkReplyVersion, decodeEvent, decodeListReply, decodeListRequest, decodeWatchReply, decodeWatchRequest, encodeMessage, parseResourceVersion,
  publishedVersions, versionRefusal, WireError,
} from './wire.js';

describe('the metadata service wire contract', () => {
  it('reads what each side writes: requests, replies, events', () => {
    assert.deepEqual(decodeListRequest(encodeMessage({ protocolVersion: 1, limit: 500, continue: '0:500' })), { protocolVersion: 1, limit: 500, continue: '0:500' });
    assert.deepEqual(decodeWatchRequest(encodeMessage({ protocolVersion: 1, resourceVersion: 'abc.7' })), { protocolVersion: 1, resourceVersion: 'abc.7' });
    const list = decodeListReply(encodeMessage({ protocolVersion: 1, resourceVersion: 'abc.7', items: [{ metadata: { uid: 'u' } }], continue: '0:1' }));
    assert.deepEqual(list, { ok: true, reply: { protocolVersion: 1, resourceVersion: 'abc.7', items: [{ metadata: { uid: 'u' } }], continue: '0:1' } });
    assert.deepEqual(decodeListReply(encodeMessage({ protocolVersion: 1, error: { code: 410, message: 'list again' } })), { ok: false, error: { code: 410, message: 'list again' } });
    const watch = decodeWatchReply(encodeMessage({ protocolVersion: 1, resourceVersion: 'abc.8', events: [{ protocolVersion: 1, resourceVersion: 'abc.8', type: 'DELETED', object: { metadata: {} } }] }));
    assert.equal(watch.ok && watch.reply.events[0]!.type, 'DELETED');
    assert.deepEqual(decodeEvent(encodeMessage({ protocolVersion: 1, resourceVersion: 'abc.9', type: 'BOOKMARK' })), { protocolVersion: 1, resourceVersion: 'abc.9', type: 'BOOKMARK' });
  });

  it('refuses malformed messages saying what is wrong', () => {
    assert.throws(() => decodeListRequest(new TextEncoder().encode('{')), (e: Error) => e instanceof WireError && /list request: not JSON/.test(e.message));
    assert.throws(() => decodeListRequest(encodeMessage({ protocolVersion: 1, limit: -1 })), /limit must be an integer >= 0, got -1/);
    assert.throws(() => decodeWatchRequest(encodeMessage({ resourceVersion: 'a.1' })), /protocolVersion must be an integer >= 1, got no protocol version/);
    assert.throws(() => decodeEvent(encodeMessage({ protocolVersion: 1, resourceVersion: 'a.1', type: 'ADDED' })), /an event of type ADDED needs an object/);
    assert.throws(() => decodeEvent(encodeMessage({ protocolVersion: 1, resourceVersion: '17', type: 'BOOKMARK' })), /resourceVersion "17" is not EPOCH\.SEQ/);
    assert.throws(() => decodeListReply(encodeMessage({ protocolVersion: 1, error: { code: 500, message: 'x' } })), /needs a code \(400, 410, 503, 505\)/);
  });

  it('tells its versions from the API server\'s', () => {
    assert.deepEqual(parseResourceVersion('lz3k9a.42'), { epoch: 'lz3k9a', seq: 42 });
    assert.equal(parseResourceVersion('48213'), undefined);
    assert.equal(parseResourceVersion('a.b'), undefined);
  });

  it('N talks N-1: a build publishes in both, refuses two apart with both sides\' versions', () => {
    assert.deepEqual(publishedVersions({ version: 1 }), [1]);
    assert.deepEqual(publishedVersions({ version: 3 }), [2, 3]);
    assert.doesNotThrow(() => checkReplyVersion({ version: 3 }, 2, 'list reply'));
    assert.throws(() => checkReplyVersion({ version: 3 }, 1, 'list reply'), /the metadata service's list reply speaks protocol version 1; this agent supports protocol versions 2 and 3/);
    const refusal = versionRefusal({ version: 2 }, 4);
    assert.equal(refusal.error.code, 505);
    assert.equal(refusal.protocolVersion, 2);
    assert.match(refusal.error.message, /speaks protocol version 4; this metadata service supports protocol versions 1 and 2: upgrade the metadata service before the agents/);
  });
});
