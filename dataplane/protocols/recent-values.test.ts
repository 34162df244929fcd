import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RecentValues } from './recent-values.js';

describe('RecentValues', () => {
  it('computes a value once per key while the key stays among the most recent, and forgets the least recent', () => {
    const computed: string[] = [];
    const recent = new RecentValues<{ name: string }, string>(2, (key) => {
      computed.push(key.name);
      return key.name.toUpperCase();
    });
    const [a, b, c] = [{ name: 'a' }, { name: 'b' }, { name: 'c' }];
    assert.deepEqual([a, b, a, b, c, a, c].map((key) => recent.get(key)), ['A', 'B', 'A', 'B', 'C', 'A', 'C']);
    // c evicted a (least recent after b, c), a evicted b; c stayed.
    assert.deepEqual(computed, ['a', 'b', 'c', 'a']);
  });
});
