// Runs on the real kernel: needs root (or CAP_BPF + CAP_PERFMON), BTF, and the addon built by
// `bash native-bpf/build.sh`. Without them these tests fail; they never skip. Other processes
// share the kernel, so every assertion is about the processes these tests start.
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { arch, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import {
  capabilities,
  connKey,
  formatAddress,
  SocketTracer,
  type SocketDataEvent,
  type SocketEvent,
  type SocketOpenEvent,
  type TracerOptions,
} from './index.js';

const REQUESTS = 20;

// An HTTP/1.1 server on 127.0.0.1 (node's http module); prints {"port"} once listening.
const SERVER_JS = `
const http = require('node:http');
const srv = http.createServer((req, res) => {
  const body = 'hello ' + req.url;
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
});
srv.keepAliveTimeout = 30000;
srv.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: srv.address().port })));
`;

// A keep-alive client: on a line on stdin, sends N requests one after another on one connection
// (each after the previous response is complete), closes, prints {"localPort","sent"} and exits.
const CLIENT_JS = `
const net = require('node:net');
const port = Number(process.argv[1]);
const n = Number(process.argv[2]);
process.stdin.once('data', () => {
  const sock = net.connect(port, '127.0.0.1');
  let i = 0, buf = '', sent = '', localPort = 0;
  const send = () => {
    const req = 'GET /path-' + i + ' HTTP/1.1\\r\\nHost: 127.0.0.1:' + port + '\\r\\nConnection: keep-alive\\r\\n\\r\\n';
    sent += req;
    sock.write(req);
  };
  sock.on('connect', () => { localPort = sock.localPort; send(); });
  sock.on('data', (d) => {
    buf += d.toString('latin1');
    for (;;) {
      const h = buf.indexOf('\\r\\n\\r\\n');
      if (h < 0) return;
      const len = Number(/content-length: *(\\d+)/i.exec(buf.slice(0, h))[1]);
      if (buf.length < h + 4 + len) return;
      buf = buf.slice(h + 4 + len);
      if (++i < n) send(); else sock.end();
    }
  });
  sock.on('close', () => {
    console.log(JSON.stringify({ localPort, sent }));
    process.exit(0);
  });
});
`;

// On a line on stdin: connects, sends one request, and on the first bytes of the answer kills
// itself (SIGKILL), leaving the socket to the kernel's exit path rather than close().
const KILLED_CLIENT_JS = `
const net = require('node:net');
process.stdin.once('data', () => {
  const sock = net.connect(Number(process.argv[1]), '127.0.0.1', () => sock.write('GET /x HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n'));
  sock.once('data', () => process.kill(process.pid, 'SIGKILL'));
});
`;

// Listens on 127.0.0.1, forks a reader that accepts one connection and discards what it reads,
// prints "ready"; on a line on stdin connects and write()s CHUNK bytes WRITES times (chunk k is
// filled with the byte k & 0xff), closes, waits for the reader, prints "done <writes> <bytes> <port>".
const BURST_C = `
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
int main(int argc, char **argv) {
  int writes = atoi(argv[1]);
  size_t chunk = (size_t)atoi(argv[2]);
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t alen = sizeof a;
  int ls = socket(AF_INET, SOCK_STREAM, 0);
  if (ls < 0 || bind(ls, (struct sockaddr *)&a, sizeof a) || listen(ls, 1) || getsockname(ls, (struct sockaddr *)&a, &alen)) return 2;
  pid_t reader = fork();
  if (reader == 0) {
    static char buf[65536];
    int c = accept(ls, 0, 0);
    while (read(c, buf, sizeof buf) > 0) {}
    _exit(0);
  }
  close(ls);
  printf("ready\\n");
  fflush(stdout);
  char line[16];
  if (!fgets(line, sizeof line, stdin)) return 3;
  int s = socket(AF_INET, SOCK_STREAM, 0);
  if (connect(s, (struct sockaddr *)&a, sizeof a)) return 4;
  struct sockaddr_in local;
  socklen_t llen = sizeof local;
  getsockname(s, (struct sockaddr *)&local, &llen);
  char *buf = malloc(chunk);
  int ok = 0;
  long bytes = 0;
  for (int k = 0; k < writes; k++) {
    memset(buf, k & 0xff, chunk);
    ssize_t n = write(s, buf, chunk);
    if (n <= 0) break;
    ok++;
    bytes += n;
  }
  close(s);
  waitpid(reader, 0, 0);
  printf("done %d %ld %d\\n", ok, bytes, ntohs(local.sin_port));
  return 0;
}
`;

// One process, both ends of a loopback connection (IPv4 or IPv6 by argv[1]): on a line on stdin
// connects, accepts (accept for IPv4, accept4 for IPv6), moves bytes with every traced syscall
// (write/read, writev/readv, sendto/recvfrom, sendmsg/recvmsg, sendfile), answers "pong", closes,
// prints "done <client port> <server port>".
const SYSCALLS_C = `
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
static char buf[256];
static void fill(int fd, size_t want) { /* read()s until want bytes arrived */
  size_t got = 0;
  while (got < want) { ssize_t n = read(fd, buf + got, want - got); if (n <= 0) exit(10); got += n; }
}
int main(int argc, char **argv) {
  int v6 = argc > 1 && strcmp(argv[1], "6") == 0;
  struct sockaddr_storage ss;
  socklen_t alen = v6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
  memset(&ss, 0, sizeof ss);
  if (v6) { struct sockaddr_in6 *a = (void *)&ss; a->sin6_family = AF_INET6; a->sin6_addr = in6addr_loopback; }
  else { struct sockaddr_in *a = (void *)&ss; a->sin_family = AF_INET; a->sin_addr.s_addr = htonl(INADDR_LOOPBACK); }
  int ls = socket(ss.ss_family, SOCK_STREAM, 0);
  if (ls < 0 || bind(ls, (void *)&ss, alen) || listen(ls, 1) || getsockname(ls, (void *)&ss, &alen)) return 2;
  FILE *f = tmpfile();
  fputs("sendfile;", f);
  fflush(f);
  printf("ready\\n");
  fflush(stdout);
  char line[16];
  if (!fgets(line, sizeof line, stdin)) return 3;
  int c = socket(ss.ss_family, SOCK_STREAM, 0);
  if (connect(c, (void *)&ss, alen)) return 4;
  int s = v6 ? accept4(ls, 0, 0, SOCK_CLOEXEC) : accept(ls, 0, 0);
  if (s < 0) return 5;
  if (write(c, "write;", 6) != 6) return 6;
  fill(s, 6);
  struct iovec wv[3] = {{"wri", 3}, {"tev", 3}, {"3;", 2}};
  if (writev(c, wv, 3) != 8) return 6;
  size_t got = 0;
  while (got < 8) {
    struct iovec rv[2] = {{buf, 2}, {buf + 2, 100}};
    ssize_t n = readv(s, rv, 2);
    if (n <= 0) return 7;
    got += n;
  }
  if (sendto(c, "sendto;", 7, 0, NULL, 0) != 7) return 6;
  if (recvfrom(s, buf, 7, MSG_WAITALL, NULL, NULL) != 7) return 7;
  struct iovec mv[2] = {{"send", 4}, {"msg;", 4}};
  struct msghdr m = {0};
  m.msg_iov = mv;
  m.msg_iovlen = 2;
  if (sendmsg(c, &m, 0) != 8) return 6;
  struct iovec rmv[2] = {{buf, 3}, {buf + 3, 5}};
  struct msghdr rm = {0};
  rm.msg_iov = rmv;
  rm.msg_iovlen = 2;
  if (recvmsg(s, &rm, MSG_WAITALL) != 8) return 7;
  off_t off = 0;
  if (sendfile(c, fileno(f), &off, 9) != 9) return 6;
  fill(s, 9);
  if (write(s, "pong", 4) != 4) return 6;
  fill(c, 4);
  struct sockaddr_storage cl, sv;
  socklen_t cll = sizeof cl, svl = sizeof sv;
  getsockname(c, (void *)&cl, &cll);
  getsockname(s, (void *)&sv, &svl);
  int cport = ntohs(v6 ? ((struct sockaddr_in6 *)&cl)->sin6_port : ((struct sockaddr_in *)&cl)->sin_port);
  int sport = ntohs(v6 ? ((struct sockaddr_in6 *)&sv)->sin6_port : ((struct sockaddr_in *)&sv)->sin_port);
  close(c);
  close(s);
  close(ls);
  printf("done %d %d\\n", cport, sport);
  return 0;
}
`;

// x86-64: a 32-bit syscall (int 0x80) on a traced connection whose number means a traced call in
// the 64-bit table: ia32 getpid is 20, x86-64 writev is 20. The registers hold what a 64-bit
// writev(c, &iov, 1) would take. A tracer that decodes it as writev reports pid bytes sent.
const COMPAT_C = `
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
int main(void) {
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
  socklen_t al = sizeof a;
  int ls = socket(AF_INET, SOCK_STREAM, 0);
  if (ls < 0 || bind(ls, (void *)&a, sizeof a) || listen(ls, 1) || getsockname(ls, (void *)&a, &al)) return 2;
  printf("ready\\n");
  fflush(stdout);
  char line[16], buf[16];
  if (!fgets(line, sizeof line, stdin)) return 3;
  int c = socket(AF_INET, SOCK_STREAM, 0);
  if (connect(c, (void *)&a, sizeof a)) return 4;
  int s = accept(ls, 0, 0);
  if (s < 0) return 5;
  static char msg[] = "compat;";
  struct iovec iov = { msg, 7 };
  long r;
  __asm__ volatile("int $0x80" : "=a"(r) : "a"(20L), "D"((long)c), "S"(&iov), "d"(1L) : "memory", "r8", "r9", "r10", "r11");
  if (r != getpid()) return 6;
  if (write(c, "after", 5) != 5) return 7;
  if (read(s, buf, sizeof buf) != 5) return 8;
  close(c);
  close(s);
  printf("done %ld\\n", r);
  return 0;
}
`;

let dir: string;
let burstBin: string;
let syscallsBin: string;
const children: ChildProcess[] = [];

/** Starts a process and returns it with a reader of its stdout lines. */
function start(cmd: string, args: string[]): { child: ChildProcess; pid: number; line: () => Promise<string> } {
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  children.push(child);
  assert.ok(child.pid, `could not start ${cmd}`);
  const lines: string[] = [];
  const waiters: ((l: string) => void)[] = [];
  createInterface({ input: child.stdout! }).on('line', (l) => {
    const w = waiters.shift();
    if (w) w(l);
    else lines.push(l);
  });
  const exited = new Promise<never>((_, reject) =>
    child.on('exit', (code, signal) => reject(new Error(`${cmd} exited (code ${code}, signal ${signal}) before printing a line`))),
  );
  exited.catch(() => undefined); // only an error for a line() still waiting
  const line = (): Promise<string> => {
    const l = lines.shift();
    if (l !== undefined) return Promise.resolve(l);
    return Promise.race([new Promise<string>((r) => waiters.push(r)), exited]);
  };
  return { child, pid: child.pid, line };
}

/** JSON for assertion messages (timestamps are bigints). */
function show(x: unknown): string {
  return JSON.stringify(x, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

function requestBytes(port: number, i: number): string {
  return `GET /path-${i} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: keep-alive\r\n\r\n`;
}

/** The data of one direction of a connection, checking that no byte is missing in between. */
function stream(events: SocketEvent[], key: string, direction: 'egress' | 'ingress'): Buffer {
  const data = events.filter((e): e is SocketDataEvent => e.kind === 'data' && connKey(e.conn) === key && e.direction === direction);
  let pos = 0;
  for (const e of data) {
    assert.equal(e.pos, pos, `${key} ${direction}: event at ${e.pos}, expected ${pos} (lost or reordered)`);
    assert.equal(e.data.length, e.size, `${key} ${direction}: truncated event at ${e.pos}`);
    pos += e.size;
  }
  return Buffer.concat(data.map((e) => e.data));
}

async function drainUntil(tracer: SocketTracer, events: SocketEvent[], done: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done() && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    events.push(...tracer.drain());
  }
}

describe('native-bpf socket tracer on the real kernel', () => {
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'loupe-socket-tracer-test-'));
    writeFileSync(join(dir, 'burst.c'), BURST_C);
    burstBin = join(dir, 'burst');
    execFileSync('cc', ['-O1', '-o', burstBin, join(dir, 'burst.c')]);
    writeFileSync(join(dir, 'syscalls.c'), SYSCALLS_C);
    syscallsBin = join(dir, 'syscalls');
    execFileSync('cc', ['-O1', '-o', syscallsBin, join(dir, 'syscalls.c')]);
  });
  after(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports BPF as available here (CAP_BPF/CAP_PERFMON, BTF, kernel >= 5.8)', () => {
    const caps = capabilities();
    assert.ok(caps.ok, caps.message);
  });

  it('formats IPv4 and IPv6 addresses', () => {
    assert.equal(formatAddress(Uint8Array.from([127, 0, 0, 1]), 'ipv4'), '127.0.0.1');
    const v6 = new Uint8Array(16);
    v6[15] = 1;
    assert.equal(formatAddress(v6, 'ipv6'), '::1');
    assert.equal(formatAddress(Uint8Array.from([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1]), 'ipv6'), '2001:db8::1:0:0:1');
    assert.equal(formatAddress(Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 7]), 'ipv6'), '::ffff:10.0.0.7');
  });

  it('captures both sides of a keep-alive HTTP connection between two traced processes, and nothing of others', async () => {
    const server = start(process.execPath, ['-e', SERVER_JS]);
    const port = (JSON.parse(await server.line()) as { port: number }).port;
    const client = start(process.execPath, ['-e', CLIENT_JS, String(port), String(REQUESTS)]);
    // The same pair again, untraced, talking at the same time.
    const otherServer = start(process.execPath, ['-e', SERVER_JS]);
    const otherPort = (JSON.parse(await otherServer.line()) as { port: number }).port;
    const otherClient = start(process.execPath, ['-e', CLIENT_JS, String(otherPort), String(REQUESTS)]);

    const tracer = await SocketTracer.start({ pids: [server.pid, client.pid] });
    const events: SocketEvent[] = [];
    let out: { localPort: number; sent: string };
    try {
      client.child.stdin!.write('go\n');
      otherClient.child.stdin!.write('go\n');
      out = JSON.parse(await client.line()) as { localPort: number; sent: string };
      const otherOut = JSON.parse(await otherClient.line()) as { localPort: number };
      assert.notEqual(otherOut.localPort, 0);
      // The server closes its side once it has seen the client's FIN.
      await drainUntil(tracer, events, () => events.filter((e) => e.kind === 'close').length >= 2, 5000);
    } finally {
      events.push(...(await tracer.stop()));
    }
    const counters = tracer.counters!;
    console.log(`http: ${events.length} events (${events.filter((e) => e.kind === 'data').length} data); counters ${JSON.stringify(counters)}`);

    const expected = Array.from({ length: REQUESTS }, (_, i) => requestBytes(port, i)).join('');
    assert.equal(out.sent, expected, 'the client script sent something else than the test expects');

    // Only the traced processes, none of the other pair's traffic.
    const tgids = new Set(events.map((e) => e.conn.tgid));
    assert.deepEqual([...tgids].sort(), [server.pid, client.pid].sort());
    const opens = events.filter((e): e is SocketOpenEvent => e.kind === 'open');
    assert.ok(opens.every((o) => o.localPort !== otherPort && o.remotePort !== otherPort), 'an open event of the untraced pair');

    // One connection per side, with addresses, ports and roles.
    const clientOpens = opens.filter((o) => o.conn.tgid === client.pid);
    const serverOpens = opens.filter((o) => o.conn.tgid === server.pid);
    assert.equal(clientOpens.length, 1, `client opens: ${show(clientOpens)}`);
    assert.equal(serverOpens.length, 1, `server opens: ${show(serverOpens)}`);
    const [c] = clientOpens as [SocketOpenEvent];
    const [s] = serverOpens as [SocketOpenEvent];
    assert.deepEqual(
      { role: c.role, syscall: c.syscall, family: c.family, protocol: c.protocol, localAddr: c.localAddr, localPort: c.localPort, remoteAddr: c.remoteAddr, remotePort: c.remotePort },
      { role: 'client', syscall: 'connect', family: 'ipv4', protocol: 'tcp', localAddr: '127.0.0.1', localPort: out.localPort, remoteAddr: '127.0.0.1', remotePort: port },
    );
    assert.deepEqual(
      { role: s.role, family: s.family, protocol: s.protocol, localAddr: s.localAddr, localPort: s.localPort, remoteAddr: s.remoteAddr, remotePort: s.remotePort },
      { role: 'server', family: 'ipv4', protocol: 'tcp', localAddr: '127.0.0.1', localPort: port, remoteAddr: '127.0.0.1', remotePort: out.localPort },
    );
    assert.match(s.syscall, /^accept4?$/);
    const ck = connKey(c.conn);
    const sk = connKey(s.conn);
    assert.ok(events.filter((e) => connKey(e.conn) === ck).every((e) => e.role === 'client'));
    assert.ok(events.filter((e) => connKey(e.conn) === sk).every((e) => e.role === 'server'));

    // The server received exactly what the client sent, request after request.
    const serverIn = stream(events, sk, 'ingress');
    const clientOut = stream(events, ck, 'egress');
    assert.equal(serverIn.toString('latin1'), expected);
    assert.equal(clientOut.toString('latin1'), expected);
    const lines = [...serverIn.toString('latin1').matchAll(/^GET (\S+) HTTP\/1\.1\r$/gm)].map((m) => m[1]);
    assert.deepEqual(lines, Array.from({ length: REQUESTS }, (_, i) => `/path-${i}`));

    // The responses went the other way, in order.
    const serverOut = stream(events, sk, 'egress');
    const clientIn = stream(events, ck, 'ingress');
    assert.ok(serverOut.equals(clientIn), 'server egress differs from client ingress');
    const responses = [...serverOut.toString('latin1').matchAll(/HTTP\/1\.1 (\d+) [^\r]*\r\n[\s\S]*?\r\n\r\n(hello \/path-\d+)/g)];
    assert.deepEqual(
      responses.map((m) => `${m[1]} ${m[2]}`),
      Array.from({ length: REQUESTS }, (_, i) => `200 hello /path-${i}`),
    );

    // Both sides closed, with the byte totals of their streams; events of a connection in time order.
    for (const [key, sent, received] of [[ck, clientOut, clientIn], [sk, serverOut, serverIn]] as const) {
      const mine = events.filter((e) => connKey(e.conn) === key);
      const close = mine.filter((e) => e.kind === 'close');
      assert.equal(close.length, 1, `${key}: ${close.length} close events`);
      assert.deepEqual(close[0], { ...close[0], bytesSent: sent.length, bytesReceived: received.length });
      assert.equal(mine[0]!.kind, 'open');
      assert.equal(mine.at(-1)!.kind, 'close');
      for (let i = 1; i < mine.length; i++) assert.ok(mine[i]!.timestampNs >= mine[i - 1]!.timestampNs, `${key}: event ${i} earlier than ${i - 1}`);
    }

    assert.equal(counters.lostRingbufFull, 0);
    assert.equal(counters.lostUserBuffer, 0);
    assert.equal(counters.events, counters.received);
    assert.equal(counters.exitCloses, 0);
    assert.equal(counters.received, events.length, 'events received by the addon but not returned by drain/stop');
  });

  for (const family of ['ipv4', 'ipv6'] as const) {
    it(`follows an ${family} loopback connection through write/read, writev/readv, sendto/recvfrom, sendmsg/recvmsg and sendfile`, async () => {
      const proc = start(syscallsBin, [family === 'ipv4' ? '4' : '6']);
      assert.equal(await proc.line(), 'ready');
      const tracer = await SocketTracer.start({ pids: [proc.pid] });
      const events: SocketEvent[] = [];
      let done: string;
      try {
        proc.child.stdin!.write('go\n');
        done = await proc.line();
      } finally {
        events.push(...(await tracer.stop()));
      }
      const [, clientPort, serverPort] = done.split(' ').map(Number) as [number, number, number];
      const loopback = family === 'ipv4' ? '127.0.0.1' : '::1';
      const opens = events.filter((e): e is SocketOpenEvent => e.kind === 'open');
      assert.deepEqual(
        opens.map((o) => [o.role, o.syscall, o.family, o.localAddr, o.localPort, o.remoteAddr, o.remotePort]),
        [
          ['client', 'connect', family, loopback, clientPort, loopback, serverPort],
          ['server', family === 'ipv4' ? 'accept' : 'accept4', family, loopback, serverPort, loopback, clientPort],
        ],
      );
      const [c, s] = opens.map((o) => connKey(o.conn)) as [string, string];
      const data = (key: string, direction: string): [string, number, string][] =>
        events
          .filter((e): e is SocketDataEvent => e.kind === 'data' && connKey(e.conn) === key && e.direction === direction)
          .map((e) => [e.syscall, e.size, e.data.toString('latin1')]);
      // sendfile's bytes come from the page cache: counted, not captured.
      assert.deepEqual(data(c, 'egress'), [
        ['write', 6, 'write;'],
        ['writev', 8, 'writev3;'],
        ['sendto', 7, 'sendto;'],
        ['sendmsg', 8, 'sendmsg;'],
        ['sendfile', 9, ''],
      ]);
      const serverIn = data(s, 'ingress');
      assert.equal(serverIn.map((d) => d[2]).join(''), 'write;writev3;sendto;sendmsg;sendfile;');
      assert.deepEqual([...new Set(serverIn.map((d) => d[0]))], ['read', 'readv', 'recvfrom', 'recvmsg']);
      assert.deepEqual(data(s, 'egress'), [['write', 4, 'pong']]);
      assert.deepEqual(data(c, 'ingress').map((d) => d[2]).join(''), 'pong');
      const closes = events.filter((e) => e.kind === 'close');
      assert.deepEqual(
        closes.map((e) => [connKey(e.conn), e.kind === 'close' && e.bytesSent, e.kind === 'close' && e.bytesReceived]),
        [[c, 38, 4], [s, 4, 38]],
      );
      assert.equal(tracer.counters!.truncated, 1, 'only the sendfile event lacks bytes');
      assert.equal(tracer.counters!.lostRingbufFull, 0);
    });
  }

  /** One run of the syscalls program under a tracer per options object: the tracers and what each saw. */
  async function traceSyscallsRun(...options: Omit<TracerOptions, 'pids'>[]): Promise<{ pid: number; tracers: SocketTracer[]; events: SocketEvent[][] }> {
    const proc = start(syscallsBin, ['4']);
    assert.equal(await proc.line(), 'ready');
    const tracers: SocketTracer[] = [];
    const events: SocketEvent[][] = [];
    try {
      for (const opts of options) tracers.push(await SocketTracer.start({ ...opts, pids: [proc.pid] }));
      proc.child.stdin!.write('go\n');
      await proc.line();
    } finally {
      for (const t of tracers) events.push(await t.stop());
    }
    return { pid: proc.pid, tracers, events };
  }

  it('hooksOnly attaches but captures nothing of a traced process (the benchmarks\' baseline); a non-boolean is refused', async () => {
    const { pid, tracers: [tracer], events: [events] } = await traceSyscallsRun({ hooksOnly: true });
    assert.deepEqual(events, []);
    assert.equal(tracer.counters!.events, 0);
    await assert.rejects(SocketTracer.start({ pids: [pid], hooksOnly: 'yes' as unknown as boolean }), /hooksOnly must be a boolean/);
  });

  it('measureProgramTime counts and times the sys_exit program\'s runs; without it the counters have neither', async () => {
    const { tracers: [timed, plain], events: [events] } = await traceSyscallsRun({ measureProgramTime: true }, {});
    const { programRuns, programRunTimeNs } = timed.counters!;
    assert.ok(events.length > 0);
    // One run per syscall of every process: at least one per event this process caused.
    assert.ok(programRuns !== undefined && programRuns >= events.length, `programRuns ${programRuns} < ${events.length} events`);
    assert.ok(programRunTimeNs !== undefined && programRunTimeNs > 0, `programRunTimeNs ${programRunTimeNs}`);
    assert.equal('programRuns' in plain.counters!, false);
    assert.equal('programRunTimeNs' in plain.counters!, false);
  });

  it('skips 32-bit (int 0x80) syscalls instead of decoding them with the 64-bit table, and counts them', { skip: arch() !== 'x64' && 'x86-64 only (int 0x80)' }, async () => {
    const bin = join(dir, 'compat');
    writeFileSync(`${bin}.c`, COMPAT_C);
    execFileSync('cc', ['-O1', '-o', bin, `${bin}.c`]);
    const proc = start(bin, []);
    assert.equal(await proc.line(), 'ready');
    const tracer = await SocketTracer.start({ pids: [proc.pid] });
    let events: SocketEvent[];
    let done: string;
    try {
      proc.child.stdin!.write('go\n');
      done = await proc.line();
    } finally {
      events = await tracer.stop();
    }
    assert.equal(done, `done ${proc.pid}`, 'int 0x80 ran ia32 getpid');
    const client = events.find((e) => e.kind === 'open' && e.role === 'client');
    assert.ok(client, show(events));
    const sent = events.filter((e): e is SocketDataEvent => e.kind === 'data' && e.direction === 'egress' && connKey(e.conn) === connKey(client.conn));
    assert.deepEqual(sent.map((e) => [e.syscall, e.pos, e.size, e.data.toString()]), [['write', 0, 5, 'after']], show(sent));
    assert.equal(tracer.counters!.compatSkipped, 1);
  });

  it('refuses bad options before loading anything, naming the option and the allowed values', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ maxEventBytes: 0 }, /^startTracer: options\.maxEventBytes must be an integer in \[1, 8192\]$/],
      [{ ringBytes: 12288 }, /^startTracer: options\.ringBytes must be a power of two \(at least 4096\)$/],
      [{ connBudgetBytes: -1 }, /^startTracer: options\.connBudgetBytes must be a non-negative integer <= 9007199254740991$/],
      [{ cgroupPath: '' }, /^startTracer: options\.cgroupPath must be a non-empty string$/],
      [{ measureProgramTime: 1 }, /^startTracer: options\.measureProgramTime must be a boolean$/],
      [{ pids: [1], cgroupPath: '/sys/fs/cgroup' }, /^startTracer: set options\.pids or options\.cgroupPath, not both$/],
    ];
    for (const [opts, message] of cases) await assert.rejects(SocketTracer.start(opts as TracerOptions), { code: 'EINVAL', message }, JSON.stringify(opts));
    await assert.rejects(SocketTracer.start({ cgroupPath: tmpdir() }), { code: 'ECGROUP', message: `startTracer: ${tmpdir()} is not a cgroup v2 directory` });
  });

  it('without a pid filter, traces every process (asserting on its own one only)', async () => {
    const proc = start(syscallsBin, ['4']);
    assert.equal(await proc.line(), 'ready');
    const tracer = await SocketTracer.start();
    const events: SocketEvent[] = [];
    let done: string;
    try {
      proc.child.stdin!.write('go\n');
      done = await proc.line();
      await drainUntil(tracer, events, () => events.filter((e) => e.conn.tgid === proc.pid && e.kind === 'close').length >= 2, 5000);
    } finally {
      events.push(...(await tracer.stop()));
    }
    const [, clientPort, serverPort] = done.split(' ').map(Number) as [number, number, number];
    const mine = events.filter((e) => e.conn.tgid === proc.pid);
    assert.deepEqual(
      mine.filter((e): e is SocketOpenEvent => e.kind === 'open').map((o) => [o.role, o.localPort, o.remotePort]),
      [['client', clientPort, serverPort], ['server', serverPort, clientPort]],
    );
    assert.ok(mine.filter((e) => e.kind === 'data').length >= 12);
    assert.equal(mine.filter((e) => e.kind === 'close').length, 2);
    assert.ok(events.every((e) => e.conn.tgid !== process.pid), 'the tracer traced its own process');
    console.log(`all processes: ${events.length} events, ${mine.length} of the test's process; counters ${JSON.stringify(tracer.counters)}`);
  });

  it('reports a close for the connection of a process killed without closing it', async () => {
    const server = start(process.execPath, ['-e', SERVER_JS]);
    const port = (JSON.parse(await server.line()) as { port: number }).port;
    const victim = start(process.execPath, ['-e', KILLED_CLIENT_JS, String(port)]);
    const tracer = await SocketTracer.start({ pids: [victim.pid] });
    const events: SocketEvent[] = [];
    try {
      victim.child.stdin!.write('go\n');
      await new Promise((r) => victim.child.once('exit', r));
      await drainUntil(tracer, events, () => events.some((e) => e.kind === 'close'), 5000);
    } finally {
      events.push(...(await tracer.stop()));
    }
    const summary = events.map((e) => `${e.kind} ${e.syscall}`).join(', ');
    assert.match(summary, /^open connect, data write(, data read)+, close exit$/);
    const close = events.at(-1)!;
    assert.ok(close.kind === 'close' && close.role === 'client');
    assert.ok(events.every((e) => connKey(e.conn) === connKey(close.conn)));
    const sent = events.filter((e): e is SocketDataEvent => e.kind === 'data' && e.direction === 'egress');
    const received = events.filter((e): e is SocketDataEvent => e.kind === 'data' && e.direction === 'ingress');
    assert.equal(close.bytesSent, sent.reduce((n, e) => n + e.size, 0));
    assert.equal(close.bytesReceived, received.reduce((n, e) => n + e.size, 0));
    assert.equal(tracer.counters!.exitCloses, 1);
  });

  it('counts the events a burst loses to a full ring buffer: delivered + lost = every write', async () => {
    const writes = 2000;
    const chunk = 8192;
    const burst = start(burstBin, [String(writes), String(chunk)]);
    assert.equal(await burst.line(), 'ready');
    // 16 KiB of ring holds one 8 KiB event at a time.
    const tracer = await SocketTracer.start({ pids: [burst.pid], ringBytes: 16384, maxEventBytes: chunk, connBudgetBytes: 1 << 30 });
    const events: SocketEvent[] = [];
    let done: string;
    try {
      burst.child.stdin!.write('go\n');
      done = await burst.line();
    } finally {
      events.push(...(await tracer.stop()));
    }
    const counters = tracer.counters!;
    const [, okWrites, bytes] = done.split(' ').map(Number) as [number, number, number, number];
    const data = events.filter((e): e is SocketDataEvent => e.kind === 'data');
    console.log(`burst: ${okWrites} writes of ${chunk} bytes, ${events.length} events delivered (${data.length} data), counters ${JSON.stringify(counters)}`);
    assert.equal(okWrites, writes);
    assert.equal(bytes, writes * chunk);
    assert.ok(events.every((e) => e.conn.tgid === burst.pid));
    assert.ok(counters.lostRingbufFull > 0, 'a 16 KiB ring buffer kept up with 16 MB of writes: nothing lost');
    // Every write is either delivered or counted as lost; so are the open and the close.
    assert.equal(events.length + counters.lostRingbufFull, writes + 2);
    assert.equal(counters.events, events.length);
    assert.equal(counters.received, events.length);
    // What was delivered is intact: write k carries the byte k & 0xff.
    for (const e of data) {
      assert.equal(e.direction, 'egress');
      assert.equal(e.size, chunk);
      assert.equal(e.pos % chunk, 0);
      const k = e.pos / chunk;
      assert.ok(e.data.length === chunk && e.data.every((b) => b === (k & 0xff)), `payload of write ${k} is corrupt`);
    }
    const close = events.find((e) => e.kind === 'close');
    if (close) assert.equal(close.bytesSent, writes * chunk);
  });

  it('truncates payloads to the per-event cap and stops at the connection budget, counting both', async () => {
    const burst = start(burstBin, ['10', '8192']);
    assert.equal(await burst.line(), 'ready');
    const tracer = await SocketTracer.start({ pids: [burst.pid], maxEventBytes: 1000, connBudgetBytes: 5000 });
    const events: SocketEvent[] = [];
    try {
      burst.child.stdin!.write('go\n');
      assert.match(await burst.line(), /^done 10 81920 \d+$/);
    } finally {
      events.push(...(await tracer.stop()));
    }
    const counters = tracer.counters!;
    const data = events.filter((e): e is SocketDataEvent => e.kind === 'data');
    assert.deepEqual(
      data.map((e) => [e.pos, e.size, e.data.length, e.data[0]]),
      [0, 1, 2, 3, 4].map((k) => [k * 8192, 8192, 1000, k]),
    );
    assert.equal(counters.truncated, 5);
    assert.equal(counters.budgetDrops, 5);
    assert.equal(counters.lostRingbufFull, 0);
    const close = events.find((e) => e.kind === 'close');
    assert.ok(close && close.kind === 'close' && close.bytesSent === 81920, `close: ${show(close)}`);
  });
});
