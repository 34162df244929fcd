import test from 'node:test';
import assert from 'node:assert/strict';
import { UdfContext } from './context.js';
import { cells, k, run, v } from './test-support.js';

const q = '{"p01":1,"p10":2,"p25":3,"p50":4.5,"p75":6,"p90":7,"p99":9}';

test('pluck, pluck_int64, pluck_float64 read a key; missing or bad JSON gives "", 0, NaN', () => {
  const col = v('string', q, 'not json', '{"p50":"12"}', '[1,2]');
  assert.deepEqual(cells('pluck_float64', col, k('string', 'p50')), [4.5, NaN, 12, NaN]);
  assert.deepEqual(cells('pluck_int64', col, k('string', 'p50')), [4n, 0n, 12n, 0n]);
  assert.deepEqual(cells('pluck', col, k('string', 'p50')), ['4.5', '', '12', '']);
  assert.deepEqual(cells('pluck', k('string', '{"h":{"a":1},"s":"x","n":null}'), k('string', 'h')), ['{"a":1}']);
  assert.deepEqual(cells('pluck', k('string', '{"s":"x","n":null}'), k('string', 's')), ['x']);
  assert.deepEqual(cells('pluck', k('string', '{"s":"x","n":null}'), k('string', 'n')), ['']);
  assert.deepEqual(cells('pluck', k('string', '{"__proto__":1}'), k('string', 'toString')), ['']);
});

test('pluck_array reads an element by index', () => {
  assert.deepEqual(cells('pluck_array', v('string', '["a",{"b":1},3]', '[]', 'x'), k('int64', 1n)), ['{"b":1}', '', '']);
  assert.deepEqual(cells('pluck_array', k('string', '["a","b"]'), v('int64', 0n, 1n, 2n, -1n)), ['a', 'b', '', '']);
});

test('each distinct JSON text is parsed once per query, across keys', () => {
  const ctx = new UdfContext();
  const col = v('string', q, q, q);
  const parse = JSON.parse;
  let parses = 0;
  JSON.parse = ((text: string) => (parses++, parse(text))) as typeof JSON.parse;
  try {
    for (const key of ['p01', 'p50', 'p99']) run('pluck_float64', [col, k('string', key)], ctx);
  } finally {
    JSON.parse = parse;
  }
  assert.equal(parses, 1);
});

test('script_reference builds the JSON a console renders as a link', () => {
  const r = cells('script_reference', v('string', 'pod-a', 'pod-b'), k('string', 'px/pod'), k('string', 'pod'), v('string', 'ns/pod-a', 'ns/pod-b'));
  assert.deepEqual(JSON.parse(r[0] as string), { label: 'pod-a', script: 'px/pod', args: { pod: 'ns/pod-a' } });
  assert.deepEqual(JSON.parse(r[1] as string), { label: 'pod-b', script: 'px/pod', args: { pod: 'ns/pod-b' } });
  assert.deepEqual(JSON.parse(cells('script_reference', k('string', 'x'), k('string', 'px/cluster'))[0] as string), { label: 'x', script: 'px/cluster', args: {} });
});

test('has_service_name reads one name or a JSON list', () => {
  assert.deepEqual(cells('has_service_name', v('string', 'ns/a', '["ns/a","ns/b"]', '["ns/c"]', ''), k('string', 'ns/a')), [true, true, false, false]);
});
