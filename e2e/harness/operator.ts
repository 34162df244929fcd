// Runs the operator for e2e tests: in-process (a Manager) or as a real `bin/loupe operator` process,
// and gives it the identity it has in a cluster: its ServiceAccount with only the generated RBAC.
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { Manager } from '../../operator/runtime/manager.js';
import { createLogger } from '../../lib/logger.js';
import { KubeClient } from '../../operator/runtime/client.js';
import { KubeTransport } from '../../operator/runtime/rest.js';
import { operatorControllers } from '../../controllers/index.js';
import type { ControllerSettings } from '../../operator/runtime/types.js';
import { OPERATOR_ACCOUNT, OPERATOR_NAMESPACE } from '../../controllers/generate-rbac.js';
import { repoRoot } from '../../crds/generate.js';
import type { KubeEnv, UserKubeConfig } from './kube.js';

export const TEST_LEASE = { leaseDurationMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 500 };

export async function startOperator(kc: KubeConfig, identity: string, opts: { workers?: number; leaderElection?: boolean; settings?: ControllerSettings } = {}): Promise<Manager> {
  const manager = new Manager({
    kc,
    identity,
    workers: opts.workers ?? 4,
    healthAddr: { host: '127.0.0.1', port: 0 },
    log: createLogger('operator', { level: process.env['LOUPE_LOG_LEVEL'] ?? 'warn' }).child({ identity }),
    leaderElection: { enabled: opts.leaderElection ?? true, namespace: 'loupe-system', leaseName: 'loupe-operator', ...TEST_LEASE },
    shutdownTimeoutMs: 10_000,
  });
  for (const c of operatorControllers(opts.settings)) manager.register(c);
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
    join(repoRoot(), 'bin', 'loupe'),
    ['operator', '--kubeconfig', kubeconfigPath, '--lease-namespace', 'loupe-system', '--identity', identity, '--health-addr', '127.0.0.1:0',
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

/** The user name the API server gives the operator's ServiceAccount. */
export const OPERATOR_USER = `system:serviceaccount:${OPERATOR_NAMESPACE}:${OPERATOR_ACCOUNT}`;

/**
 * Installs operator/deploy's namespace, ServiceAccount and generated RBAC (as admin) and returns
 * a kubeconfig for that ServiceAccount's user (a client certificate, CN = the user, O = its
 * groups): an operator started with it can do exactly what the generated RBAC allows, so a
 * missing verb fails the test that needs it.
 */
export async function operatorIdentity(env: KubeEnv): Promise<UserKubeConfig> {
  if (!env.makeUserKubeConfig) throw new Error('operatorIdentity needs the harness\'s own API server to sign a client certificate for the operator\'s ServiceAccount user');
  const transport = new KubeTransport(env.kc);
  const admin = new KubeClient(transport);
  try {
    for (const file of ['namespace.yaml', 'serviceaccount.yaml', 'rbac.yaml']) {
      for (const doc of parseAllDocuments(readFileSync(join(repoRoot(), 'operator', 'deploy', 'base', file), 'utf8'))) {
        await admin.apply(doc.toJS() as KubernetesObject);
      }
    }
  } finally {
    transport.close();
  }
  return env.makeUserKubeConfig(OPERATOR_USER, ['system:serviceaccounts', `system:serviceaccounts:${OPERATOR_NAMESPACE}`]);
}

/** The health port a spawned operator logged in its "operator started" line. */
export function healthPortOf(proc: OperatorProcess): number | undefined {
  for (const line of readFileSync(proc.logPath, 'utf8').split('\n')) {
    if (!line.startsWith('{')) continue;
    const entry = JSON.parse(line) as { msg?: string; healthPort?: number };
    if (entry.msg === 'operator started' && entry.healthPort) return entry.healthPort;
  }
  return undefined;
}
