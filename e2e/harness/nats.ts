// A real NATS server (Debian's nats-server) on 127.0.0.1 for tests: a free port, a scratch
// directory for JetStream, ready when its monitoring endpoint answers; stopped by PID.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, openSync, closeSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from './cluster.js';

const BINARIES = ['/usr/sbin/nats-server', '/usr/bin/nats-server'];

export interface NatsServer {
  /** nats://127.0.0.1:PORT */
  readonly url: string;
  readonly pid: number;
  readonly logPath: string;
  stop(): Promise<void>;
}

export async function startNats(): Promise<NatsServer> {
  const binary = BINARIES.find((b) => existsSync(b));
  if (!binary) throw new Error('nats-server is not installed: run `make deps` (installs the Debian package nats-server) or `apt-get install nats-server`');
  const dir = await mkdtemp(join(tmpdir(), 'loupe-nats-'));
  const [port, monitor] = [await freePort(), await freePort()];
  const logPath = join(dir, 'nats.log');
  const log = openSync(logPath, 'a');
  const child: ChildProcess = spawn(binary, ['-a', '127.0.0.1', '-p', String(port), '-m', String(monitor), '-js', '-sd', join(dir, 'js')], { stdio: ['ignore', log, log] });
  closeSync(log);
  let exited = false;
  child.once('exit', () => (exited = true));
  await waitFor(`nats-server on 127.0.0.1:${port} (log ${logPath})`, async () => {
    if (exited) throw new Error(`nats-server exited during start; see ${logPath}`);
    try {
      return (await fetch(`http://127.0.0.1:${monitor}/healthz`)).ok;
    } catch {
      return false;
    }
  }, 10_000, 50);
  return {
    url: `nats://127.0.0.1:${port}`,
    pid: child.pid!,
    logPath,
    async stop() {
      if (!exited) {
        const gone = new Promise((r) => child.once('exit', r));
        process.kill(child.pid!, 'SIGTERM');
        await gone;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
