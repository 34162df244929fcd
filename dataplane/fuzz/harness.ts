// Fuzz targets over what the network feeds the data plane (PxL scripts, plans, batches, frames,
// captured HTTP bytes). A target is a fast-check arbitrary plus a check that throws when a
// property does not hold. The same targets run a few thousand inputs as unit tests
// (`*.fuzz.test.ts`) and a million each under `npm run fuzz` (run.ts).
import fc from 'fast-check';
import { inspect } from 'node:util';

export interface FuzzTarget<T> {
  readonly name: string;
  /** One line: what is fed and what must hold. */
  readonly description: string;
  /** Loads what the check needs once (the PxL grammar); runs before the first input. */
  setup?(): Promise<void>;
  readonly arbitrary: fc.Arbitrary<T>;
  /** Throws when a property does not hold for `input`. */
  check(input: T): void;
  /** The input as text for a failure report (a script as it is, bytes as hex). */
  show(input: T): string;
}

/** A property that does not hold: a wrong round trip, different rows for another split, ... */
export class PropertyViolation extends Error {
  override readonly name = 'PropertyViolation';
}

export function violated(message: string): never {
  throw new PropertyViolation(message);
}

/**
 * Where two plain values (objects, arrays, primitives) first differ: `path: a versus b`, or
 * undefined. Numbers compare with Object.is (NaN equals NaN, -0 does not equal 0); a key whose
 * value is undefined counts as absent, as in JSON.
 */
export function firstDifference(a: unknown, b: unknown, path = '$'): string | undefined {
  if (Object.is(a, b)) return undefined;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object' || Array.isArray(a) !== Array.isArray(b)) {
    return `${path}: ${inspect(a, { depth: 1, maxStringLength: 200 })} versus ${inspect(b, { depth: 1, maxStringLength: 200 })}`;
  }
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  const present = (o: Record<string, unknown>) => Object.keys(o).filter((k) => o[k] !== undefined);
  for (const key of new Set([...present(x), ...present(y)])) {
    const found = firstDifference(x[key], y[key], `${path}.${key}`);
    if (found) return found;
  }
  return undefined;
}

type ErrorClass = abstract new (...args: never[]) => Error;

/**
 * Runs `action`; an error of one of `allowed` (the module's own typed errors) is an expected
 * answer to a bad input and gives undefined. Any other error propagates: that is a crash.
 */
export function expectTyped<R>(action: () => R, allowed: readonly ErrorClass[]): R | undefined {
  try {
    return action();
  } catch (err) {
    if (allowed.some((cls) => err instanceof cls)) return undefined;
    throw err;
  }
}

/** Failures of one kind: the error class and its message with numbers and quoted text masked. */
export function failureKind(err: unknown): string {
  const name = err instanceof Error ? err.name : typeof err;
  const message = err instanceof Error ? err.message : String(err);
  const firstLine = message.split('\n', 1)[0] ?? '';
  return `${name}: ${firstLine.replace(/'[^']*'|"[^"]*"/g, '…').replace(/\d+/g, '#').slice(0, 160)}`;
}

export interface FailureKind {
  readonly kind: string;
  count: number;
  /** Run index of the first input that failed this way (replay with its seed and `path`). */
  readonly firstIndex: number;
  readonly message: string;
}

export interface FuzzRun<T> {
  readonly runs: number;
  readonly failures: number;
  readonly kinds: readonly FailureKind[];
  readonly slowestMs: number;
  readonly slowestIndex: number;
  /** Kept as it ran: replaying a late run index would generate every input before it again. */
  readonly slowestInput: T | undefined;
}

export interface FuzzRunOptions {
  readonly runs: number;
  readonly seed: number;
  /** Called before each input with its run index (the runner's hang and memory watch). */
  readonly beforeInput?: (index: number) => void;
}

/**
 * Runs `runs` inputs and counts failures instead of stopping at the first, so one run tells how
 * often and in how many ways a target fails; the slowest input is timed as it runs.
 */
export function runFuzz<T>(target: FuzzTarget<T>, options: FuzzRunOptions): FuzzRun<T> {
  const kinds = new Map<string, FailureKind>();
  let index = 0;
  let failures = 0;
  let slowestMs = 0;
  let slowestIndex = -1;
  let slowestInput: T | undefined;
  const property = fc.property(target.arbitrary, (input) => {
    options.beforeInput?.(index);
    const started = performance.now();
    try {
      target.check(input);
    } catch (err) {
      failures++;
      const kind = failureKind(err);
      const seen = kinds.get(kind);
      if (seen) seen.count++;
      else kinds.set(kind, { kind, count: 1, firstIndex: index, message: err instanceof Error ? err.message : String(err) });
    }
    const ms = performance.now() - started;
    if (ms > slowestMs) {
      slowestMs = ms;
      slowestIndex = index;
      slowestInput = input;
    }
    index++;
  });
  fc.check(property, { seed: options.seed, numRuns: options.runs });
  return { runs: index, failures, kinds: [...kinds.values()], slowestMs, slowestIndex, slowestInput };
}

/** The input of run `index` under `seed`, as the run generated it. */
export function replayInput<T>(target: FuzzTarget<T>, seed: number, index: number): T {
  let found: { input: T } | undefined;
  fc.check(
    fc.property(target.arbitrary, (input) => {
      found = { input };
    }),
    { seed, path: String(index), numRuns: 1 },
  );
  if (!found) throw new Error(`run ${index} of seed ${seed} produced no input`);
  return found.input;
}

/** Shrinks the failing input of run `index` to a small one that still fails, with its error. */
export function shrinkFailure<T>(target: FuzzTarget<T>, seed: number, index: number): { input: T; error: unknown } | undefined {
  const details = fc.check(fc.property(target.arbitrary, (input) => target.check(input)), { seed, path: String(index) });
  if (!details.failed || details.counterexample === null) return undefined;
  return { input: details.counterexample[0], error: details.errorInstance };
}

/** The unit-test form: `runs` inputs under fast-check's own seed; the first failure fails the test, shrunk. */
export async function assertFuzz<T>(target: FuzzTarget<T>, runs: number): Promise<void> {
  await target.setup?.();
  fc.assert(fc.property(target.arbitrary, (input) => target.check(input)), {
    numRuns: runs,
    reporter: (details) => {
      if (!details.failed || details.counterexample === null) return;
      const error = details.errorInstance;
      throw new Error(
        `${target.name}: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}\n` +
          `input (shrunk after ${details.numShrinks} steps; replay with seed ${details.seed}, path "${details.counterexamplePath}"):\n` +
          target.show(details.counterexample[0]),
        { cause: error },
      );
    },
  });
}
