// `loupe operator`: the manager with every reconciler, against KUBECONFIG or in-cluster config.
import { Manager } from './runtime/manager.js';
import { loadKubeConfig } from '../lib/kube/kubeconfig.js';
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

export async function runOperator(opts: OperatorOptions): Promise<Manager> {
  const log = createLogger('operator');
  const kc = loadKubeConfig(opts.kubeconfig ? { kind: 'file', path: opts.kubeconfig } : { kind: 'default' });
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
