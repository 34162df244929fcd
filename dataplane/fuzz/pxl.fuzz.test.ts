// A few thousand scripts on every test run; `npm run fuzz` runs a million.
import { describe, it } from 'node:test';
import { assertFuzz } from './harness.js';
import { pxlTarget } from './pxl.js';

describe('PxL fuzz target', () => {
  it('compiles generated, mutated and arbitrary scripts to a plan that survives the wire, or fails with a PxlCompileError inside the script', () => assertFuzz(pxlTarget, 3000));
});
