// `loupe operator`: the manager with the reconcilers it is given (controllers/index.ts, handed
// over by bin/commands.ts), against KUBECONFIG or in-cluster config.
import { loadKubeConfig } from '../lib/kube/kubeconfig.js';
import { createLogger } from '../lib/logger.js';
import { Manager } from './runtime/manager.js';
import type { Controller } from './runtime/types.js';

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

export async function runOperator(opts: OperatorOptions, controllers: readonly Controller[]): Promise<Manager> {
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
  for (const controller of controllers) manager.register(controller);
  await manager.start();
  log.info({ server: kc.getCurrentCluster()?.server, leaseNamespace: opts.leaseNamespace, healthPort: manager.healthPort }, 'operator started');
  return manager;
}
