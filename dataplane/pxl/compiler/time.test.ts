import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { foldCall } from './fold.js';
import { parseTimeText, timeBound } from './time.js';

const S = 1_000_000_000n;

describe('times', () => {
  it('parses RFC 3339 times, with fractions and zones; a bare date is midnight UTC', () => {
    assert.equal(parseTimeText('1970-01-01T00:00:01Z'), S);
    assert.equal(parseTimeText('1970-01-01T00:00:00.000000123Z'), 123n);
    assert.equal(parseTimeText('1970-01-01T01:00:00+01:00'), 0n);
    assert.equal(parseTimeText('1970-01-01T00:00:00-0130'), 5400n * S);
    assert.equal(parseTimeText('1970-01-02'), 86_400n * S);
    for (const bad of ['1970-13-01', '1970-02-30T00:00:00Z', '1970-01-01T25:00:00Z', 'yesterday']) assert.equal(parseTimeText(bad), undefined, bad);
  });

  it('turns start_time / end_time constants into absolute bounds', () => {
    const now = 1_000n * S;
    assert.deepEqual(timeBound('string', '-5m', now), { ns: now - 300n * S });
    assert.deepEqual(timeBound('string', '1970-01-01T00:00:10Z', now), { ns: 10n * S });
    assert.deepEqual(timeBound('string', '12345', now), { ns: 12345n });
    assert.deepEqual(timeBound('int64', 42n, now), { ns: 42n });
    assert.deepEqual(timeBound('int64', -10n, now), { ns: now - 10n });
    assert.deepEqual(timeBound('time64ns', 7n, now), { ns: 7n });
    assert.ok('error' in timeBound('float64', 1.5, now));
    assert.ok('error' in timeBound('string', 'later', now));
  });

  it('folds only what is unambiguous', () => {
    assert.deepEqual(foldCall('add', [9_223_372_036_854_775_807n, 1n], ['int64', 'int64'], 'int64'), { value: -9_223_372_036_854_775_808n });
    assert.deepEqual(foldCall('subtract', [10n * S, 2n], ['time64ns', 'int64'], 'time64ns'), { value: 10n * S - 2n });
    assert.deepEqual(foldCall('divide', [1n, 4n], ['int64', 'int64'], 'float64'), { value: 0.25 });
    assert.deepEqual(foldCall('modulo', [1n, 0n], ['int64', 'int64'], 'int64'), { error: 'modulo by zero' });
    assert.deepEqual(foldCall('lessThan', ['a', 'b'], ['string', 'string'], 'boolean'), { value: true });
    assert.deepEqual(foldCall('equal', [1n, 1.0], ['int64', 'float64'], 'boolean'), { value: true });
    assert.deepEqual(foldCall('bin', [125n, 10n], ['time64ns', 'int64'], 'time64ns'), { value: 120n });
    assert.equal(foldCall('bin', [-125n, 10n], ['int64', 'int64'], 'int64'), undefined);
    assert.equal(foldCall('round', [2.5], ['float64'], 'int64'), undefined);
    assert.equal(foldCall('upid_to_pod_name', ['1:2'], ['string'], 'string'), undefined);
  });
});
