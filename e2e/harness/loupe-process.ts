// `loupe ROLE ...` (or `loupe standalone ...`) as a child process for tests: resolves once it
// logs where it serves (a role's "listening" line, the standalone's "ready: ..."), keeps what it
// printed, stops by PID; and a PxL query through the query API such a process serves.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../../crds/generate.js';
import { BROKER_SERVICE, callStream, openClient, type ClientSecurity } from '../../dataplane/query/grpc-services.js';
import { collectFrames, type QueryResults } from '../../dataplane/query/results.js';

const LOUPE = join(repoRoot(), 'bin', 'loupe');

export interface LoupeProcess {
  /** For messages: what the test calls it, else its arguments. */
  readonly name: string;
  readonly child: ChildProcess;
  /** The gRPC address it logged. */
  readonly address: string;
  /** /healthz, /readyz and /metrics (roles; the standalone has none). */
  readonly health?: string;
  /** stdout and stderr so far. */
  output(): string;
  readonly exited: Promise<number | null>;
  /** Sends `signal` (default SIGTERM) by PID and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface StartOptions {
  readonly name?: string;
  /** Added to this process's environment. */
  readonly env?: NodeJS.ProcessEnv;
}

/** Spawns `loupe ARGS`; rejects if it exits, or has not logged its address within 60 s. */
export async function startLoupe(args: readonly string[], opts: StartOptions = {}): Promise<LoupeProcess> {
  const name = opts.name ?? `loupe ${args.join(' ')}`;
  const child = spawn(LOUPE, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...opts.env } });
  let out = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const started = new Promise<{ address: string; health?: string }>((resolve, reject) => {
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
          if (typeof entry.address !== 'string' || !(entry.msg === 'listening' || entry.msg?.startsWith('ready'))) continue;
          resolve({ address: entry.address, ...(typeof entry.health === 'string' ? { health: entry.health } : {}) });
        } catch {
          // not a log line
        }
      }
    });
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    void exited.then((code) => reject(new Error(`${name} exited with ${code} before serving:\n${out}`)));
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${name} did not log its address within 60 s:\n${out}`)), 60_000)));
  try {
    const { address, health } = await Promise.race([started, timeout]).finally(() => clearTimeout(timer));
    return {
      name,
      child,
      address,
      ...(health ? { health } : {}),
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

/** Runs a PxL script through a query API (a query broker or `loupe standalone`). */
export async function query(address: string, script: string, opts: { entry?: string; security?: ClientSecurity } = {}): Promise<QueryResults> {
  const client = openClient(address, opts.security);
  try {
    return await collectFrames(callStream(client, BROKER_SERVICE.executeScript, { script, ...(opts.entry ? { defaultEntry: opts.entry } : {}) }, undefined, 30_000));
  } finally {
    client.close();
  }
}
