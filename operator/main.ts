// `loupe operator`: the manager with the reconcilers it is given (controllers/index.ts, handed
// over by bin/commands.ts), against KUBECONFIG or in-cluster config.
import { VersionApi, type KubeConfig } from '@kubernetes/client-node';
import { unsupportedServer } from '../crds/kube-versions.js';
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

/** The API server is older than the oldest Kubernetes release Loupe supports. */
export class UnsupportedServerError extends Error {
  override readonly name = 'UnsupportedServerError';
}

type Logger = ReturnType<typeof createLogger>;

/** Refuses a server older than the supported floor; an unreadable /version is logged and let through. */
async function checkServerVersion(kc: KubeConfig, log: Logger): Promise<void> {
  let info;
  try {
    info = await kc.makeApiClient(VersionApi).getCode();
  } catch (err) {
    log.warn({ err: (err as Error).message }, 'could not read the API server version; not checking it');
    return;
  }
  const why = unsupportedServer(info);
  if (why) throw new UnsupportedServerError(why);
  log.info({ kubernetes: info.gitVersion }, 'API server version supported');
}

export async function runOperator(opts: OperatorOptions, controllers: readonly Controller[]): Promise<Manager> {
  const log = createLogger('operator');
  const kc = loadKubeConfig(opts.kubeconfig ? { kind: 'file', path: opts.kubeconfig } : { kind: 'default' });
  await checkServerVersion(kc, log);
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
