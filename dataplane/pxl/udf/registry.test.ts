import test from 'node:test';
import assert from 'node:assert/strict';
import { AGGREGATE_FUNCTIONS, SCALAR_FUNCTIONS } from './signatures.js';
import { AGGREGATE_IMPLS, SCALAR_IMPLS, scalarImpl } from './registry.js';

const key = (args: readonly string[], variadic?: boolean) => `${args.join(',')}${variadic ? '...' : ''}`;

test('every scalar signature has exactly one implementation with the same result type, and vice versa', () => {
  for (const [name, sigs] of Object.entries(SCALAR_FUNCTIONS)) {
    const impls = SCALAR_IMPLS[name];
    assert.ok(impls, `no implementation of ${name}`);
    for (const s of sigs) {
      const matching = impls.filter((i) => key(i.args, i.variadic) === key(s.args, s.variadic));
      assert.equal(matching.length, 1, `${name}(${key(s.args, s.variadic)}): ${matching.length} implementations`);
      assert.equal(matching[0]!.returns, s.returns, `${name}(${key(s.args)}) returns ${matching[0]!.returns}, signature says ${s.returns}`);
    }
    for (const i of impls) {
      assert.ok(
        sigs.some((s) => key(s.args, s.variadic) === key(i.args, i.variadic)),
        `${name}(${key(i.args, i.variadic)}) is implemented but has no signature`,
      );
    }
  }
  for (const name of Object.keys(SCALAR_IMPLS)) assert.ok(SCALAR_FUNCTIONS[name], `${name} is implemented but not in signatures.ts`);
});

test('every aggregate signature has an implementation with the same result type, and vice versa', () => {
  for (const [name, sigs] of Object.entries(AGGREGATE_FUNCTIONS)) {
    const impls = AGGREGATE_IMPLS[name];
    assert.ok(impls, `no implementation of aggregate ${name}`);
    assert.deepEqual(
      impls.map((i) => `${i.arg}->${i.returns}`).sort(),
      sigs.map((s) => `${s.arg}->${s.returns}`).sort(),
      `aggregate ${name}`,
    );
  }
  for (const name of Object.keys(AGGREGATE_IMPLS)) assert.ok(AGGREGATE_FUNCTIONS[name], `aggregate ${name} is implemented but not in signatures.ts`);
});

test('lookup resolves by argument types, variadic included', () => {
  assert.equal(scalarImpl('add', ['int64', 'float64'])?.returns, 'float64');
  assert.equal(scalarImpl('add', ['boolean', 'boolean']), undefined);
  assert.ok(scalarImpl('script_reference', ['string', 'string']));
  assert.ok(scalarImpl('script_reference', ['string', 'string', 'string', 'string', 'string', 'string']));
  assert.equal(scalarImpl('nope', []), undefined);
});
