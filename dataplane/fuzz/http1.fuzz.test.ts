// A few thousand inputs per HTTP target on every test run; `npm run fuzz` runs a million.
import { describe, it } from 'node:test';
import { assertFuzz } from './harness.js';
import { http1SplitTarget, http1Target } from './http1.js';

describe('HTTP/1.x fuzz targets', () => {
  it('never throws on generated, corrupted or random bytes, in any chunking, interleaving or with gaps', () => assertFuzz(http1Target, 2000));
  it('gives the same rows and counters however a conversation is split into chunks', () => assertFuzz(http1SplitTarget, 2000));
});
