// Profiler CPU overhead at 99 Hz with both cores busy (issue #3, section 7), next to its peer
// measured the same way in the same run: `perf record -e cpu-clock -F 99 -g -a`.
// Both profile every process (system-wide) while two busy-loop children keep the cores busy.
// Per profiler, the agent's CPU time (all threads of the profiling process) over
//   - "sampling": a steady window from 2 s after it started sampling until just before SIGINT
//     (per-thread schedstat run time, nanoseconds);
//   - "whole run": spawn to exit, start-up and the final write included (the children CPU time,
//     utime + stime in clock ticks, the kernel adds to this process's /proc/self/stat when the
//     profiler is reaped);
// each divided by (wall time x cores). BPF program time is charged by the kernel to the
// interrupted task, as perf's in-kernel sampling is, so neither number includes it.
// Ours runs as a child process (this file with --agent: the `loupe profile` command without
// bin/cli.ts's operator imports), writing pprof. Not a test: prints numbers, no thresholds.
// Run: npx tsc -p tsconfig.json && node dist/e2e/bench/profiler.bench.js
// (BENCH_PROFILE_SECONDS: how long each profiler runs, default 30.)
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sleep } from '../../lib/clock.js';
import { profileCommand } from '../../dataplane/profiler/command.js';
import { hostKernelConstants } from '../../dataplane/stats/proc.js';
import { parseProcStat } from '../../dataplane/stats/process-stats.js';

const SECONDS = Number(process.env['BENCH_PROFILE_SECONDS'] ?? 30);
const WARMUP_MS = 2000;
const FREQUENCY = 99;

const BUSY_C = `
__attribute__((noinline)) unsigned long busy_leaf(unsigned long n) {
  volatile unsigned long acc = 0;
  for (unsigned long i = 0; i < n; i++) acc += i * i;
  return acc;
}
__attribute__((noinline)) unsigned long busy_mid(unsigned long n) { return busy_leaf(n) + 1; }
int main(void) { unsigned long s = 0; for (;;) s += busy_mid(1000000); }
`;

interface Measurement {
  name: string;
  steadyCpuS: number;
  steadyWallS: number;
  wholeCpuS: number;
  wholeWallS: number;
  /** CPU after SIGINT: the final drain, symbolization and write (ticks, so ±10 ms). */
  finalWriteCpuS: number;
  rssKiB: number;
  hwmKiB: number;
  summary: string;
}

const tickS = 1 / hostKernelConstants().clockTicksPerSecond;

/**
 * CPU time of a live process, all its threads, in seconds: the nanosecond run time of each
 * thread (/proc/PID/task/TID/schedstat), as utime + stime (10 ms ticks) is too coarse for perf.
 */
function cpuSeconds(pid: number): number {
  let ns = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // The thread exited between readdir and read.
    }
  }
  return ns / 1e9;
}

/** utime + stime of a live process (all threads), in seconds, for the whole-run cross-check. */
function tickCpuSeconds(pid: number): number {
  const s = parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  return (s.utimeTicks + s.stimeTicks) * tickS;
}

/** CPU seconds of this process's reaped children (cutime + cstime, fields 16 and 17). */
function reapedChildrenCpuSeconds(): number {
  const text = readFileSync('/proc/self/stat', 'utf8');
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return (Number(f[16 - 3]) + Number(f[17 - 3])) * tickS;
}

function memoryKiB(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: kib('VmRSS'), hwm: kib('VmHWM') };
}

/**
 * Spawns a profiler, waits until `ready(stderr)` (or `readyAfterMs`), measures a steady window,
 * stops it with SIGINT and measures the whole run once it has exited.
 */
async function measure(name: string, argv: string[], readiness: { stderrIncludes: string } | { afterMs: number }): Promise<Measurement> {
  const cpuBefore = reapedChildrenCpuSeconds();
  const t0 = performance.now();
  const child: ChildProcess = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  // perf record re-raises SIGINT after writing its file: that exit is a clean one too.
  const exited = new Promise<string>((resolve) => child.on('exit', (code, signal) => resolve(code === 0 || signal === 'SIGINT' ? 'ok' : `code ${code}, signal ${signal}`)));
  const ready = new Promise<void>((resolve, reject) => {
    child.stderr!.setEncoding('utf8').on('data', (s: string) => {
      stderr += s;
      if ('stderrIncludes' in readiness && stderr.includes(readiness.stderrIncludes)) resolve();
    });
    if ('afterMs' in readiness) setTimeout(resolve, readiness.afterMs);
    void exited.then((how) => reject(new Error(`${name} exited (${how}) before it started sampling:\n${stderr}`)));
  });
  await ready;
  await sleep(WARMUP_MS);
  const a = { t: performance.now(), cpu: cpuSeconds(child.pid!) };
  await sleep(SECONDS * 1000 - WARMUP_MS);
  const b = { t: performance.now(), cpu: cpuSeconds(child.pid!) };
  const liveTicksCpuS = tickCpuSeconds(child.pid!);
  const mem = memoryKiB(child.pid!);
  process.kill(child.pid!, 'SIGINT');
  const how = await exited;
  const wholeWallS = (performance.now() - t0) / 1000;
  if (how !== 'ok') throw new Error(`${name} exited with ${how}:\n${stderr}`);
  return {
    name,
    steadyCpuS: b.cpu - a.cpu,
    steadyWallS: (b.t - a.t) / 1000,
    wholeCpuS: reapedChildrenCpuSeconds() - cpuBefore,
    finalWriteCpuS: reapedChildrenCpuSeconds() - cpuBefore - liveTicksCpuS,
    wholeWallS,
    rssKiB: mem.rss,
    hwmKiB: mem.hwm,
    summary: stderr.trim().split('\n').pop() ?? '',
  };
}

/** perf, installing linux-perf if it is missing; the reason when it cannot run. */
function perfUsable(): string | undefined {
  const works = () => spawnSync('perf', ['--version'], { encoding: 'utf8' }).status === 0;
  if (works()) return undefined;
  const repo = fileURLToPath(new URL('../../../', import.meta.url));
  const r = spawnSync('bash', [join(repo, 'scripts', 'ensure-apt.sh'), 'linux-perf'], { stdio: 'inherit' });
  if (r.status !== 0) return `installing linux-perf failed (exit ${r.status})`;
  return works() ? undefined : '`perf --version` fails even after installing linux-perf';
}

const pct = (cpuS: number, wallS: number, cores: number) => (100 * cpuS) / (wallS * cores);

async function bench(): Promise<void> {
  const cores = availableParallelism();
  const dir = mkdtempSync(join(tmpdir(), 'loupe-profiler-bench-'));
  const busy: ChildProcess[] = [];
  try {
    writeFileSync(join(dir, 'busy.c'), BUSY_C);
    execFileSync('cc', ['-O0', '-fno-omit-frame-pointer', '-o', join(dir, 'busy'), join(dir, 'busy.c')]);
    for (let i = 0; i < cores; i++) busy.push(spawn(join(dir, 'busy'), [], { stdio: 'ignore' }));
    await sleep(500);
    console.log(`profiler CPU overhead at ${FREQUENCY} Hz, every process, ${cores} busy loops on ${cores} cores, ${SECONDS} s per profiler`);

    const self = fileURLToPath(import.meta.url);
    const ours = await measure(
      'loupe profile (BPF)',
      [process.execPath, self, '--agent', '--frequency', String(FREQUENCY), '--duration', `${SECONDS * 4}s`, '--format', 'pprof', '-o', join(dir, 'loupe.pb.gz')],
      { stderrIncludes: ': sampling ' },
    );
    const results = [ours];
    const perfProblem = perfUsable();
    if (perfProblem) {
      console.log(`perf: cannot run (${perfProblem}); printing ours only`);
    } else {
      results.push(await measure('perf record -e cpu-clock -F 99 -g -a', ['perf', 'record', '-e', 'cpu-clock', '-F', String(FREQUENCY), '-g', '-a', '-o', join(dir, 'perf.data')], { afterMs: 1000 }));
    }

    const rows = results.map((m) => ({
      m,
      steady: pct(m.steadyCpuS, m.steadyWallS, cores),
      whole: pct(m.wholeCpuS, m.wholeWallS, cores),
    }));
    for (const { m, steady, whole } of rows) {
      console.log(`\n${m.name}`);
      console.log(`  sampling : ${steady.toFixed(3)}% of the machine (${m.steadyCpuS.toFixed(2)} CPU s over ${m.steadyWallS.toFixed(1)} s x ${cores} cores)`);
      console.log(`  whole run: ${whole.toFixed(3)}% of the machine (${m.wholeCpuS.toFixed(2)} CPU s over ${m.wholeWallS.toFixed(1)} s x ${cores} cores, start-up and final write included; ${m.finalWriteCpuS.toFixed(2)} CPU s after SIGINT)`);
      console.log(`  memory   : VmRSS ${(m.rssKiB / 1024).toFixed(1)} MiB, peak VmHWM ${(m.hwmKiB / 1024).toFixed(1)} MiB (before the final write)`);
      console.log(`  its own summary: ${m.summary}`);
    }
    if (rows.length === 2) {
      const ratio = (a: number, b: number) => (b > 0 ? (a / b).toFixed(2) : 'n/a (perf used no measurable CPU)');
      console.log(`\nratio loupe / perf: sampling ${ratio(rows[0]!.steady, rows[1]!.steady)}, whole run ${ratio(rows[0]!.whole, rows[1]!.whole)}`);
    }
    console.log(`pprof written: ${(statSync(join(dir, 'loupe.pb.gz')).size / 1024).toFixed(0)} KiB`);
  } finally {
    for (const c of busy) if (c.pid && c.exitCode === null && c.signalCode === null) process.kill(c.pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--agent') {
  process.exitCode = await profileCommand(process.argv.slice(3));
} else {
  await bench();
}
