// `loupe operator`: the manager with every reconciler, against KUBECONFIG or in-cluster config.
import { KubeConfig } from '@kubernetes/client-node';
import { Manager } from './runtime/manager.js';
import { createLogger } from '../lib/logger.js';
import { vizierController } from '../controllers/vizier/reconciler.js';

export interface OperatorOptions {
  kubeconfig?: string;
  leaderElect: boolean;
  leaseNamespace: string;
  leaseName: string;
  workers: number;
  healthHost: string;
  healthPort: number;
  identity?: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
}

export function defaultLeaseNamespace(env: NodeJS.ProcessEnv = process.env): string {
  return env['POD_NAMESPACE'] || 'loupe-system';
}

/** A problem with the operator's configuration that the user fixes; printed without a stack. */
export class OperatorConfigError extends Error {
  override readonly name = 'OperatorConfigError';
}

export function loadKubeConfig(path?: string, env: NodeJS.ProcessEnv = process.env): KubeConfig {
  const kc = new KubeConfig();
  const source = path ? `--kubeconfig ${path}` : env['KUBECONFIG'] ? `$KUBECONFIG (${env['KUBECONFIG']})` : 'the default kubeconfig or in-cluster config';
  try {
    if (path) kc.loadFromFile(path);
    else kc.loadFromDefault();
  } catch (err) {
    throw new OperatorConfigError(`cannot load ${source}: ${(err as Error).message}; point --kubeconfig or KUBECONFIG at a readable kubeconfig`);
  }
  if (!kc.getCurrentCluster()) throw new OperatorConfigError(`no Kubernetes cluster in ${source}: set KUBECONFIG, pass --kubeconfig, or run in a pod`);
  return kc;
}

export async function runOperator(opts: OperatorOptions): Promise<Manager> {
  const log = createLogger('operator');
  const kc = loadKubeConfig(opts.kubeconfig);
  const manager = new Manager({
    kc,
    log,
    workers: opts.workers,
    ...(opts.identity ? { identity: opts.identity } : {}),
    healthAddr: { host: opts.healthHost, port: opts.healthPort },
    leaderElection: {
      enabled: opts.leaderElect,
      namespace: opts.leaseNamespace,
      leaseName: opts.leaseName,
      ...(opts.leaseDurationMs ? { leaseDurationMs: opts.leaseDurationMs } : {}),
      ...(opts.renewDeadlineMs ? { renewDeadlineMs: opts.renewDeadlineMs } : {}),
      ...(opts.retryPeriodMs ? { retryPeriodMs: opts.retryPeriodMs } : {}),
    },
  });
  manager.register(vizierController());
  await manager.start();
  log.info({ server: kc.getCurrentCluster()?.server, leaseNamespace: opts.leaseNamespace, healthPort: manager.healthPort }, 'operator started');
  return manager;
}
