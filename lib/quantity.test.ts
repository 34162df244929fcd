import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compareQuantities, formatBytes, parseQuantity, QuantityError, quantitiesEqual } from './quantity.js';

describe('parseQuantity', () => {
  const cases: [string | number, number][] = [
    ['1', 1],
    [2, 2],
    ['500m', 0.5],
    ['1.5', 1.5],
    ['.5', 0.5],
    ['128974848', 128974848],
    ['129e6', 129e6],
    ['129M', 129e6],
    ['123Mi', 123 * 2 ** 20],
    ['1.5Gi', 1.5 * 2 ** 30],
    ['2Ki', 2048],
    ['1k', 1000],
    ['1E', 1e18],
    ['1E3', 1000],
    ['-1', -1],
    ['100n', 100e-9],
  ];
  for (const [input, want] of cases) {
    it(`reads ${JSON.stringify(input)} as ${want}`, () => {
      assert.equal(parseQuantity(input), want);
    });
  }

  it('rejects malformed quantities with an error naming the input', () => {
    for (const bad of ['', 'abc', '1 Gi', '1gi', '1KiB', 'Gi', '1e', '--1']) {
      assert.throws(() => parseQuantity(bad), (err: unknown) => err instanceof QuantityError && err.message.includes(`"${bad}"`));
    }
  });
});

describe('quantitiesEqual', () => {
  it('treats different spellings of one amount as equal', () => {
    assert.ok(quantitiesEqual('1', 1));
    assert.ok(quantitiesEqual('1000m', '1'));
    assert.ok(quantitiesEqual('1024Mi', '1Gi'));
    assert.ok(quantitiesEqual('100m', '0.1'));
    assert.ok(quantitiesEqual('1k', '1e3'));
  });

  it('tells different amounts and non-quantities apart', () => {
    assert.ok(!quantitiesEqual('1G', '1Gi'));
    assert.ok(!quantitiesEqual('999m', '1'));
    assert.ok(!quantitiesEqual('x', 'x'));
  });
});

describe('compareQuantities', () => {
  it('orders amounts, not spellings', () => {
    assert.equal(compareQuantities('4Gi', '2Gi'), 1);
    assert.equal(compareQuantities('1Gi', '1024Mi'), 0);
    assert.equal(compareQuantities('1G', '1Gi'), -1);
    assert.equal(compareQuantities('500m', '0.5'), 0);
    assert.equal(compareQuantities('-1', '0'), -1);
  });

  it('rounds up to a whole nano unit and caps binary amounts at 2^63-1, as Kubernetes keeps them', () => {
    assert.equal(compareQuantities('0.0000000002', '0.0000000001'), 0, 'both are kept as 1n');
    assert.equal(compareQuantities('0.0000000011', '2n'), 0);
    assert.equal(compareQuantities('16Ei', '9Ei'), 0, 'both capped');
    assert.equal(compareQuantities('16E', '9E'), 1, 'decimal amounts are not capped');
  });

  it('throws QuantityError naming a malformed side', () => {
    assert.throws(() => compareQuantities('1Gi', '2 GB'), (err: unknown) => err instanceof QuantityError && err.message.includes('"2 GB"'));
  });
});

describe('formatBytes', () => {
  it('uses the largest binary suffix that divides exactly', () => {
    assert.equal(formatBytes(2 * 2 ** 30), '2Gi');
    assert.equal(formatBytes(1536 * 2 ** 20), '1536Mi');
    assert.equal(formatBytes(4096), '4Ki');
    assert.equal(formatBytes(1000), '1000');
    assert.equal(formatBytes(0), '0');
  });

  it('round-trips through parseQuantity', () => {
    for (const bytes of [1, 1023, 2 ** 20, 3 * 2 ** 40, 512 * 2 ** 20 + 1]) {
      assert.equal(parseQuantity(formatBytes(bytes)), bytes);
    }
  });
});
