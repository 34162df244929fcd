// `loupe ROLE ...` as a child process for tests: resolves once the role logs its "listening"
// line (gRPC and health addresses), keeps what it printed, stops by PID.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../../crds/generate.js';

const CLI = join(repoRoot(), 'dist', 'bin', 'cli.js');

export interface LoupeProcess {
  readonly child: ChildProcess;
  /** The gRPC address from the "listening" line. */
  readonly address: string;
  /** /healthz, /readyz and /metrics. */
  readonly health: string;
  /** stdout and stderr so far. */
  output(): string;
  readonly exited: Promise<number | null>;
  /** Sends `signal` (default SIGTERM) by PID and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Spawns `loupe ARGS`; rejects if it exits, or has not logged "listening" within 60 s. */
export async function startLoupe(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<LoupeProcess> {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let out = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const started = new Promise<{ address: string; health: string }>((resolve, reject) => {
    let pending = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      pending += d.toString();
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        try {
          const entry = JSON.parse(line) as { msg?: string; address?: unknown; health?: unknown };
          if (entry.msg === 'listening' && typeof entry.address === 'string' && typeof entry.health === 'string') resolve({ address: entry.address, health: entry.health });
        } catch {
          // not a log line
        }
      }
    });
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    void exited.then((code) => reject(new Error(`loupe ${args.join(' ')} exited with ${code} before serving:\n${out}`)));
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`loupe ${args.join(' ')} did not log "listening" within 60 s:\n${out}`)), 60_000)));
  try {
    const { address, health } = await Promise.race([started, timeout]).finally(() => clearTimeout(timer));
    return {
      child,
      address,
      health,
      output: () => out,
      exited,
      async stop(signal: NodeJS.Signals = 'SIGTERM') {
        if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, signal);
        return exited;
      },
    };
  } catch (err) {
    if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, 'SIGKILL');
    throw err;
  }
}
