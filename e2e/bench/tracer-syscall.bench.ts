// The socket tracer's kernel-side cost per syscall, without HTTP or Node in the way: a C program
// writes 100 bytes into a loopback TCP connection and reads them back, in rounds, while the
// tracer is off, attached with programs that return at once (the kernel's own cost of hooking
// every syscall), attached but tracing another pid (the cost every process on the node pays), or
// tracing the program (the cost a traced process pays). Rounds alternate so machine drift
// cancels out; medians. Not a test: no thresholds.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { SocketTracer } from '../../native-bpf/index.js';

const ROUNDS = Number(process.env['BENCH_SYSCALL_ROUNDS'] ?? 5);
const ITERATIONS = Number(process.env['BENCH_SYSCALL_ITERATIONS'] ?? 200_000);

// Each stdin line "N" runs N write+read pairs and prints the mean ns per pair.
const PROGRAM = String.raw`#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }
int main(void) {
  int l = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
  socklen_t al = sizeof a;
  if (bind(l, (void *)&a, sizeof a) || listen(l, 1) || getsockname(l, (void *)&a, &al)) return 1;
  int c = socket(AF_INET, SOCK_STREAM, 0);
  if (connect(c, (void *)&a, sizeof a)) return 1;
  int s = accept(l, 0, 0);
  char out[100], in[65536];
  memset(out, 'x', sizeof out);
  memcpy(out, "GET /x HTTP/1.1\r\n\r\n", 19);
  printf("ready\n");
  fflush(stdout);
  char line[32];
  while (fgets(line, sizeof line, stdin)) {
    int n = atoi(line);
    double t0 = now();
    for (int i = 0; i < n; i++) {
      if (write(c, out, sizeof out) != sizeof out) return 2;
      for (int got = 0; got < (int)sizeof out;) { int r = read(s, in, sizeof in); if (r <= 0) return 3; got += r; }
    }
    printf("%.1f\n", (now() - t0) / n * 1e9);
    fflush(stdout);
  }
  return 0;
}
`;

type Mode = 'off' | 'hooks only' | 'other pid' | 'traced';

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'loupe-syscall-bench-'));
  const program = spawnProgram(dir);
  try {
    const { child, round } = await program;
    await round(50_000); // warm-up
    const results: Record<Mode, number[]> = { off: [], 'hooks only': [], 'other pid': [], traced: [] };
    for (let r = 0; r < ROUNDS; r++) {
      for (const mode of Object.keys(results) as Mode[]) {
        // pid 1 never touches these sockets: the hooks run for the program, the filter says no.
        const tracer = mode === 'off' ? undefined : await SocketTracer.start({ pids: [mode === 'other pid' ? 1 : child.pid!], hooksOnly: mode === 'hooks only' });
        const drain = tracer && setInterval(() => tracer.drainBatch(), 50);
        results[mode].push(await round(ITERATIONS));
        if (drain) clearInterval(drain);
        await tracer?.stopBatches();
      }
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
    const off = median(results.off);
    console.log(`\nsocket tracer, kernel side: a C program's write(100 B) + read on loopback TCP, ${ITERATIONS} pairs per round, ${ROUNDS} rounds, medians`);
    for (const mode of Object.keys(results) as Mode[]) {
      const m = median(results[mode]);
      const extra = mode === 'off' ? '' : `, +${((m - off) / 2).toFixed(0)} ns per syscall, ratio off/${mode} ${(off / m).toFixed(3)}`;
      console.log(`  ${mode.padEnd(10)}: ${m.toFixed(0)} ns per write+read pair${extra}   (rounds: ${results[mode].map((x) => x.toFixed(0)).join(', ')})`);
    }
    console.log('  "hooks only": programs that return at once (the floor of any syscall-hook tracer here); "other pid": this process filtered out (what every process on the node pays); "traced": payload copied to the ring buffer and drained');
    child.kill();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function spawnProgram(dir: string) {
  writeFileSync(join(dir, 'rw.c'), PROGRAM);
  execFileSync('cc', ['-O2', '-o', join(dir, 'rw'), join(dir, 'rw.c')]);
  const child = spawn(join(dir, 'rw'), [], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const first = await lines.next();
  if (first.value !== 'ready') throw new Error(`the benchmark program did not start: ${String(first.value)}`);
  const round = async (n: number): Promise<number> => {
    child.stdin!.write(`${n}\n`);
    const line = await lines.next();
    if (line.done) throw new Error('the benchmark program exited');
    return Number(line.value);
  };
  return { child, round };
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
