import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StreamBuffer } from './stream-buffer.js';

describe('StreamBuffer', () => {
  it('keeps appended bytes in order and the timestamp of the chunk each byte came in', () => {
    const buffer = new StreamBuffer(100);
    buffer.append(Buffer.from('abc'), 10n);
    buffer.append(Buffer.from('de'), 20n);
    buffer.append(Buffer.from('f'), 30n);
    assert.equal(buffer.bytes().toString(), 'abcdef');
    assert.deepEqual(
      [0, 1, 2, 3, 4, 5].map((offset) => buffer.timestampAt(offset)),
      [10n, 10n, 10n, 20n, 20n, 30n],
    );
    buffer.consume(4);
    assert.equal(buffer.bytes().toString(), 'ef');
    assert.deepEqual([buffer.timestampAt(0), buffer.timestampAt(1)], [20n, 30n]);
  });

  it('refuses to grow past its capacity and reports what is free', () => {
    const buffer = new StreamBuffer(8);
    buffer.append(Buffer.from('12345'), 1n);
    assert.equal(buffer.free, 3);
    assert.throws(() => buffer.append(Buffer.from('6789'), 2n), RangeError);
    assert.equal(buffer.clear(), 5);
    assert.equal(buffer.length, 0);
    buffer.append(Buffer.from('abcdefgh'), 3n);
    assert.equal(buffer.bytes().toString(), 'abcdefgh');
  });

  it('reuses its storage across many small appends and consumes', () => {
    const buffer = new StreamBuffer(1024);
    let expected = '';
    for (let i = 0; i < 5000; i++) {
      const piece = String(i % 10);
      buffer.append(Buffer.from(piece), BigInt(i));
      expected += piece;
      if (i % 3 === 0) {
        buffer.consume(1);
        expected = expected.slice(1);
      }
      if (buffer.free === 0) {
        buffer.clear();
        expected = '';
      }
    }
    assert.equal(buffer.bytes().toString(), expected);
    assert.equal(buffer.timestampAt(buffer.length - 1), 4999n);
  });

  it('rejects offsets and counts outside the pending bytes', () => {
    const buffer = new StreamBuffer(16);
    buffer.append(Buffer.from('ab'), 1n);
    assert.throws(() => buffer.timestampAt(2), RangeError);
    assert.throws(() => buffer.consume(3), RangeError);
    assert.throws(() => new StreamBuffer(0), RangeError);
  });
});
