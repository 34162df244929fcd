// `loupe profile` end to end on the real kernel: needs root (or CAP_BPF + CAP_PERFMON), BTF,
// cc, and the addon built by `bash native-bpf/build.sh`. Without them these tests fail; they never skip.
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { repoRoot } from '../crds/generate.js';
import { cgroup2Mount } from '../dataplane/targets.js';
import { decodePprof } from '../dataplane/profiler/pprof.js';

const program = (fn: string) => `
#include <stdio.h>
__attribute__((noinline)) unsigned long ${fn}(unsigned long n) {
  volatile unsigned long acc = 0;
  for (unsigned long i = 0; i < n; i++) acc += i * i;
  return acc;
}
int main(void) {
  unsigned long s = 0;
  for (;;) {
    s += ${fn}(20000000);
    if (s == 42) puts("");
  }
}
`;

/** Whether the kernel has a hardware PMU for PERF_TYPE_HARDWARE (x86 "cpu", hybrid "cpu_core", arm "armv8_pmuv3_0"). */
const hasHardwarePmu = readdirSync('/sys/bus/event_source/devices').some((d) => d === 'cpu' || d.startsWith('cpu_') || d.startsWith('armv'));

interface Run {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

let dir: string;
let hotBin: string;
let otherBin: string;
const started: ChildProcess[] = [];

function build(name: string, fn: string): string {
  writeFileSync(join(dir, `${name}.c`), program(fn));
  const bin = join(dir, name);
  execFileSync('cc', ['-O0', '-fno-omit-frame-pointer', '-o', bin, join(dir, `${name}.c`)]);
  return bin;
}

function startBusy(bin: string): ChildProcess {
  const child = spawn(bin, [], { stdio: 'ignore' });
  started.push(child);
  assert.ok(child.pid, `could not start ${bin}`);
  return child;
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    process.kill(child.pid!, 'SIGKILL');
  });
}

/** Runs bin/loupe; `prefix` wraps it (e.g. setpriv); `interruptAfterMs` sends SIGINT that long after sampling starts. */
function loupe(args: string[], opts: { prefix?: string[]; interruptAfterMs?: number } = {}): Promise<Run> {
  const argv = [...(opts.prefix ?? []), join(repoRoot(), 'bin', 'loupe'), ...args];
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(child);
  const out: Buffer[] = [];
  let stderr = '';
  child.stdout!.on('data', (b: Buffer) => out.push(b));
  let interrupt: NodeJS.Timeout | undefined;
  child.stderr!.setEncoding('utf8').on('data', (s: string) => {
    stderr += s;
    if (opts.interruptAfterMs !== undefined && !interrupt && stderr.includes(': sampling ')) {
      interrupt = setTimeout(() => process.kill(child.pid!, 'SIGINT'), opts.interruptAfterMs);
    }
  });
  const guard = setTimeout(() => process.kill(child.pid!, 'SIGKILL'), 30_000);
  return new Promise((resolve) => {
    child.on('close', (code) => {
      clearTimeout(interrupt);
      clearTimeout(guard);
      resolve({ code, stdout: Buffer.concat(out), stderr });
    });
  });
}

/** Folded lines -> [stack, count]. */
function folded(text: string): [string, number][] {
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const i = l.lastIndexOf(' ');
      return [l.slice(0, i), Number(l.slice(i + 1))];
    });
}

const sum = (lines: [string, number][], pred: (stack: string) => boolean) => lines.filter(([s]) => pred(s)).reduce((n, [, c]) => n + c, 0);

describe('loupe profile on the real kernel', () => {
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'loupe-profile-cli-'));
    hotBin = build('hot', 'loupe_hot_function');
    otherBin = build('other', 'loupe_other_function');
  });
  after(async () => {
    await Promise.all(started.map(stop));
    rmSync(dir, { recursive: true, force: true });
  });

  it('--pid writes folded stacks of that process only, dominated by its hot function called from main', async () => {
    const hot = startBusy(hotBin);
    const other = startBusy(otherBin);
    const r = await loupe(['profile', '--pid', String(hot.pid), '--duration', '2s']);
    await Promise.all([stop(hot), stop(other)]);
    assert.equal(r.code, 0, r.stderr);
    const lines = folded(r.stdout.toString());
    const total = sum(lines, () => true);
    const hotShare = sum(lines, (s) => s.includes(';main;loupe_hot_function')) / total;
    console.log(`--pid: ${total} samples, ${(hotShare * 100).toFixed(1)}% in main;loupe_hot_function; ${r.stderr.trim().split('\n').pop()}`);
    assert.ok(total >= 10, `only ${total} samples in 2 s at 99 Hz:\n${r.stderr}`);
    assert.ok(lines.every(([s]) => s.startsWith('hot;')), `other processes leaked in:\n${r.stdout}`);
    assert.ok(hotShare >= 0.8, `loupe_hot_function in ${(hotShare * 100).toFixed(1)}%:\n${r.stdout}`);
    assert.match(r.stderr, new RegExp(`sampling pid ${hot.pid} at 99 Hz`));
  });

  it('--event auto (the default) samples on cycles where there is a PMU, else on cpu-clock, and says which; --event cycles without a PMU exits 1 naming it', async () => {
    const hot = startBusy(hotBin);
    const [auto, cycles, cpuClock] = await Promise.all([
      loupe(['profile', '--pid', String(hot.pid), '--duration', '1s']),
      loupe(['profile', '--pid', String(hot.pid), '--duration', '1s', '--event', 'cycles']),
      loupe(['profile', '--pid', String(hot.pid), '--duration', '1s', '--event', 'cpu-clock', '--format', 'pprof', '-o', join(dir, 'cpu-clock.pb.gz')]),
    ]);
    await stop(hot);
    const expected = hasHardwarePmu ? 'cycles' : 'cpu-clock';
    console.log(`hardware PMU: ${hasHardwarePmu}; auto: ${auto.stderr.trim().split('\n').pop()}; cycles: ${cycles.stderr.trim()}`);
    assert.equal(auto.code, 0, auto.stderr);
    assert.match(auto.stderr, new RegExp(`sampling pid ${hot.pid} at 99 Hz for 1 s \\(event: ${expected}, user stacks: ip\\)`));
    assert.match(auto.stderr, new RegExp(`samples, .*; event: ${expected}\n$`), 'the summary line names the event');
    assert.ok(sum(folded(auto.stdout.toString()), (st) => st.includes(';loupe_hot_function')) > 0, auto.stdout.toString());
    if (hasHardwarePmu) {
      assert.equal(cycles.code, 0, cycles.stderr);
      assert.match(cycles.stderr, /\(event: cycles, /);
    } else {
      assert.equal(cycles.code, 1, cycles.stderr);
      assert.equal(cycles.stdout.length, 0);
      assert.equal(cycles.stderr.trimEnd().split('\n').length, 1, cycles.stderr);
      assert.match(cycles.stderr, /^loupe profile: event 'cycles' is unavailable: perf_event_open\(PERF_TYPE_HARDWARE\/PERF_COUNT_HW_CPU_CYCLES, cpu \d+\) failed: .*no hardware PMU.*--event cpu-clock/);
    }
    assert.equal(cpuClock.code, 0, cpuClock.stderr);
    const p = decodePprof(readFileSync(join(dir, 'cpu-clock.pb.gz')));
    assert.ok(p.comment.map((i) => p.stringTable.strings[Number(i)]).includes('event: cpu-clock'), 'the pprof comments name the event');
  });

  it('--format pprof -o FILE writes a gzipped pprof that pprof-format decodes, with the binary and its build-id', async () => {
    const hot = startBusy(hotBin);
    const out = join(dir, 'cpu.pb.gz');
    const r = await loupe(['profile', '--pid', String(hot.pid), '--duration', '2s', '--frequency', '49', '--format', 'pprof', '-o', out]);
    await stop(hot);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.length, 0, 'nothing on stdout with -o');
    const p = decodePprof(readFileSync(out));
    const s = (i: number | bigint) => p.stringTable.strings[Number(i)]!;
    assert.deepEqual(
      p.sampleType.map((t) => `${s(t.type)}/${s(t.unit)}`),
      ['samples/count', 'cpu/nanoseconds'],
    );
    assert.equal(Number(p.period), Math.round(1e9 / 49));
    const samples = p.sample.reduce((n, x) => n + Number(x.value[0]), 0);
    const cpuNs = p.sample.reduce((n, x) => n + Number(x.value[1]), 0);
    assert.equal(cpuNs, samples * Math.round(1e9 / 49));
    assert.match(r.stderr, new RegExp(`: ${samples} samples,`), 'stderr reports the same total');
    assert.ok(samples >= 10, `only ${samples} samples in 2 s at 49 Hz`);
    assert.ok(
      p.sample.every((x) => x.label.some((l) => s(l.key) === 'pid' && Number(l.num) === hot.pid)),
      'a sample without the pid label of the profiled process',
    );
    const leafNames = p.sample.map((x) => {
      const loc = p.location.find((l) => l.id == x.locationId[0])!;
      return [s(p.function.find((f) => f.id == loc.line[0]!.functionId)!.name), Number(x.value[0])] as const;
    });
    const hotSamples = leafNames.filter(([n]) => n === 'loupe_hot_function').reduce((n, [, c]) => n + c, 0);
    assert.ok(hotSamples / samples >= 0.8, `leaf loupe_hot_function in ${hotSamples} of ${samples}`);
    const buildId = /Build ID: ([0-9a-f]+)/.exec(execFileSync('readelf', ['-n', hotBin], { encoding: 'utf8' }))![1];
    assert.ok(
      p.mapping.some((m) => s(m.filename) === hotBin && s(m.buildId) === buildId),
      `no mapping of ${hotBin} with build-id ${buildId}: ${p.mapping.map((m) => `${s(m.filename)} ${s(m.buildId)}`).join(', ')}`,
    );
  });

  it('--user-stacks build-id names the hot function through the build-id the kernel reports, in folded and pprof output', async () => {
    const hot = startBusy(hotBin);
    const out = join(dir, 'cpu-build-id.pb.gz');
    const [f, p] = await Promise.all([
      loupe(['profile', '--pid', String(hot.pid), '--duration', '2s', '--user-stacks', 'build-id']),
      loupe(['profile', '--pid', String(hot.pid), '--duration', '2s', '--user-stacks', 'build-id', '--format', 'pprof', '-o', out]),
    ]);
    await stop(hot);
    assert.equal(f.code, 0, f.stderr);
    assert.equal(p.code, 0, p.stderr);
    assert.match(f.stderr, new RegExp(`sampling pid ${hot.pid} at 99 Hz for 2 s \\(event: [a-z-]+, user stacks: build-id\\)`));
    const lines = folded(f.stdout.toString());
    const total = sum(lines, () => true);
    const hotShare = sum(lines, (st) => st.includes(';main;loupe_hot_function')) / total;
    console.log(`--user-stacks build-id: ${total} samples, ${(hotShare * 100).toFixed(1)}% in main;loupe_hot_function`);
    assert.ok(total >= 10, `only ${total} samples:\n${f.stderr}`);
    assert.ok(hotShare >= 0.8, `main;loupe_hot_function in ${(hotShare * 100).toFixed(1)}%:\n${f.stdout}`);

    const prof = decodePprof(readFileSync(out));
    const s = (i: number | bigint) => prof.stringTable.strings[Number(i)]!;
    assert.ok(prof.comment.map(s).includes('user stacks: build-id'));
    const buildId = /Build ID: ([0-9a-f]+)/.exec(execFileSync('readelf', ['-n', hotBin], { encoding: 'utf8' }))![1];
    const mapping = prof.mapping.find((m) => s(m.filename) === hotBin);
    assert.ok(mapping, `no mapping of ${hotBin}`);
    assert.equal(s(mapping.buildId), buildId);
    // Leaf locations of the hot function lie inside the binary's mapping, as in ip mode.
    const samples = prof.sample.reduce((n, x) => n + Number(x.value[0]), 0);
    const hotLeaves = prof.sample
      .filter((x) => {
        const loc = prof.location.find((l) => l.id == x.locationId[0])!;
        const name = s(prof.function.find((fn) => fn.id == loc.line[0]!.functionId)!.name);
        return name === 'loupe_hot_function' && loc.mappingId == mapping.id && BigInt(loc.address) >= BigInt(mapping.memoryStart) && BigInt(loc.address) < BigInt(mapping.memoryLimit);
      })
      .reduce((n, x) => n + Number(x.value[0]), 0);
    assert.ok(hotLeaves / samples >= 0.8, `leaf loupe_hot_function in ${hotBin}'s mapping in ${hotLeaves} of ${samples}`);
  });

  it('--cgroup PATH profiles only the tasks in that cgroup v2 directory', async () => {
    const mount = cgroup2Mount();
    assert.ok(mount, 'no cgroup2 file system is mounted here, so --cgroup cannot be tested');
    const cgroup = join(mount, `loupe-profile-test-${process.pid}`);
    mkdirSync(cgroup);
    const hot = startBusy(hotBin);
    const other = startBusy(otherBin);
    try {
      writeFileSync(join(cgroup, 'cgroup.procs'), String(hot.pid));
      const r = await loupe(['profile', '--cgroup', cgroup, '--duration', '2s']);
      assert.equal(r.code, 0, r.stderr);
      const lines = folded(r.stdout.toString());
      const total = sum(lines, () => true);
      console.log(`--cgroup ${cgroup}: ${total} samples; ${r.stderr.trim().split('\n').pop()}`);
      assert.ok(total >= 10, `only ${total} samples:\n${r.stderr}`);
      assert.ok(lines.every(([st]) => st.startsWith('hot;')), `tasks outside the cgroup leaked in:\n${r.stdout}`);
      assert.ok(sum(lines, (st) => st.includes(';loupe_hot_function')) / total >= 0.8);
    } finally {
      await Promise.all([stop(hot), stop(other)]);
      rmdirSync(cgroup);
    }
  });

  it('--cgroup works from inside a cgroup namespace, where the mount is not the hierarchy root', async () => {
    // loupe runs as the root of its own cgroup namespace (an outer cgroup, level 1) with cgroup2
    // mounted again, so the target (level 2 in the real hierarchy) is one level below that mount.
    const mount = cgroup2Mount();
    assert.ok(mount, 'no cgroup2 file system is mounted here, so --cgroup cannot be tested');
    const outer = join(mount, `loupe-cgns-test-${process.pid}`);
    const inner = join(outer, 'inner');
    mkdirSync(inner, { recursive: true });
    const wrapper = join(dir, 'in-cgroupns.sh');
    writeFileSync(
      wrapper,
      `cg=$1; shift; echo $$ > "$cg/cgroup.procs" && exec unshare --cgroup --mount --propagation private sh -c 'umount -l "$0" && mount -t cgroup2 cgroup2 "$0" && exec "$@"' ${mount} "$@"\n`,
    );
    const hot = startBusy(hotBin);
    const other = startBusy(otherBin);
    try {
      writeFileSync(join(inner, 'cgroup.procs'), String(hot.pid));
      const r = await loupe(['profile', '--cgroup', join(mount, 'inner'), '--duration', '2s'], { prefix: ['sh', wrapper, outer] });
      assert.equal(r.code, 0, r.stderr);
      const lines = folded(r.stdout.toString());
      const total = sum(lines, () => true);
      assert.ok(total >= 10, `only ${total} samples:\n${r.stderr}`);
      assert.ok(lines.every(([st]) => st.startsWith('hot;')), `tasks outside the cgroup leaked in:\n${r.stdout}`);
      assert.ok(sum(lines, (st) => st.includes(';loupe_hot_function')) / total >= 0.8);
    } finally {
      await Promise.all([stop(hot), stop(other)]);
      rmdirSync(inner);
      rmdirSync(outer);
    }
  });

  it('without a filter profiles every process, ours among them', async () => {
    const hot = startBusy(hotBin);
    const other = startBusy(otherBin);
    const r = await loupe(['profile', '--duration', '2s']);
    await Promise.all([stop(hot), stop(other)]);
    assert.equal(r.code, 0, r.stderr);
    const lines = folded(r.stdout.toString());
    assert.ok(sum(lines, (s) => s.startsWith('hot;') && s.includes(';loupe_hot_function')) >= 10, `hot is missing:\n${r.stdout.subarray(0, 4000)}`);
    assert.ok(sum(lines, (s) => s.startsWith('other;') && s.includes(';loupe_other_function')) >= 10, 'other is missing');
    assert.match(r.stderr, /sampling all processes/);
  });

  it('SIGINT ends the profile early and still writes it', async () => {
    const hot = startBusy(hotBin);
    const r = await loupe(['profile', '--pid', String(hot.pid), '--duration', '60s'], { interruptAfterMs: 1000 });
    await stop(hot);
    assert.equal(r.code, 0, r.stderr);
    const seconds = Number(/ in ([\d.]+) s;/.exec(r.stderr)?.[1]);
    assert.ok(seconds >= 0.9 && seconds < 5, `sampled for ${seconds} s of the 60 s asked before SIGINT:\n${r.stderr}`);
    assert.ok(sum(folded(r.stdout.toString()), (s) => s.includes(';loupe_hot_function')) > 0, r.stdout.toString());
  });

  it('bad arguments exit 2 with one line naming the problem', async () => {
    const cases: [string[], RegExp][] = [
      [['--pid', '4194305'], /--pid 4194305: no such process/],
      [['--pid', 'abc'], /--pid "abc": must be a process id/],
      [['--duration', '0s'], /--duration "0s": must be a positive duration/],
      [['--duration=-5s'], /--duration "-5s": must be a positive duration/],
      [['--format', 'svg'], /--format "svg": must be folded or pprof/],
      [['--user-stacks', 'addr'], /--user-stacks "addr": must be ip or build-id/],
      [['--event', 'instructions'], /--event "instructions": must be auto, cpu-clock or cycles/],
      [['--pid', String(process.pid), '--cgroup', '/sys/fs/cgroup'], /--pid and --cgroup: pass one of them, not both/],
      [['--frequency', '0'], /--frequency "0": must be an integer from 1 to 10000/],
      [['--cgroup', tmpdir()], /not a cgroup v2 directory/],
      [['--bogus'], /Unknown option '--bogus'/],
    ];
    const runs = await Promise.all(cases.map(([args]) => loupe(['profile', ...args])));
    runs.forEach((r, i) => {
      const [args, message] = cases[i]!;
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message, args.join(' '));
      assert.equal(r.stderr.trimEnd().split('\n').length, 1, `${args.join(' ')}: more than one line:\n${r.stderr}`);
      assert.match(r.stderr, /^loupe profile: /);
    });
  });

  it('without CAP_BPF and CAP_PERFMON exits 1 with the capability message', async () => {
    const r = await loupe(['profile', '--duration', '1s'], { prefix: ['setpriv', '--bounding-set=-bpf,-perfmon,-sys_admin'] });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /^loupe profile: .*missing CAP_BPF, CAP_PERFMON/);
    assert.equal(r.stdout.length, 0);
  });
});
