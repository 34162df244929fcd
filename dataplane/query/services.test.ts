import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cappedLimits } from './services.js';

describe('Kelvin query limits', () => {
  it('the Kelvin memory limit is the default and the most a request may ask for', () => {
    assert.deepEqual(cappedLimits(undefined, undefined), {});
    assert.deepEqual(cappedLimits({ maxResultRows: 5 }, 64 << 20), { maxResultRows: 5, maxMemoryBytes: 64 << 20 });
    assert.deepEqual(cappedLimits({ maxMemoryBytes: 16 << 20 }, 64 << 20), { maxMemoryBytes: 16 << 20 });
    assert.deepEqual(cappedLimits({ maxMemoryBytes: 1 << 30, timeoutMs: 1000 }, 64 << 20), { maxMemoryBytes: 64 << 20, maxWallTimeMs: 1000 });
    assert.deepEqual(cappedLimits({ maxMemoryBytes: 1 << 30 }, undefined), { maxMemoryBytes: 1 << 30 });
  });

  it('still rejects a malformed request limit', () => {
    assert.throws(() => cappedLimits({ maxMemoryBytes: -1 }, 64 << 20), /limits\.maxMemoryBytes must be a positive integer/);
  });
});
