import test from 'node:test';
import assert from 'node:assert/strict';
import { UdfError } from './context.js';
import { cells, k, run, v } from './test-support.js';

test('bin floors to a multiple of the width, negative times included', () => {
  assert.deepEqual(cells('bin', v('time64ns', 0n, 999n, 1000n, 1999n, -1n, -1000n, -1001n), k('int64', 1000n)), [0n, 0n, 1000n, 1000n, -1000n, -1000n, -2000n]);
  assert.deepEqual(cells('bin', v('int64', 17n, 17n), v('int64', 5n, 0n)), [15n, 17n]);
  assert.equal(run('bin', [v('time64ns', 5n), k('int64', 2n)]).value.type, 'time64ns');
});

test('parse_duration reads Pixie duration text; other text is an error that says what to write', () => {
  assert.deepEqual(cells('parse_duration', v('string', '-5m', '30s', '1h30m', '250ms', '1.5s', '10us', '7ns', '2d')), [
    -300_000_000_000n,
    30_000_000_000n,
    5_400_000_000_000n,
    250_000_000n,
    1_500_000_000n,
    10_000n,
    7n,
    172_800_000_000_000n,
  ]);
  assert.throws(() => cells('parse_duration', k('string', '5 minutes')), (e: unknown) => e instanceof UdfError && /not a duration; write it like -5m/.test(e.message));
});

test('parse_time reads RFC 3339 with nanoseconds and offsets', () => {
  assert.deepEqual(cells('parse_time', v('string', '1970-01-01T00:00:01Z', '2024-05-01T12:00:00.123456789Z', '1970-01-01T01:00:00+01:00', '1970-01-02')), [
    1_000_000_000n,
    1714564800123456789n,
    0n,
    86_400_000_000_000n,
  ]);
  assert.throws(() => cells('parse_time', k('string', 'yesterday')), UdfError);
});

test('conversions', () => {
  assert.deepEqual(cells('int64_to_string', v('int64', 200n, -5n, 200n)), ['200', '-5', '200']);
  assert.deepEqual(cells('float64_to_string', v('float64', 1.5)), ['1.5']);
  assert.deepEqual(cells('int64_to_float64', v('int64', 3n, -9007199254740993n)), [3, -9007199254740992]);
  assert.deepEqual(cells('time_to_int64', v('time64ns', 5n)), [5n]);
  assert.equal(run('int64_to_time', [v('int64', 5n)]).value.type, 'time64ns');
  assert.deepEqual(cells('atoi', v('string', '42', ' -7 ', '4.2', 'x', '')), [42n, -7n, 0n, 0n, 0n]);
  assert.deepEqual(cells('atof', v('string', '4.25', '-1e3', '.5', 'inf', 'x', '')), [4.25, -1000, 0.5, Infinity, NaN, NaN]);
});
