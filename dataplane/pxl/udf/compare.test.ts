import test from 'node:test';
import assert from 'node:assert/strict';
import { cells, k, run, v } from './test-support.js';
import { UdfContext } from './context.js';

test('comparisons of int64 with int64, float64 and time', () => {
  assert.deepEqual(cells('lessThan', v('int64', 1n, 5n, 9n), k('int64', 5n)), [true, false, false]);
  assert.deepEqual(cells('greaterThanEqual', v('int64', 1n, 5n, 9n), k('int64', 5n)), [false, true, true]);
  assert.deepEqual(cells('equal', v('time64ns', 5n, 6n), k('int64', 5n)), [true, false]);
  assert.deepEqual(cells('notEqual', v('time64ns', 5n, 6n), v('time64ns', 5n, 7n)), [false, true]);
});

test('int64 against float64 compares numeric values exactly', () => {
  assert.deepEqual(cells('lessThan', v('int64', 1n, 2n), k('float64', 1.5)), [true, false]);
  assert.deepEqual(cells('equal', v('int64', 3n), k('float64', 3)), [true]);
  // 2^53 + 1 is not the double 2^53, though Number() of it is.
  assert.deepEqual(cells('equal', v('int64', 9007199254740993n), k('float64', 9007199254740992)), [false]);
  assert.deepEqual(cells('greaterThan', v('int64', 9007199254740993n), k('float64', 9007199254740992)), [true]);
  assert.deepEqual(cells('greaterThan', k('float64', 2.5), v('int64', 2n, 3n)), [true, false]);
  assert.deepEqual(cells('notEqual', v('int64', 1n), k('float64', NaN)), [true]);
  assert.deepEqual(cells('lessThan', v('int64', 1n), k('float64', Infinity)), [true]);
});

test('float comparisons', () => {
  assert.deepEqual(cells('lessThanEqual', v('float64', 1, 2, NaN), k('float64', 2)), [true, true, false]);
});

test('strings compare by code units; a constant side is compared once per dictionary entry', () => {
  const col = v('string', 'b', 'a', 'c', 'b');
  assert.deepEqual(cells('equal', col, k('string', 'b')), [true, false, false, true]);
  assert.deepEqual(cells('lessThan', col, k('string', 'b')), [false, true, false, false]);
  assert.deepEqual(cells('greaterThan', k('string', 'b'), col), [false, true, false, false]);
  assert.deepEqual(cells('equal', col, v('string', 'b', 'x', 'c', 'a')), [true, false, true, false]);
  assert.deepEqual(cells('equal', v('uint128', '1:2'), k('uint128', '1:2')), [true]);
  let calls = 0;
  const ctx = new UdfContext();
  const big = { type: 'string' as const, codes: new Uint32Array(1000).map((_, i) => i % 2), dict: ['x', 'y'] };
  const spy = ctx.entries.bind(ctx);
  ctx.entries = (a, n, key, f) => spy(a, n, key, (s) => (calls++, f(s)));
  run('equal', [big, k('string', 'y')], ctx);
  assert.equal(calls, 2);
});

test('a dictionary with repeated entries still compares by value', () => {
  const col = { type: 'string' as const, codes: Uint32Array.of(0, 1), dict: ['a', 'a'] };
  assert.deepEqual(cells('equal', col, col), [true, true]);
  assert.deepEqual(cells('equal', col, { type: 'string' as const, codes: Uint32Array.of(1, 0), dict: ['a', 'a'] }), [true, true]);
});

test('boolean logic and equality', () => {
  const a = v('boolean', true, true, false, false);
  const b = v('boolean', true, false, true, false);
  assert.deepEqual(cells('logicalAnd', a, b), [true, false, false, false]);
  assert.deepEqual(cells('logicalOr', a, b), [true, true, true, false]);
  assert.deepEqual(cells('logicalNot', a), [false, false, true, true]);
  assert.deepEqual(cells('invert', k('boolean', true)), [false]);
  assert.deepEqual(cells('equal', a, b), [true, false, false, true]);
});

test('select picks per row, for every type', () => {
  const cond = v('boolean', true, false, true);
  assert.deepEqual(cells('select', cond, v('int64', 1n, 2n, 3n), k('int64', 0n)), [1n, 0n, 3n]);
  assert.deepEqual(cells('select', cond, k('float64', 1.5), v('float64', 7, 8, 9)), [1.5, 8, 1.5]);
  assert.deepEqual(cells('select', cond, v('string', 'a', 'b', 'c'), v('string', 'x', 'y', 'z')), ['a', 'y', 'c']);
  assert.deepEqual(cells('select', cond, k('string', 'yes'), k('string', 'no')), ['yes', 'no', 'yes']);
  assert.deepEqual(cells('select', cond, v('boolean', false, false, false), k('boolean', true)), [false, true, false]);
  assert.deepEqual(cells('select', k('boolean', false), k('time64ns', 1n), k('time64ns', 2n)), [2n]);
  assert.deepEqual(cells('select', cond, k('uint128', 'u1'), v('uint128', 'a', 'b', 'c')), ['u1', 'b', 'u1']);
});
