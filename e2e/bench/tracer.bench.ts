// Socket tracer cost: requests/s of a Node HTTP server under a keep-alive load with tracing
// on vs off, alternating in the same run (off, on, off, on) so machine drift cancels out;
// and the share of requests the tracer turned into http_events rows. Not a test: no thresholds.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { SocketTraceCollector } from '../../dataplane/collectors/socket-trace-collector.js';

const SECONDS = Number(process.env['BENCH_TRACE_SECONDS'] ?? 5);
const CONNECTIONS = Number(process.env['BENCH_TRACE_CONNECTIONS'] ?? 16);

const SERVER = `const s = require('http').createServer((q, r) => { r.writeHead(200, { 'content-type': 'application/json' }); r.end('{"ok":true,"path":"' + q.url + '"}'); });
s.keepAliveTimeout = 60000; s.listen(0, '127.0.0.1', () => console.log(s.address().port));`;

// Keep-alive load for a fixed time; prints the number of completed requests.
const LOAD = `const http = require('http'); const [port, conns, ms] = process.argv.slice(1).map(Number);
const agent = new http.Agent({ keepAlive: true, maxSockets: conns }); let done = 0; let stop = false;
function one(i) { if (stop) return; http.get({ host: '127.0.0.1', port, path: '/r' + (i % 100), agent }, (res) => { res.resume(); res.on('end', () => { done++; one(i + 1); }); }).on('error', () => {}); }
for (let c = 0; c < conns; c++) one(c * 1000);
setTimeout(() => { stop = true; setTimeout(() => { console.log(done); process.exit(0); }, 200); }, ms);`;

async function load(port: number): Promise<number> {
  const p = spawn(process.execPath, ['-e', LOAD, String(port), String(CONNECTIONS), String(SECONDS * 1000)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  p.stdout!.on('data', (d: Buffer) => (out += d));
  await once(p, 'exit');
  return Number(out.trim());
}

const cpuSeconds = (pid: number) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
};

async function main(): Promise<void> {
  const children: ChildProcess[] = [];
  try {
    const server = spawn(process.execPath, ['-e', SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(server);
    const [line] = (await once(server.stdout!, 'data')) as [Buffer];
    const port = Number(line.toString().trim());
    await load(port); // warm-up
    const off: number[] = [];
    const on: number[] = [];
    const captured: number[] = [];
    let tracerCpu = 0;
    let lost = 0;
    for (let round = 0; round < 2; round++) {
      off.push(await load(port));
      const cpu0 = process.cpuUsage();
      const collector = await SocketTraceCollector.start({ pids: [server.pid!] });
      let rows = 0;
      const poller = setInterval(() => (rows += collector.poll().httpEvents.length), 100);
      const requests = await load(port);
      clearInterval(poller);
      await new Promise((r) => setTimeout(r, 300));
      rows += (await collector.stop()).httpEvents.length;
      const cpu = process.cpuUsage(cpu0);
      tracerCpu += (cpu.user + cpu.system) / 1e6;
      lost += collector.counters?.lostRingbufFull ?? 0;
      on.push(requests);
      captured.push(rows / requests);
    }
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    console.log(`\nsocket tracer benchmark: Node HTTP server on 127.0.0.1, ${CONNECTIONS} keep-alive connections, ${SECONDS} s per run, runs alternate off/on`);
    console.log(`requests/s tracing off: ${off.map((n) => (n / SECONDS).toFixed(0)).join(', ')}`);
    console.log(`requests/s tracing on : ${on.map((n) => (n / SECONDS).toFixed(0)).join(', ')}`);
    console.log(`throughput ratio on/off: ${(sum(on) / sum(off)).toFixed(3)} (goal >= 0.97)`);
    console.log(`http_events rows / requests completed: ${captured.map((c) => c.toFixed(4)).join(', ')} (goal 1.0); lost to a full ring buffer: ${lost}`);
    console.log(`collector CPU (this process: poller thread, drain, parse, GC): ${tracerCpu.toFixed(2)} s over ${2 * SECONDS} s traced = ${((tracerCpu / sum(on)) * 1e6).toFixed(1)} µs per request, ${((tracerCpu / (2 * SECONDS * cpus().length)) * 100).toFixed(1)}% of the machine's ${cpus().length} cores; server process CPU: ${cpuSeconds(server.pid!).toFixed(2)} s in total`);
  } finally {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
