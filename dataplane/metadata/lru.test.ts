import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LruMap } from './lru.js';

describe('LruMap', () => {
  it('evicts the least recently used entry beyond capacity; a get counts as a use', () => {
    const m = new LruMap<string, number>(2);
    m.set('a', 1);
    m.set('b', 2);
    assert.equal(m.get('a'), 1);
    m.set('c', 3);
    assert.equal(m.get('b'), undefined);
    assert.equal(m.get('a'), 1);
    assert.equal(m.get('c'), 3);
    assert.equal(m.size, 2);
  });

  it('replacing a value refreshes it instead of growing', () => {
    const m = new LruMap<string, number>(2);
    m.set('a', 1);
    m.set('b', 2);
    m.set('a', 10);
    m.set('c', 3);
    assert.equal(m.get('a'), 10);
    assert.equal(m.get('b'), undefined);
    assert.equal(m.delete('a'), true);
    assert.equal(m.size, 1);
  });

  it('refuses a capacity below one', () => {
    assert.throws(() => new LruMap(0), RangeError);
    assert.throws(() => new LruMap(1.5), RangeError);
  });
});
