import test from 'node:test';
import assert from 'node:assert/strict';
import { UdfContext, UdfError } from './context.js';
import { cells, k, run, v } from './test-support.js';

const paths = () => v('string', '/api/users', '/healthz', '/api/orders', '/api/users');

test('contains over a dictionary column gives one boolean per entry, gathered by code', () => {
  const ctx = new UdfContext();
  let evaluated = 0;
  const col = paths();
  const spy = ctx.entries.bind(ctx);
  ctx.entries = ((a, n, key, f) => spy(a, n, key, (s: string) => (evaluated++, f(s)))) as typeof ctx.entries;
  assert.deepEqual(run('contains', [col, k('string', '/api')], ctx).cells, [true, false, true, true]);
  assert.equal(evaluated, 3); // three distinct entries for four rows
  // The same dictionary again in this query: cached, no more evaluations.
  run('contains', [col, k('string', '/api')], ctx);
  assert.equal(evaluated, 3);
});

test('string functions that return strings keep the input codes', () => {
  const col = paths();
  const r = run('toupper', [col]);
  assert.deepEqual(r.cells, ['/API/USERS', '/HEALTHZ', '/API/ORDERS', '/API/USERS']);
  assert.equal((r.value as { codes: Uint32Array }).codes, (col as { codes: Uint32Array }).codes);
});

test('find, substring, length, trim, case, strip_prefix, split', () => {
  assert.deepEqual(cells('find', v('string', 'abcabc', 'x'), k('string', 'c')), [2n, -1n]);
  assert.deepEqual(cells('substring', k('string', 'checkout'), k('int64', 1n), k('int64', 5n)), ['hecko']);
  assert.deepEqual(cells('substring', v('string', 'abc', 'abc', 'abc'), v('int64', 1n, 5n, 2n), k('int64', 10n)), ['bc', '', 'c']);
  assert.deepEqual(cells('length', v('string', '', 'abc')), [0n, 3n]);
  assert.deepEqual(cells('trim', v('string', '  a b  ')), ['a b']);
  assert.deepEqual(cells('tolower', v('string', 'AbC')), ['abc']);
  assert.deepEqual(cells('strip_prefix', k('string', 'pl/'), v('string', 'pl/kelvin', 'other')), ['kelvin', 'other']);
  assert.deepEqual(cells('split', v('string', 'a,b,,c'), k('string', ',')), ['["a","b","","c"]']);
});

test('regex_match matches the whole string; replace rewrites every match with \\1 groups', () => {
  assert.deepEqual(cells('regex_match', k('string', '/api/.*'), paths()), [true, false, true, true]);
  assert.deepEqual(cells('regex_match', k('string', 'api'), k('string', '/api/x')), [false]);
  assert.deepEqual(cells('regex_match', k('string', '(?i)HEALTH.*'), k('string', 'healthz')), [true]);
  assert.deepEqual(cells('regex_match', k('string', '(?P<id>\\d+)'), v('string', '42', 'x')), [true, false]);
  assert.deepEqual(cells('replace', k('string', '/users/(\\d+)'), v('string', '/users/1/x/users/22'), k('string', '/users/<\\1>')), ['/users/<1>/x/users/<22>']);
  assert.deepEqual(cells('replace', k('string', '[0-9]+'), k('string', 'a1b22'), k('string', '$')), ['a$b$']);
});

test('each pattern is compiled once per query', () => {
  const ctx = new UdfContext();
  const a = ctx.regex('a+b', 'whole');
  assert.equal(ctx.regex('a+b', 'whole'), a);
  assert.notEqual(ctx.regex('a+b', 'global'), a);
});

test('patterns that can take exponential time, or are too long, are rejected with a reason', () => {
  const reject = (pattern: string, re: RegExp) =>
    assert.throws(
      () => cells('regex_match', k('string', pattern), k('string', 'aaaa')),
      (e: unknown) => e instanceof UdfError && e.code === 'rejected_pattern' && re.test(e.message),
    );
  reject('(a+)+$', /repeats a group that itself repeats/);
  reject('(.*a){2,}', /repeats a group/);
  reject('(x|y*)*', /repeats a group/);
  reject('a'.repeat(1001), /limit is 1000/);
  reject('(a)\\1', /backreference/);
  reject('a(?=b)', /lookaround/);
  assert.throws(() => cells('regex_match', k('string', '(unclosed'), k('string', 'x')), (e: unknown) => e instanceof UdfError && e.code === 'bad_argument');
  // Bounded repetition of a repeating group, and plain alternation, are fine.
  assert.deepEqual(cells('regex_match', k('string', '(\\d+\\.){3}\\d+'), k('string', '10.0.0.1')), [true]);
  assert.deepEqual(cells('regex_match', k('string', '(GET|POST)+'), k('string', 'GETPOST')), [true]);
});
