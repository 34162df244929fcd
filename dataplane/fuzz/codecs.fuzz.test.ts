// A few thousand inputs per codec target on every test run; `npm run fuzz` runs a million.
import { describe, it } from 'node:test';
import { assertFuzz } from './harness.js';
import { batchCodecTarget, planCodecTarget, wireFrameTarget } from './codecs.js';

describe('codec fuzz targets', () => {
  it('row batches round-trip, and corrupt batches fail with BatchDecodeError or decode well-formed', () => assertFuzz(batchCodecTarget, 3000));
  it('plans round-trip, and corrupt plans fail with PlanDecodeError or decode to a stable plan', () => assertFuzz(planCodecTarget, 3000));
  it('stream frames round-trip, and corrupt frames fail with WireError or BatchDecodeError', () => assertFuzz(wireFrameTarget, 3000));
});
