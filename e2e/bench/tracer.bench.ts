// Socket tracer cost: requests/s of a Node HTTP server under a keep-alive load with tracing
// on vs off, alternating in the same run (off, hooks only, capture only, on, off, ...) so machine
// drift cancels out ("hooks only": the same attachments with programs that return at once, the
// ceiling any syscall-hook tracer can reach here; "capture only": the BPF programs capture every
// payload into the ring buffer and the addon drains it, but nothing parses it, the ceiling of any
// user space on top of this kernel side);
// and the share of the requests the server handled that the tracer turned into http_events rows.
// Two load generators: wrk (C, the choice: the server is the bottleneck) and a Node
// keep-alive client (both cores saturated by Node, so every µs the tracer takes shows).
// Not a test: no thresholds.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { SocketTraceCollector } from '../../dataplane/collectors/socket-trace-collector.js';
import { SocketTracer } from '../../native-bpf/index.js';
import { parseProcStat } from '../../dataplane/stats/process-stats.js';

const SECONDS = Number(process.env['BENCH_TRACE_SECONDS'] ?? 5);
const CONNECTIONS = Number(process.env['BENCH_TRACE_CONNECTIONS'] ?? 16);
const ROUNDS = Number(process.env['BENCH_TRACE_ROUNDS'] ?? 3);
const GENERATORS = (process.env['BENCH_TRACE_LOAD'] ?? 'wrk,node').split(',') as Generator[];
type Generator = 'wrk' | 'node';

// Counts the requests it handled; the parent asks over IPC.
const SERVER = `let handled = 0; const s = require('http').createServer((q, r) => { handled++; r.writeHead(200, { 'content-type': 'application/json' }); r.end('{"ok":true,"path":"' + q.url + '"}'); });
s.keepAliveTimeout = 60000; s.listen(0, '127.0.0.1', () => console.log(s.address().port)); process.on('message', () => process.send(handled));`;

// Keep-alive load for a fixed time; prints completed requests and its CPU µs.
const NODE_LOAD = `const http = require('http'); const [port, conns, ms] = process.argv.slice(1).map(Number);
const agent = new http.Agent({ keepAlive: true, maxSockets: conns }); let done = 0; let stop = false;
function one(i) { if (stop) return; http.get({ host: '127.0.0.1', port, path: '/r' + (i % 100), agent }, (res) => { res.resume(); res.on('end', () => { done++; one(i + 1); }); }).on('error', () => {}); }
for (let c = 0; c < conns; c++) one(c * 1000);
setTimeout(() => { stop = true; setTimeout(() => { const c = process.cpuUsage(); console.log(done, c.user + c.system); process.exit(0); }, 200); }, ms);`;

// wrk with 100 distinct paths, as the Node client sends.
const WRK_SCRIPT = `n = 0
request = function() n = n + 1; return wrk.format(nil, "/r" .. (n % 100)) end`;

const scratch = mkdtempSync(join(tmpdir(), 'loupe-tracer-bench-'));
const wrkScript = join(scratch, 'paths.lua');
writeFileSync(wrkScript, WRK_SCRIPT);

const cpuSeconds = (pid: number): number | undefined => {
  try {
    const stat = parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    return (stat.utimeTicks + stat.stimeTicks) / 100; // USER_HZ
  } catch {
    return undefined; // exited
  }
};

interface LoadRun {
  /** Requests the server handled during the run (its own count). */
  handled: number;
  /** CPU seconds of the load generator and of the server during the run. */
  clientCpu: number;
  serverCpu: number;
}

class Server {
  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
  ) {}

  static async start(): Promise<Server> {
    const child = spawn(process.execPath, ['-e', SERVER], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
    const [line] = (await once(child.stdout!, 'data')) as [Buffer];
    return new Server(child, Number(line.toString().trim()));
  }

  async handled(): Promise<number> {
    this.child.send('count');
    const [n] = (await once(this.child, 'message')) as [number];
    return n;
  }

  cpu(): number {
    return cpuSeconds(this.child.pid!) ?? 0;
  }
}

async function load(generator: Generator, server: Server, seconds = SECONDS): Promise<LoadRun> {
  const handled0 = await server.handled();
  const server0 = server.cpu();
  let clientCpu = 0;
  if (generator === 'wrk') {
    const p = spawn('wrk', ['-t1', `-c${CONNECTIONS}`, `-d${seconds}s`, '-s', wrkScript, `http://127.0.0.1:${server.port}/`], { stdio: ['ignore', 'ignore', 'inherit'] });
    // wrk does not report its CPU; sample it until it exits.
    const sampler = setInterval(() => (clientCpu = cpuSeconds(p.pid!) ?? clientCpu), 50);
    await once(p, 'exit');
    clearInterval(sampler);
  } else {
    const p = spawn(process.execPath, ['-e', NODE_LOAD, String(server.port), String(CONNECTIONS), String(seconds * 1000)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout!.on('data', (d: Buffer) => (out += d));
    await once(p, 'exit');
    clientCpu = Number(out.trim().split(' ')[1]) / 1e6;
  }
  await new Promise((r) => setTimeout(r, 100)); // responses in flight when the load stopped
  return { handled: (await server.handled()) - handled0, clientCpu, serverCpu: server.cpu() - server0 };
}

/** A load run while the tracer captures every payload and the addon drains it, unparsed. */
async function captureOnly(generator: Generator, server: Server, measureProgramTime = false) {
  const tracer = await SocketTracer.start({ pids: [server.child.pid!], measureProgramTime });
  const cpu0 = process.cpuUsage();
  const drain = setInterval(() => tracer.drainBatch(), 100);
  const run = await load(generator, server);
  clearInterval(drain);
  const cpu = process.cpuUsage(cpu0);
  await tracer.stopBatches();
  return { run, drainCpu: (cpu.user + cpu.system) / 1e6, counters: tracer.counters! };
}

async function measure(generator: Generator, server: Server): Promise<void> {
  await load(generator, server, 2); // warm-up of the server
  // A PEM runs for days: compile the collector's JS path before measuring, as a long run would have.
  {
    const collector = await SocketTraceCollector.start({ pids: [server.child.pid!] });
    const poller = setInterval(() => collector.poll(), 100);
    await load(generator, server, 2);
    clearInterval(poller);
    await collector.stop();
  }
  const off: LoadRun[] = [];
  const hooks: LoadRun[] = [];
  const capture: LoadRun[] = [];
  let drainCpu = 0;
  const on: LoadRun[] = [];
  const captured: number[] = [];
  let tracerCpu = 0;
  let lost = 0;
  let rssTracing = 0;
  const rssIdle = process.memoryUsage().rss;
  for (let round = 0; round < ROUNDS; round++) {
    off.push(await load(generator, server));
    // The same hooks with programs that return at once: the ceiling of any syscall-hook tracer here.
    const bare = await SocketTraceCollector.start({ pids: [server.child.pid!], hooksOnly: true });
    hooks.push(await load(generator, server));
    await bare.stop();
    const c = await captureOnly(generator, server);
    capture.push(c.run);
    drainCpu += c.drainCpu;
    const collector = await SocketTraceCollector.start({ pids: [server.child.pid!] });
    let rows = 0;
    // Collector CPU while the load runs and until its events are drained (not BPF load/unload).
    const cpu0 = process.cpuUsage();
    const poller = setInterval(() => {
      rows += collector.poll().httpEvents.length;
      rssTracing = Math.max(rssTracing, process.memoryUsage().rss);
    }, 100);
    const run = await load(generator, server);
    clearInterval(poller);
    await new Promise((r) => setTimeout(r, 300));
    rows += collector.poll().httpEvents.length;
    const cpu = process.cpuUsage(cpu0);
    rows += (await collector.stop()).httpEvents.length;
    tracerCpu += (cpu.user + cpu.system) / 1e6;
    lost += collector.counters?.lostRingbufFull ?? 0;
    on.push(run);
    captured.push(rows / run.handled);
  }
  // One more capture-only run with the kernel timing the program (which adds a clock read per run).
  const timed = await captureOnly(generator, server, true);
  const sum = (xs: LoadRun[], f: (r: LoadRun) => number) => xs.reduce((a, r) => a + f(r), 0);
  const handled = (r: LoadRun) => r.handled;
  const perRequest = (xs: LoadRun[], f: (r: LoadRun) => number) => ((sum(xs, f) / sum(xs, handled)) * 1e6).toFixed(1);
  const label = generator === 'wrk' ? 'wrk -t1 (C)' : 'Node keep-alive client';
  console.log(`\nsocket tracer, load from ${label}: Node HTTP server on 127.0.0.1, ${CONNECTIONS} keep-alive connections, ${SECONDS} s per run, ${ROUNDS} rounds alternating off / hooks only / capture only / on, after a traced warm-up`);
  console.log(`  requests/s tracing off: ${off.map((r) => (r.handled / SECONDS).toFixed(0)).join(', ')}`);
  console.log(`  requests/s tracing on : ${on.map((r) => (r.handled / SECONDS).toFixed(0)).join(', ')}`);
  console.log(`  requests/s hooks only  : ${hooks.map((r) => (r.handled / SECONDS).toFixed(0)).join(', ')} (sys_exit hooked, the program returns at once)`);
  console.log(`  requests/s capture only: ${capture.map((r) => (r.handled / SECONDS).toFixed(0)).join(', ')} (payloads captured and drained, not parsed)`);
  console.log(`  throughput ratio on/off: ${(sum(on, handled) / sum(off, handled)).toFixed(3)} (goal >= 0.97); hooks only/off: ${(sum(hooks, handled) / sum(off, handled)).toFixed(3)} (the ceiling of tracing from syscall hooks on this kernel); capture only/off: ${(sum(capture, handled) / sum(off, handled)).toFixed(3)} (the ceiling of any user space on top of this kernel side)`);
  console.log(`  http_events rows / requests the server handled: ${captured.map((c) => c.toFixed(4)).join(', ')} (goal 1.0); lost to a full ring buffer: ${lost}`);
  const modes = [off, hooks, capture, on];
  console.log(`  CPU µs per request, off -> hooks only -> capture only -> on: server ${modes.map((m) => perRequest(m, (r) => r.serverCpu)).join(' -> ')} (the BPF programs run in its syscalls), load generator ${modes.map((m) => perRequest(m, (r) => r.clientCpu)).join(' -> ')}`);
  const { programRuns = 0, programRunTimeNs = 0 } = timed.counters;
  console.log(`  BPF program time (one capture-only run timed by the kernel): ${(programRunTimeNs / timed.run.handled).toFixed(0)} ns per request over ${(programRuns / timed.run.handled).toFixed(1)} runs per request (every syscall of every process), ${(programRunTimeNs / Math.max(programRuns, 1)).toFixed(0)} ns per run`);
  console.log(`  collector CPU (this process: poller thread, drain, parse, GC): ${tracerCpu.toFixed(2)} s over ${ROUNDS * SECONDS} s traced = ${((tracerCpu / sum(on, handled)) * 1e6).toFixed(1)} µs per request, ${((tracerCpu / (ROUNDS * SECONDS * cpus().length)) * 100).toFixed(1)}% of the machine's ${cpus().length} cores; capture only (poller thread and drain): ${((drainCpu / sum(capture, handled)) * 1e6).toFixed(1)} µs per request`);
  console.log(`  collector resident memory: ${(rssTracing / 2 ** 20).toFixed(1)} MiB at most while tracing (${(rssIdle / 2 ** 20).toFixed(1)} MiB before the first traced round; RSS as the kernel counts it, including the ring buffer pages mapped into this process)`);
}

async function main(): Promise<void> {
  const bad = GENERATORS.filter((g) => g !== 'wrk' && g !== 'node');
  if (bad.length > 0) throw new Error(`BENCH_TRACE_LOAD: unknown load generator ${bad.join(', ')}; use wrk, node or wrk,node`);
  const server = await Server.start();
  try {
    for (const g of GENERATORS) await measure(g, server);
  } finally {
    server.child.kill('SIGKILL');
    rmSync(scratch, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
