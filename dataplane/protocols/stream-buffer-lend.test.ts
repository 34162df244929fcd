import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StreamBuffer } from './stream-buffer.js';

describe('StreamBuffer.lend', () => {
  it('reads a chunk in place while nothing is pending, and keep() copies what was left', () => {
    const source = Buffer.from('xxabcdefyy');
    const buffer = new StreamBuffer(16);
    buffer.lend(source, 2, 8, 5n);
    assert.equal(buffer.storage, source);
    assert.deepEqual([buffer.storageStart, buffer.storageEnd], [2, 8]);
    buffer.consume(4);
    buffer.keep();
    source.fill(0x2e);
    assert.equal(buffer.bytes().toString(), 'ef');
    assert.notEqual(buffer.storage, source);
    assert.equal(buffer.timestampAt(1), 5n);
  });

  it('copies a chunk lent behind pending bytes, keeping the timestamp of each', () => {
    const buffer = new StreamBuffer(16);
    buffer.append(Buffer.from('ab'), 1n);
    const source = Buffer.from('cd');
    buffer.lend(source, 0, 2, 2n);
    source.fill(0x2e);
    assert.equal(buffer.bytes().toString(), 'abcd');
    assert.deepEqual([0, 1, 2, 3].map((offset) => buffer.timestampAt(offset)), [1n, 1n, 2n, 2n]);
  });

  it('forgets the lent source once every byte is consumed, and refuses chunks past capacity', () => {
    const source = Buffer.from('abc');
    const buffer = new StreamBuffer(3);
    buffer.lend(source, 0, 3, 1n);
    assert.equal(buffer.clear(), 3);
    assert.notEqual(buffer.storage, source);
    assert.throws(() => buffer.lend(Buffer.from('abcd'), 0, 4, 2n), RangeError);
  });
});
