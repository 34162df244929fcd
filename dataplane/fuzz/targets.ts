// Every fuzz target, by name, for the runner (run.ts).
import { batchCodecTarget, planCodecTarget, wireFrameTarget } from './codecs.js';
import type { FuzzTarget } from './harness.js';
import { http1SplitTarget, http1Target } from './http1.js';
import { pxlTarget } from './pxl.js';

export const FUZZ_TARGETS: readonly FuzzTarget<unknown>[] = [pxlTarget, planCodecTarget, batchCodecTarget, wireFrameTarget, http1Target, http1SplitTarget];

export function fuzzTarget(name: string): FuzzTarget<unknown> | undefined {
  return FUZZ_TARGETS.find((t) => t.name === name);
}
