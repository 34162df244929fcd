import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { formatDurationMs, formatDurationNs, MANIFEST_DURATION_PATTERN, parseDurationMs, parseDurationNs } from './duration.js';

const S = 1_000_000_000n;

describe('the duration grammar', () => {
  it('reads signs, fractions, compound terms and every unit', () => {
    assert.equal(parseDurationNs('-5m'), -300n * S);
    assert.equal(parseDurationNs('30s'), 30n * S);
    assert.equal(parseDurationNs('+1h30m'), 5400n * S);
    assert.equal(parseDurationNs('1.5h'), 5400n * S);
    assert.equal(parseDurationNs('250ms'), 250_000_000n);
    assert.equal(parseDurationNs('10us'), 10_000n);
    assert.equal(parseDurationNs('10µs'), 10_000n);
    assert.equal(parseDurationNs('7ns'), 7n);
    assert.equal(parseDurationNs('2d'), 172_800n * S);
    assert.equal(parseDurationNs('  14d \n'), 14n * 86_400n * S);
    assert.equal(parseDurationNs('1.0000000005s'), S, 'below a nanosecond is dropped');
  });

  it('rejects what is not a duration', () => {
    for (const bad of ['', '5', '1.5', 'm', '-', '5 minutes', '1h-5m', 'now', '1 h', '.5s', '5.s', '1e3s', '1H', '--5s']) assert.equal(parseDurationNs(bad), undefined, bad);
  });

  it('takes a bare number in the unit a caller names (the CLI: seconds)', () => {
    assert.equal(parseDurationNs('10', { bareNumberUnit: 's' }), 10n * S);
    assert.equal(parseDurationNs('1.5', { bareNumberUnit: 's' }), 1_500_000_000n);
    assert.equal(parseDurationNs('2m', { bareNumberUnit: 's' }), 120n * S);
    assert.equal(parseDurationNs('10'), undefined);
  });

  it('gives milliseconds rounded to the nearest', () => {
    assert.equal(parseDurationMs('1h30m'), 5_400_000);
    assert.equal(parseDurationMs('1500us'), 2);
    assert.equal(parseDurationMs('0.4ms'), 0);
    assert.equal(parseDurationMs('x'), undefined);
  });

  it('formats with the largest units first, and every formatted text parses back', () => {
    assert.equal(formatDurationNs(5400n * S), '1h30m');
    assert.equal(formatDurationNs(86_400n * S), '1d');
    assert.equal(formatDurationNs(0n), '0s');
    assert.equal(formatDurationNs(-1_500_000n), '-1ms500us');
    assert.equal(formatDurationMs(1500), '1s500ms');
    fc.assert(fc.property(fc.bigInt({ min: -(10n ** 18n), max: 10n ** 18n }), (ns) => parseDurationNs(formatDurationNs(ns)) === ns));
  });

  it('reads every form the manifests\' pattern admits as the sum of its terms', () => {
    const manifestPattern = new RegExp(MANIFEST_DURATION_PATTERN);
    const unitMs: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
    const term = fc.tuple(fc.nat({ max: 10_000 }), fc.constantFrom('ms', 's', 'm', 'h', 'd'));
    fc.assert(
      fc.property(fc.array(term, { minLength: 1, maxLength: 4 }), (terms) => {
        const text = terms.map(([n, u]) => `${n}${u}`).join('');
        assert.match(text, manifestPattern);
        return parseDurationMs(text) === terms.reduce((sum, [n, u]) => sum + n * unitMs[u]!, 0);
      }),
    );
  });
});
