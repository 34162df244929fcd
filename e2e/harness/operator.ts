// Runs the operator for e2e tests: in-process (a Manager) or as a real `bin/loupe operator` process.
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync } from 'node:fs';
import { join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { Manager } from '../../operator/runtime/manager.js';
import { createLogger } from '../../lib/logger.js';
import { vizierController } from '../../controllers/vizier/reconciler.js';
import { repoRoot } from '../../crds/generate.js';

export const TEST_LEASE = { leaseDurationMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 500 };

export async function startOperator(kc: KubeConfig, identity: string, opts: { workers?: number; leaderElection?: boolean } = {}): Promise<Manager> {
  const manager = new Manager({
    kc,
    identity,
    workers: opts.workers ?? 4,
    healthAddr: { host: '127.0.0.1', port: 0 },
    log: createLogger('operator', { level: process.env['LOUPE_LOG_LEVEL'] ?? 'warn' }).child({ identity }),
    leaderElection: { enabled: opts.leaderElection ?? true, namespace: 'loupe-system', leaseName: 'loupe-operator', ...TEST_LEASE },
    shutdownTimeoutMs: 10_000,
  });
  manager.register(vizierController());
  await manager.start();
  return manager;
}

export interface OperatorProcess {
  child: ChildProcess;
  logPath: string;
  exited: Promise<number | null>;
}

/** `bin/loupe operator` as its own process, so tests can SIGKILL it like a crashed pod. */
export function spawnOperator(kubeconfigPath: string, dir: string, identity: string, extraArgs: string[] = []): OperatorProcess {
  const logPath = join(dir, `operator-${identity}.log`);
  const out = openSync(logPath, 'a');
  const child = spawn(
    process.execPath,
    [join(repoRoot(), 'bin', 'loupe'), 'operator', '--kubeconfig', kubeconfigPath, '--lease-namespace', 'loupe-system', '--identity', identity, '--health-addr', '127.0.0.1:0',
      '--lease-duration', String(TEST_LEASE.leaseDurationMs / 1000), '--renew-deadline', String(TEST_LEASE.renewDeadlineMs / 1000), '--retry-period', String(TEST_LEASE.retryPeriodMs / 1000), ...extraArgs],
    { stdio: ['ignore', out, out], env: { ...process.env, LOUPE_LOG_LEVEL: process.env['LOUPE_LOG_LEVEL'] ?? 'info' } },
  );
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const kill = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  process.once('exit', kill);
  return { child, logPath, exited };
}
