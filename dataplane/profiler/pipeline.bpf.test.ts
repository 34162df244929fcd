// CPU profiling on the real kernel: native-bpf's profiler and symbolizer through their one door,
// and the pipeline that ships (runSession -> SampleCollector -> folded / pprof), as `loupe profile`
// and the PEM run it. Needs root (or CAP_BPF + CAP_PERFMON, and CAP_SYSLOG for kernel symbols), BTF,
// cc, and the addon built by `bash native-bpf/build.sh`. Without them these tests fail; they never skip.
import assert from 'node:assert/strict';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  BUILD_ID_FRAME,
  BUILD_ID_SIZE,
  capabilities,
  demangle,
  demangleAll,
  ElfFile,
  kernelBuildId,
  kernelFormBuildId,
  loadAddon,
  NativeBpfError,
  parseProcMaps,
  Symbolizer,
  type Stack,
  type StartOptions,
} from '../../native-bpf/index.js';
import { toFolded } from './folded.js';
import { decodePprof, encodePprof, toPprof } from './pprof.js';
import { SampleCollector } from './samples.js';
import { runSession, type SessionOptions, type SessionResult } from './session.js';

const HOT_C = `
#include <stdio.h>
__attribute__((noinline)) unsigned long loupe_hot_function(unsigned long n) {
  volatile unsigned long acc = 0;
  for (unsigned long i = 0; i < n; i++) acc += i * i;
  return acc;
}
__attribute__((noinline)) unsigned long loupe_cold_function(unsigned long n) {
  volatile unsigned long acc = 0;
  for (unsigned long i = 0; i < n; i++) acc += i;
  return acc;
}
int main(void) {
  unsigned long s = 0;
  for (;;) {
    s += loupe_hot_function(20000000);
    s += loupe_cold_function(200000);
    if (s == 42) puts("");
  }
}
`;

const SYSCALL_C = `
#include <fcntl.h>
#include <unistd.h>
int main(void) {
  int fd = open("/dev/null", O_WRONLY);
  char buf[64] = {0};
  for (;;) {
    if (write(fd, buf, sizeof buf) < 0) return 1;
    getppid();
  }
}
`;

// C++ with a namespace, a class, an overload and a template, so names need real demangling.
const HOT_CPP = `
#include <cstdio>
namespace loupe {
template <typename T> struct Spinner {
  __attribute__((noinline)) static T spin(T n) {
    volatile T acc = 0;
    for (T i = 0; i < n; i++) acc += i * i;
    return acc;
  }
};
__attribute__((noinline)) unsigned long work(unsigned long n) { return Spinner<unsigned long>::spin(n); }
__attribute__((noinline)) unsigned long work(int n) { return static_cast<unsigned long>(n); }
}
int main() {
  unsigned long s = 0;
  for (;;) {
    s += loupe::work(20000000UL) + loupe::work(1);
    if (s == 42) std::puts("");
  }
}
`;

/** Whether the kernel has a hardware PMU for PERF_TYPE_HARDWARE (x86 "cpu", hybrid "cpu_core", arm "armv8_pmuv3_0"). */
const hasHardwarePmu = readdirSync('/sys/bus/event_source/devices').some((d) => d === 'cpu' || d.startsWith('cpu_') || d.startsWith('armv'));

let dir: string;
const children: ChildProcess[] = [];

function build(name: string, source: string, lang: 'c' | 'c++' = 'c'): string {
  const src = join(dir, `${name}.${lang === 'c' ? 'c' : 'cc'}`);
  writeFileSync(src, source);
  const bin = join(dir, name);
  execFileSync(lang === 'c' ? 'cc' : 'g++', ['-O0', '-fno-omit-frame-pointer', '-mno-omit-leaf-frame-pointer', '-o', bin, src]);
  return bin;
}

/** A SampleCollector that also keeps the drained stacks as the kernel reported them. */
class RecordingCollector extends SampleCollector {
  readonly stacks: Stack[] = [];
  override add(stacks: Stack[]): void {
    this.stacks.push(...stacks);
    super.add(stacks);
  }
}

interface Profiled extends SessionResult {
  /** As `loupe profile --format folded` writes them. */
  folded: string;
  /** The drained stacks, unsymbolized. */
  stacks: Stack[];
}

/** A profiling session of one process, as `loupe profile --pid` runs it; call while the process is alive. */
async function profile(pid: number, opts: Partial<SessionOptions> & { durationMs: number }): Promise<Profiled> {
  const collector = new RecordingCollector();
  const result = await runSession({ frequencyHz: 99, pid, ...opts }, collector);
  return { ...result, folded: toFolded(result.samples), stacks: collector.stacks };
}

async function runAndProfile(bin: string, durationMs: number): Promise<{ pid: number; result: Profiled }> {
  const child = spawn(bin, [], { stdio: 'ignore' });
  children.push(child);
  assert.ok(child.pid, `could not start ${bin}`);
  await new Promise((r) => setTimeout(r, 100));
  try {
    return { pid: child.pid, result: await profile(child.pid, { durationMs }) };
  } finally {
    child.kill('SIGKILL');
  }
}

/** readelf's view of a binary: the build-id and the file offset of a link-time address. */
function readelf(bin: string, vaddr: bigint): { buildId: string; fileOffset: bigint } {
  const notes = execFileSync('readelf', ['-n', bin], { encoding: 'utf8' });
  const buildId = /Build ID: ([0-9a-f]+)/.exec(notes)?.[1];
  assert.ok(buildId, `readelf shows no build-id for ${bin}`);
  for (const m of execFileSync('readelf', ['-lW', bin], { encoding: 'utf8' }).matchAll(/^\s*LOAD\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+0x[0-9a-f]+\s+0x([0-9a-f]+)/gm)) {
    const [offset, segVaddr, filesz] = [BigInt('0x' + m[1]), BigInt('0x' + m[2]), BigInt('0x' + m[3])];
    if (vaddr >= segVaddr && vaddr < segVaddr + filesz) return { buildId, fileOffset: vaddr - segVaddr + offset };
  }
  assert.fail(`no LOAD segment of ${bin} holds 0x${vaddr.toString(16)}`);
}

function nmAddress(bin: string, symbol: string): bigint {
  const nm = new RegExp(`^([0-9a-f]+) T ${symbol}$`, 'm').exec(execFileSync('nm', [bin], { encoding: 'utf8' }));
  assert.ok(nm, `nm does not list ${symbol}`);
  return BigInt('0x' + nm[1]);
}

function samplesWhere(folded: string, pred: (line: string) => boolean): number {
  let n = 0;
  for (const line of folded.split('\n')) {
    const m = /^(.*) (\d+)$/.exec(line);
    if (m && pred(m[1]!)) n += Number(m[2]);
  }
  return n;
}

describe('CPU profiling on the real kernel', () => {
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'loupe-profiler-test-'));
  });
  after(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports BPF as available here (CAP_BPF/CAP_PERFMON, BTF, kernel >= 5.8)', () => {
    const caps = capabilities();
    assert.ok(caps.ok, caps.message);
    assert.deepEqual(caps.missing, []);
  });

  it('finds the hot function in the test binary with the ELF reader', () => {
    const bin = build('hot', HOT_C);
    const elf = ElfFile.open(bin);
    assert.ok(elf, 'not parsed as ELF');
    const addr = nmAddress(bin, 'loupe_hot_function');
    assert.equal(elf.symbols.lookup(addr), 'loupe_hot_function');
    assert.equal(elf.symbols.lookup(addr + 8n), 'loupe_hot_function');
    assert.equal(elf.buildId, readelf(bin, addr).buildId);
  });

  it('resolves a live frame to its function, its mapping (path, range, offset, build-id) and its file offset', async () => {
    const bin = build('hot', HOT_C);
    const child = spawn(bin, [], { stdio: 'ignore' });
    children.push(child);
    await new Promise((r) => setTimeout(r, 100));
    const { buildId, fileOffset } = readelf(bin, nmAddress(bin, 'loupe_hot_function') + 8n);
    const m = parseProcMaps(readFileSync(`/proc/${child.pid}/maps`, 'utf8')).find((e) => e.path === bin && e.perms.includes('x') && fileOffset >= e.offset && fileOffset < e.offset + (e.end - e.start));
    assert.ok(m, `no executable mapping of ${bin} holds file offset 0x${fileOffset.toString(16)}`);
    const addr = m.start + (fileOffset - m.offset);

    const symbolizer = new Symbolizer();
    const leaf = symbolizer.user(child.pid!, addr, false);
    child.kill('SIGKILL');
    assert.equal(leaf.name, 'loupe_hot_function');
    assert.equal(leaf.systemName, 'loupe_hot_function');
    assert.equal(leaf.address, addr);
    assert.equal(leaf.fileOffset, fileOffset);
    assert.deepEqual(leaf.mapping, { key: `${child.pid}:${m.start}`, start: m.start, end: m.end, fileOffset: m.offset, path: bin, buildId });
    // A caller's return address is looked up one byte back: the call instruction.
    const caller = symbolizer.user(child.pid!, addr + 1n, true);
    assert.equal(caller.name, 'loupe_hot_function');
    assert.equal(caller.fileOffset, fileOffset);
    assert.equal(caller.address, addr + 1n);
    assert.equal(symbolizer.user(child.pid!, 0x10n, false).mapping, undefined, 'an address outside every mapping');
    assert.equal(symbolizer.user(child.pid!, 0x10n, false).name, '0x10');
    // The same frame as build-id mode reports it: found through the mapping whose file has that build-id.
    const byBuildId = symbolizer.userBuildId(child.pid!, kernelFormBuildId(buildId), fileOffset, false);
    assert.deepEqual(byBuildId, leaf);
    const unknown = 'ab'.repeat(BUILD_ID_SIZE);
    assert.deepEqual(symbolizer.userBuildId(child.pid!, unknown, 0x10n, true), { name: `build-id:${unknown}+0xf`, systemName: `build-id:${unknown}+0xf`, address: 0x10n, mapping: undefined, fileOffset: 0xfn });
  });

  it('attributes most samples of a CPU-bound process to its hot function, called from main', async () => {
    const bin = build('hot', HOT_C);
    const { pid, result } = await runAndProfile(bin, 2000);
    const mine = result.samples.filter((s) => s.tgid === pid);
    const total = mine.reduce((n, s) => n + s.count, 0);
    assert.equal(total, result.total, 'the pid filter let other processes through');
    const hot = samplesWhere(result.folded, (l) => l.includes(';loupe_hot_function'));
    const withCaller = samplesWhere(result.folded, (l) => l.includes(';main;loupe_hot_function'));
    const share = hot / total;
    console.log(`hot: ${total} samples, loupe_hot_function in ${hot} (${(share * 100).toFixed(1)}%), main;loupe_hot_function in ${withCaller}; counters ${JSON.stringify(result.counters)}`);
    console.log(result.folded.split('\n').slice(0, 5).join('\n'));
    // 2 s at 99 Hz is ~198 samples for a process that is always on a CPU.
    // The count depends on how much CPU the process got (other tests run beside it); the shares below are what matter.
    assert.ok(total >= 20, `only ${total} samples in 2 s at 99 Hz`);
    assert.ok(share >= 0.8, `loupe_hot_function in ${(share * 100).toFixed(1)}% of samples:\n${result.folded}`);
    assert.ok(withCaller / hot >= 0.9, `frame-pointer unwinding lost main in ${hot - withCaller} of ${hot} samples`);
    assert.equal(result.counters.lostCountsMapFull, 0);
    assert.equal(result.counters.samples, total, 'samples counted in the kernel but not drained');
  });

  it('build-id mode: user frames come from the kernel as (build-id, file offset) and name the same hot path as ip mode', async () => {
    const bin = build('hot', HOT_C);
    const hotVaddr = nmAddress(bin, 'loupe_hot_function');
    const { buildId, fileOffset: hotOffset } = readelf(bin, hotVaddr);
    const hotSize = BigInt('0x' + new RegExp('^[0-9a-f]+ ([0-9a-f]+) T loupe_hot_function$', 'm').exec(execFileSync('nm', ['-S', bin], { encoding: 'utf8' }))![1]);
    const child = spawn(bin, [], { stdio: 'ignore' });
    children.push(child);
    await new Promise((r) => setTimeout(r, 100));
    let ip: Profiled;
    let byId: Profiled;
    try {
      ip = await profile(child.pid!, { durationMs: 2000 });
      byId = await profile(child.pid!, { durationMs: 2000, userStackMode: 'build-id' });
    } finally {
      child.kill('SIGKILL');
    }
    const top = (r: Profiled) => r.folded.split('\n')[0]!.replace(/ \d+$/, '');
    const hotShare = (r: Profiled) => samplesWhere(r.folded, (l) => l.includes(';main;loupe_hot_function')) / r.total;
    console.log(`ip: ${ip.total} samples, top ${top(ip)}; build-id: ${byId.total} samples, top ${top(byId)}`);
    assert.deepEqual([ip.info.userStackMode, byId.info.userStackMode], ['ip', 'build-id']);
    assert.ok(ip.stacks.every((s) => s.userBuildIds === undefined && s.userFrameStatus === undefined), 'ip mode returned build-id frames');
    assert.ok(ip.total >= 20 && byId.total >= 20, `too few samples: ${ip.total} (ip), ${byId.total} (build-id)`);
    assert.equal(top(byId), top(ip));
    assert.match(top(byId), /^hot;.*;main;loupe_hot_function$/);
    assert.ok(hotShare(ip) >= 0.8 && hotShare(byId) >= 0.8, `main;loupe_hot_function: ${hotShare(ip)} (ip), ${hotShare(byId)} (build-id)`);

    // The leaf frames in the hot function really came as the binary's build-id + an offset inside it.
    let leaves = 0;
    let hotLeaves = 0;
    for (const s of byId.stacks) {
      if (!s.userFrameStatus || s.userFrameStatus.length === 0) continue;
      leaves += s.count;
      const id = Buffer.from(s.userBuildIds!.subarray(0, BUILD_ID_SIZE)).toString('hex');
      const off = s.userFrames[0]!;
      if (s.userFrameStatus[0] === BUILD_ID_FRAME.valid && id === kernelFormBuildId(buildId) && off >= hotOffset && off < hotOffset + hotSize) hotLeaves += s.count;
    }
    assert.ok(hotLeaves / leaves >= 0.8, `${hotLeaves} of ${leaves} leaf frames are (build-id ${buildId}, an offset in loupe_hot_function)`);
  });

  it("event 'auto' samples on cycles where there is a hardware PMU, else falls back to cpu-clock; 'cycles' without a PMU fails naming it", async () => {
    const bin = build('hot', HOT_C);
    const child = spawn(bin, [], { stdio: 'ignore' });
    children.push(child);
    try {
      const auto = await profile(child.pid!, { durationMs: 1000 });
      const explicit = await profile(child.pid!, { durationMs: 1000, event: 'cpu-clock', userStackMode: 'build-id' });
      console.log(`hardware PMU: ${hasHardwarePmu}; auto sampled on ${auto.info.event} (${auto.total} samples)`);
      assert.equal(auto.info.event, hasHardwarePmu ? 'cycles' : 'cpu-clock');
      assert.ok(samplesWhere(auto.folded, (l) => l.includes(';loupe_hot_function')) > 0, auto.folded);
      assert.equal(explicit.info.event, 'cpu-clock');
      assert.ok(explicit.total > 0);
      const started = profile(child.pid!, { durationMs: 100, event: 'cycles' });
      if (hasHardwarePmu) {
        assert.deepEqual((await started).info, { event: 'cycles', userStackMode: 'ip' });
      } else {
        await assert.rejects(started, (err: unknown) => {
          assert.ok(err instanceof NativeBpfError, String(err));
          assert.equal(err.code, 'EPERF_NO_PMU');
          assert.match(err.message, /^event 'cycles' is unavailable: perf_event_open\(PERF_TYPE_HARDWARE\/PERF_COUNT_HW_CPU_CYCLES, cpu \d+\) failed: (No such file or directory|Operation not supported|No such device): this machine has no hardware PMU for CPU cycles .*use event 'cpu-clock'/);
          return true;
        });
      }
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('rejects bad options with a specific error before loading anything', () => {
    const native = loadAddon();
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ frequencyHz: 99, event: 'instructions' }, /^startProfiler: options\.event must be 'auto', 'cpu-clock' or 'cycles', not 'instructions'$/],
      [{ frequencyHz: 99, event: 3 }, /^startProfiler: options\.event must be 'auto', 'cpu-clock' or 'cycles'$/],
      [{ frequencyHz: 99, userStackMode: 'build_id' }, /^startProfiler: options\.userStackMode must be 'ip' or 'build-id', not 'build_id'$/],
      [{ frequencyHz: 0 }, /^startProfiler: options\.frequencyHz must be an integer in \[1, 100000\]$/],
      [{ frequencyHz: 99, cgroupPath: '' }, /^startProfiler: options\.cgroupPath must be a non-empty string$/],
      [{ frequencyHz: 99, pid: 1, cgroupPath: '/sys/fs/cgroup' }, /^startProfiler: set options\.pid or options\.cgroupPath, not both$/],
    ];
    for (const [opts, message] of cases) assert.throws(() => native.startProfiler(opts as unknown as StartOptions), { code: 'EINVAL', message }, JSON.stringify(opts));
  });

  it('demangles C++ names with the addon and leaves C names and non-names alone', () => {
    assert.equal(demangle('_ZN2v88internal7Isolate4InitEv'), 'v8::internal::Isolate::Init()');
    assert.deepEqual(demangleAll(['_ZN2v88internal7Isolate4InitEv', 'main', 'i', '_Z3foov.cold', '_Znot-a-name', '_ZN2v88internal7Isolate4InitEv']), [
      'v8::internal::Isolate::Init()',
      'main',
      'i', // a C name that __cxa_demangle alone would turn into "int"
      'foo() [clone .cold]',
      '_Znot-a-name',
      'v8::internal::Isolate::Init()',
    ]);
    const native = loadAddon();
    assert.deepEqual(native.demangle(['_ZN5loupe4workEm', 'uv_run']), ['loupe::work(unsigned long)', 'uv_run']);
    assert.throws(() => native.demangle('_ZN5loupe4workEm' as unknown as string[]), { name: 'TypeError', message: 'demangle: expected an array of symbol names (strings)' });
    assert.throws(() => native.demangle(['main', 7 as unknown as string]), { name: 'TypeError', message: 'demangle: names[1] is not a string' });
  });

  it('shows C++ functions of a profiled process demangled, with the mangled symbol kept as systemName', async () => {
    const bin = build('hotcpp', HOT_CPP, 'c++');
    const spin = 'loupe::Spinner<unsigned long>::spin(unsigned long)';
    const { pid, result } = await runAndProfile(bin, 2000);
    const leaves = result.samples.filter((s) => s.tgid === pid).flatMap((s) => s.frames.filter((f) => !f.kernel).slice(0, 1));
    const hotLeaf = leaves.find((f) => f.name === spin);
    assert.ok(hotLeaf, `no leaf frame named ${spin}: ${leaves.map((f) => f.name).join(', ')}`);
    assert.equal(hotLeaf.systemName, '_ZN5loupe7SpinnerImE4spinEm');
    assert.equal(hotLeaf.mapping?.path, bin);
    const total = result.samples.filter((s) => s.tgid === pid).reduce((n, s) => n + s.count, 0);
    const hot = samplesWhere(result.folded, (l) => l.includes(`;main;loupe::work(unsigned long);${spin}`));
    console.log(`hotcpp: ${total} samples, main;loupe::work(unsigned long);${spin} in ${hot}`);
    console.log(result.folded.split('\n').slice(0, 3).join('\n'));
    assert.ok(total >= 20, `only ${total} samples in 2 s at 99 Hz`);
    assert.ok(hot / total >= 0.8, `the demangled hot path in ${hot} of ${total} samples:\n${result.folded}`);
    assert.ok(!result.folded.includes('_ZN5loupe'), `mangled names left:\n${result.folded}`);
  });

  it('shows kernel frames for a syscall-heavy process', async () => {
    const bin = build('syscalls', SYSCALL_C);
    const { pid, result } = await runAndProfile(bin, 2000);
    const total = result.total;
    const withKernel = result.samples.filter((s) => s.tgid === pid && s.frames.some((f) => f.kernel));
    const kernelSamples = withKernel.reduce((n, s) => n + s.count, 0);
    const syscallPath = samplesWhere(result.folded, (l) => /;(entry_SYSCALL_64|do_syscall_64)[^;]*_\[k\]/.test(l));
    const writePath = samplesWhere(result.folded, (l) => /;ksys_write_\[k\]|;__x64_sys_write_\[k\]/.test(l));
    console.log(`syscalls: ${total} samples, ${kernelSamples} with kernel frames, ${syscallPath} through the syscall entry, ${writePath} in write`);
    console.log(result.folded.split('\n').slice(0, 5).join('\n'));
    assert.ok(total >= 20, `only ${total} samples in 2 s at 99 Hz`);
    assert.ok(kernelSamples / total >= 0.3, `only ${kernelSamples} of ${total} samples have kernel frames`);
    assert.ok(syscallPath / kernelSamples >= 0.8, `kernel stacks do not reach the syscall entry:\n${result.folded}`);
    assert.ok(writePath > 0, `no sample in the write syscall:\n${result.folded}`);
    // Kernel frames resolve to names, not raw addresses.
    const frames = withKernel.flatMap((s) => s.frames.filter((f) => f.kernel).map((f) => f.name));
    assert.ok(frames.length > 0 && frames.every((f) => !f.startsWith('0x')), `unresolved kernel frames: ${frames.filter((f) => f.startsWith('0x')).join(', ')}`);
  });
});

describe('SampleCollector on live frames of this process', () => {
  /** The runtime address of a function of the node executable (global or, as V8's internals are
   * in nodejs.org's builds, local), through /proc/self/maps. */
  function nodeAddress(exe: string, symbol: string, delta: bigint): bigint {
    const nm = new RegExp(`^([0-9a-f]+) [Tt] ${symbol}$`, 'm').exec(execFileSync('nm', [exe], { encoding: 'utf8', maxBuffer: 256 << 20 }));
    assert.ok(nm, `nm does not list ${symbol}`);
    const vaddr = BigInt('0x' + nm[1]) + delta;
    const seg = ElfFile.open(exe)!.segments.find((g) => vaddr >= g.vaddr && vaddr < g.vaddr + g.filesz)!;
    const off = vaddr - seg.vaddr + seg.offset;
    const m = parseProcMaps(readFileSync('/proc/self/maps', 'utf8')).find((e) => e.path === exe && e.perms.includes('x') && off >= e.offset && off < e.offset + (e.end - e.start))!;
    return m.start + (off - m.offset);
  }

  it('names live frames of this process, attaches the mapping with its build-id, and names each address once', () => {
    const exe = realpathSync(process.execPath);
    const kallsyms = /^([0-9a-f]+) T do_syscall_64$/m.exec(readFileSync('/proc/kallsyms', 'utf8'));
    assert.ok(kallsyms && BigInt('0x' + kallsyms[1]) !== 0n, 'kallsyms hides addresses (needs root / CAP_SYSLOG)');
    const stack: Stack = {
      tgid: process.pid,
      pid: process.pid,
      comm: 'node',
      count: 3,
      userFrames: BigUint64Array.of(nodeAddress(exe, 'uv_run', 8n), nodeAddress(exe, 'uv_loop_init', 16n)),
      kernFrames: BigUint64Array.of(BigInt('0x' + kallsyms[1]) + 4n),
    };
    class CountingSymbolizer extends Symbolizer {
      calls = 0;
      override user(tgid: number, addr: bigint, isReturnAddress: boolean) {
        this.calls++;
        return super.user(tgid, addr, isReturnAddress);
      }
    }
    const symbolizer = new CountingSymbolizer();
    const collector = new SampleCollector(symbolizer);
    collector.add([stack]);
    collector.add([{ ...stack, count: 2 }]);
    assert.equal(collector.samples()[0]!.count, 5);
    collector.add([{ ...stack, count: 1 }]);
    assert.equal(symbolizer.calls, 2, 'each of the two user frames named once');
    assert.equal(collector.total, 6);
    const [sample] = collector.samples();
    assert.equal(sample!.count, 6);
    assert.deepEqual(
      sample!.frames.map((f) => [f.name, f.kernel, f.mapping?.path]),
      [
        ['do_syscall_64', true, '[kernel.kallsyms]'],
        ['uv_run', false, exe],
        ['uv_loop_init', false, exe],
      ],
    );
    const nodeBuildId = ElfFile.open(exe)!.buildId;
    assert.match(nodeBuildId, /^[0-9a-f]{40}$/);
    assert.equal(sample!.frames[1]!.mapping!.buildId, nodeBuildId);
    assert.equal(sample!.frames[0]!.mapping!.buildId, kernelBuildId());

    const p = decodePprof(encodePprof(toPprof(collector.samples(), { frequencyHz: 49 })));
    const s = (i: number | bigint) => p.stringTable.strings[Number(i)];
    const functionName = (locationId: number | bigint) => s(p.function.find((f) => f.id == p.location.find((l) => l.id == locationId)!.line[0]!.functionId)!.name);
    assert.deepEqual(p.sample[0]!.locationId.map(functionName), ['do_syscall_64', 'uv_run', 'uv_loop_init']);
    assert.deepEqual(p.sample[0]!.value.map(Number), [6, 6 * Math.round(1e9 / 49)]);
    assert.ok(p.mapping.some((m) => s(m.filename) === exe && s(m.buildId) === nodeBuildId));
    assert.equal(toFolded(collector.samples()), 'node;uv_loop_init;uv_run;do_syscall_64_[k] 6\n');
  });

  it("names node's own C++ frames demangled, as c++filt does, and keeps the mangled symbol as the pprof systemName", () => {
    const exe = realpathSync(process.execPath);
    const mangled = '_ZN2v88internal7Isolate4InitEPNS0_12SnapshotDataES3_S3_b';
    const expected = execFileSync('c++filt', [mangled], { encoding: 'utf8' }).trim();
    assert.equal(expected, 'v8::internal::Isolate::Init(v8::internal::SnapshotData*, v8::internal::SnapshotData*, v8::internal::SnapshotData*, bool)');
    const collector = new SampleCollector();
    collector.add([{ tgid: process.pid, pid: process.pid, comm: 'node', count: 1, userFrames: BigUint64Array.of(nodeAddress(exe, mangled, 4n)), kernFrames: new BigUint64Array(0) }]);
    const [frame] = collector.samples()[0]!.frames;
    assert.deepEqual([frame!.name, frame!.systemName, frame!.mapping?.path], [expected, mangled, exe]);
    const p = decodePprof(encodePprof(toPprof(collector.samples(), { frequencyHz: 99 })));
    const s = (i: number | bigint) => p.stringTable.strings[Number(i)];
    assert.deepEqual(
      p.function.map((f) => [s(f.name), s(f.systemName)]),
      [[expected, mangled]],
    );
    assert.equal(toFolded(collector.samples()), `node;${expected} 1\n`);
  });
});
