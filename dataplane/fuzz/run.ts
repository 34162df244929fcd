// `npm run fuzz -- [target...] [--runs N] [--seed S] [--hang-ms MS] [--max-rss-mib MIB]`: runs
// each fuzz target (default all, a million inputs each) one after another, each in its own
// process so its peak RSS is its own. Inside that process a worker thread runs the inputs and
// the main thread watches it: an input running longer than --hang-ms, or the process passing
// --max-rss-mib, stops the target and is reported with the input. Prints per target: inputs run,
// failures (by kind, each with a shrunk input), the slowest input and the peak RSS. Exit status
// 1 when any target failed, 2 for a bad command line.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { replayInput, runFuzz, shrinkFailure, type FuzzRun } from './harness.js';
import { FUZZ_TARGETS, fuzzTarget } from './targets.js';

const SELF = fileURLToPath(import.meta.url);
const MiB = 1024 * 1024;
/** Failure kinds shrunk and shown per target. */
const SHOWN_KINDS = 3;
const SHOWN_CHARS = 2000;
const SLOWEST_CHARS = 600;

interface Settings {
  readonly targets: readonly string[];
  readonly runs: number;
  readonly seed: number;
  readonly hangMs: number;
  readonly maxRssMiB: number;
}

interface Shown {
  readonly kind: string;
  readonly count: number;
  readonly error: string;
  readonly input: string;
}

/** What one target's process reports. */
interface TargetReport {
  readonly target: string;
  readonly seed: number;
  readonly runs: number;
  readonly failures: number;
  readonly shown: readonly Shown[];
  readonly slowestMs: number;
  readonly slowestInput: string;
  readonly peakRssBytes: number;
  readonly elapsedMs: number;
}

class UsageError extends Error {}

function settingsFrom(argv: readonly string[]): Settings & { child: boolean } {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      runs: { type: 'string' },
      seed: { type: 'string' },
      'hang-ms': { type: 'string' },
      'max-rss-mib': { type: 'string' },
      child: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) throw new UsageError('');
  const count = (flag: string, text: string | undefined, fallback: number, min: number): number => {
    if (text === undefined) return fallback;
    const n = Number(text.replace(/_/g, ''));
    if (!Number.isSafeInteger(n) || n < min) throw new UsageError(`--${flag} ${JSON.stringify(text)}: must be an integer >= ${min}`);
    return n;
  };
  const unknown = positionals.filter((name) => !fuzzTarget(name));
  if (unknown.length > 0) throw new UsageError(`unknown target${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}; targets: ${FUZZ_TARGETS.map((t) => t.name).join(', ')}`);
  return {
    targets: positionals.length > 0 ? positionals : FUZZ_TARGETS.map((t) => t.name),
    runs: count('runs', values.runs, 1_000_000, 1),
    seed: count('seed', values.seed, Math.floor(Math.random() * 0x7fffffff), 0),
    hangMs: count('hang-ms', values['hang-ms'], 10_000, 1),
    maxRssMiB: count('max-rss-mib', values['max-rss-mib'], 2048, 64),
    child: values.child === true,
  };
}

const USAGE = `usage: npm run fuzz -- [target...] [--runs N] [--seed S] [--hang-ms MS] [--max-rss-mib MIB]
targets (default all):${FUZZ_TARGETS.map((t) => `\n  ${t.name}: ${t.description}`).join('')}
options:
  --runs N           inputs per target (default 1000000)
  --seed S           fast-check seed (default random; printed, so a run can be repeated)
  --hang-ms MS       an input running longer than this is a hang (default 10000)
  --max-rss-mib MIB  the target's process passing this is a memory failure (default 2048)`;

const thousands = (n: number) => n.toLocaleString('en-US');
const duration = (ms: number) => {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s}s` : s < 3600 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${Math.floor(s / 3600)}h${String(Math.floor(s / 60) % 60).padStart(2, '0')}m`;
};
const clip = (text: string, chars: number) => (text.length > chars ? `${text.slice(0, chars)}\n... (${text.length - chars} more characters)` : text);

// ---- the worker: runs the inputs -----------------------------------------------------------

interface WorkerJob {
  readonly target: string;
  readonly runs: number;
  readonly seed: number;
  /** [0]: index of the input running; [1]: inputs done. */
  readonly progress: SharedArrayBuffer;
  /** performance.timeOrigin + now() when the input at [0] started, in ms. */
  readonly started: SharedArrayBuffer;
}

async function workerMain(job: WorkerJob): Promise<void> {
  const target = fuzzTarget(job.target)!;
  await target.setup?.();
  const progress = new Int32Array(job.progress);
  const started = new Float64Array(job.started);
  const run: FuzzRun<unknown> = runFuzz(target, {
    runs: job.runs,
    seed: job.seed,
    beforeInput: (index) => {
      started[0] = performance.timeOrigin + performance.now();
      Atomics.store(progress, 0, index);
      Atomics.store(progress, 1, index);
    },
  });
  Atomics.store(progress, 1, run.runs);
  started[0] = 0;
  const shown: Shown[] = run.kinds.slice(0, SHOWN_KINDS).map((kind) => {
    const shrunk = shrinkFailure(target, job.seed, kind.firstIndex);
    const error = shrunk?.error instanceof Error ? `${shrunk.error.name}: ${shrunk.error.message}\n${shrunk.error.stack?.split('\n').slice(1, 6).join('\n') ?? ''}` : kind.message;
    const input = shrunk ? shrunk.input : replayInput(target, job.seed, kind.firstIndex);
    return { kind: kind.kind, count: kind.count, error, input: `(run ${kind.firstIndex}, shrunk) ${target.show(input)}` };
  });
  const slowestInput = run.slowestIndex >= 0 ? `(run ${run.slowestIndex}) ${target.show(run.slowestInput)}` : '';
  parentPort!.postMessage({ run: { ...run, slowestInput: undefined }, shown, slowestInput });
}

// ---- one target's process: watches the worker ------------------------------------------------

async function childMain(settings: Settings): Promise<TargetReport> {
  const name = settings.targets[0]!;
  const target = fuzzTarget(name)!;
  const began = performance.now();
  const progressBuffer = new SharedArrayBuffer(8);
  const startedBuffer = new SharedArrayBuffer(8);
  const progress = new Int32Array(progressBuffer);
  const started = new Float64Array(startedBuffer);
  const job: WorkerJob = { target: name, runs: settings.runs, seed: settings.seed, progress: progressBuffer, started: startedBuffer };
  const worker = new Worker(SELF, { workerData: job, resourceLimits: { maxOldGenerationSizeMb: settings.maxRssMiB } });
  let lastReport = performance.now();

  const stopped = (kind: string, error: string): TargetReport => {
    const index = Atomics.load(progress, 0);
    const shownInput = `(run ${index}) ${target.show(replayInput(target, settings.seed, index))}`;
    return {
      target: name,
      seed: settings.seed,
      runs: Atomics.load(progress, 1),
      failures: 1,
      shown: [{ kind, count: 1, error, input: shownInput }],
      slowestMs: Math.max(0, performance.timeOrigin + performance.now() - started[0]!),
      slowestInput: shownInput,
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
      elapsedMs: performance.now() - began,
    };
  };

  return new Promise<TargetReport>((resolve) => {
    const watch = setInterval(() => {
      const now = performance.timeOrigin + performance.now();
      const rss = process.memoryUsage.rss();
      if (started[0]! > 0 && now - started[0]! > settings.hangMs) {
        clearInterval(watch);
        void worker.terminate();
        resolve(stopped('hang', `one input ran longer than ${settings.hangMs} ms`));
      } else if (rss > settings.maxRssMiB * MiB) {
        clearInterval(watch);
        void worker.terminate();
        resolve(stopped('memory', `the process grew to ${Math.round(rss / MiB)} MiB, past --max-rss-mib ${settings.maxRssMiB}`));
      } else if (performance.now() - lastReport > 30_000) {
        lastReport = performance.now();
        const done = Atomics.load(progress, 1);
        process.stderr.write(`  ${name}: ${thousands(done)} / ${thousands(settings.runs)} inputs, ${thousands(Math.round(done / ((performance.now() - began) / 1000)))}/s, ${Math.round(rss / MiB)} MiB\n`);
      }
    }, 200);
    worker.on('message', (message: { run: FuzzRun<undefined>; shown: Shown[]; slowestInput: string }) => {
      clearInterval(watch);
      const { run } = message;
      resolve({
        target: name,
        seed: settings.seed,
        runs: run.runs,
        failures: run.failures,
        shown: message.shown,
        slowestMs: run.slowestMs,
        slowestInput: message.slowestInput,
        peakRssBytes: process.resourceUsage().maxRSS * 1024,
        elapsedMs: performance.now() - began,
      });
    });
    worker.on('error', (err: Error & { code?: string }) => {
      clearInterval(watch);
      resolve(stopped(err.code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'memory' : 'crash', `${err.name}: ${err.message}`));
    });
  });
}

// ---- the command: one process per target, then the table ------------------------------------

function runTarget(name: string, settings: Settings): Promise<TargetReport> {
  const args = [name, '--child', '--runs', String(settings.runs), '--seed', String(settings.seed), '--hang-ms', String(settings.hangMs), '--max-rss-mib', String(settings.maxRssMiB)];
  const child = fork(SELF, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    let report: TargetReport | undefined;
    child.on('message', (message) => {
      report = message as TargetReport;
    });
    child.on('exit', (code, signal) => (report ? resolve(report) : reject(new Error(`the ${name} process ended (${signal ?? `exit ${code}`}) without a report`))));
  });
}

function printReport(r: TargetReport): void {
  console.log(`${r.target}: ${thousands(r.runs)} inputs, ${thousands(r.failures)} failures, slowest input ${r.slowestMs.toFixed(1)} ms, peak RSS ${Math.round(r.peakRssBytes / MiB)} MiB, ${duration(r.elapsedMs)}`);
  for (const s of r.shown) console.log(`  FAILURE (${thousands(s.count)}x) ${s.kind}\n  ${s.error.replace(/\n/g, '\n  ')}\n  input ${clip(s.input, SHOWN_CHARS).replace(/\n/g, '\n  ')}`);
  if (r.slowestInput) console.log(`  slowest input ${clip(r.slowestInput, SLOWEST_CHARS).replace(/\n/g, '\n  ')}`);
}

async function main(): Promise<void> {
  let settings: ReturnType<typeof settingsFrom>;
  try {
    settings = settingsFrom(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError) && !(err instanceof TypeError)) throw err;
    if (err.message) console.error(`fuzz: ${err.message}`);
    console.error(USAGE);
    process.exit(err.message ? 2 : 0);
  }
  if (settings.child) {
    process.send!(await childMain(settings));
    process.exit(0);
  }
  console.log(`fuzzing ${settings.targets.join(', ')}: ${thousands(settings.runs)} inputs each, seed ${settings.seed}`);
  const reports: TargetReport[] = [];
  for (const name of settings.targets) {
    const report = await runTarget(name, settings);
    printReport(report);
    reports.push(report);
  }
  console.log(`\n${'target'.padEnd(14)}${'inputs'.padStart(12)}${'failures'.padStart(10)}${'slowest input'.padStart(15)}${'peak RSS'.padStart(11)}${'time'.padStart(9)}`);
  for (const r of reports) {
    console.log(
      `${r.target.padEnd(14)}${thousands(r.runs).padStart(12)}${thousands(r.failures).padStart(10)}${`${r.slowestMs.toFixed(1)} ms`.padStart(15)}${`${Math.round(r.peakRssBytes / MiB)} MiB`.padStart(11)}${duration(r.elapsedMs).padStart(9)}`,
    );
  }
  console.log(`seed ${settings.seed} (repeat with --seed ${settings.seed})`);
  process.exit(reports.some((r) => r.failures > 0) ? 1 : 0);
}

if (isMainThread) await main();
else await workerMain(workerData as WorkerJob);
