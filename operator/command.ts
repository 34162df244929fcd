// `loupe operator`: flags → OperatorOptions, every one checked before anything starts (the
// leader-election timings included, so a bad combination exits 2 naming the flags instead of
// failing inside the elector), then the operator until SIGINT/SIGTERM.
import { UsageError, parseFlags } from '../lib/cli.js';
import { parseHostPort, type HostPort } from '../lib/host-port.js';
import { defaultLeaseNamespace, runOperator, UnsupportedServerError, type OperatorOptions } from './main.js';
import { DEFAULT_LEADER_TIMINGS, leaderTimingProblem, type LeaderTimings } from './runtime/leader.js';
import { DEFAULT_REGISTRY, REGISTRY_PATTERN } from '../crds/kinds/vizier.js';
import type { Controller, ControllerSettings } from './runtime/types.js';

export const OPERATOR_USAGE = `usage: loupe operator [flags]

Reconciles Vizier (and, as they land, the other Loupe kinds) against the API server.

  --kubeconfig PATH        kubeconfig (default: $KUBECONFIG, ~/.kube/config, or in-cluster)
  --leader-elect BOOL      run leader election (default true)
  --lease-namespace NS     namespace of the leader Lease, which must exist (default $POD_NAMESPACE or loupe-system)
  --workers N              concurrent reconciles per controller (default 4)
  --health-addr HOST:PORT  /healthz, /readyz, /metrics (default 127.0.0.1:8081; in a pod 0.0.0.0:8081)
  --identity ID            leader-election identity (default hostname + random suffix)
  --registry REGISTRY      registry (and path) of every image a Vizier runs, NATS and etcd included,
                           when its spec.registry is unset (default ${DEFAULT_REGISTRY})
  --lease-duration SEC     how long a leader's Lease is valid without renewal (default ${DEFAULT_LEADER_TIMINGS.leaseDurationMs / 1000})
  --renew-deadline SEC     how long a leader retries renewing before it steps down (default ${DEFAULT_LEADER_TIMINGS.renewDeadlineMs / 1000})
  --retry-period SEC       how often candidates try to acquire / leaders renew (default ${DEFAULT_LEADER_TIMINGS.retryPeriodMs / 1000});
                           --lease-duration > --renew-deadline > 1.2 × --retry-period`;

const TIMING_FLAGS: Record<keyof LeaderTimings, string> = {
  leaseDurationMs: '--lease-duration',
  renewDeadlineMs: '--renew-deadline',
  retryPeriodMs: '--retry-period',
};

/** --health-addr; an empty host (":8081") means every interface. */
function parseHealthAddr(s: string): HostPort {
  try {
    return parseHostPort(s, { emptyHost: '0.0.0.0' });
  } catch {
    throw new UsageError(`--health-addr: "${s}" is not HOST:PORT (e.g. 0.0.0.0:8081)`, '--health-addr');
  }
}

function parseBool(flag: string, s: string): boolean {
  if (s === 'true') return true;
  if (s === 'false') return false;
  throw new UsageError(`${flag}: "${s}" is not true or false`, flag);
}

function parseSeconds(flag: string, s: string): number {
  const v = Number(s);
  if (s.trim() === '' || !Number.isFinite(v) || v <= 0 || v > 3600) throw new UsageError(`${flag}: "${s}" must be a number of seconds above 0 (at most 3600)`, flag);
  return Math.round(v * 1000);
}

function parseRegistry(s: string): string {
  if (!new RegExp(REGISTRY_PATTERN).test(s)) {
    throw new UsageError(`--registry: "${s}" is not a registry and path like registry.example.com:5000/loupe (no scheme, tag or digest)`, '--registry');
  }
  return s;
}

/** The operator's flags, and what its controllers are told. */
export type OperatorArgs = OperatorOptions & { settings: ControllerSettings };

export function parseOperatorArgs(args: string[], env: NodeJS.ProcessEnv = process.env): OperatorArgs {
  const { values } = parseFlags({
    args,
    options: {
      kubeconfig: { type: 'string' },
      'leader-elect': { type: 'string', default: 'true' },
      'lease-namespace': { type: 'string' },
      workers: { type: 'string', default: '4' },
      'health-addr': { type: 'string' },
      identity: { type: 'string' },
      registry: { type: 'string', default: DEFAULT_REGISTRY },
      'lease-duration': { type: 'string', default: String(DEFAULT_LEADER_TIMINGS.leaseDurationMs / 1000) },
      'renew-deadline': { type: 'string', default: String(DEFAULT_LEADER_TIMINGS.renewDeadlineMs / 1000) },
      'retry-period': { type: 'string', default: String(DEFAULT_LEADER_TIMINGS.retryPeriodMs / 1000) },
    },
    strict: true,
  });
  const workers = Number(values.workers);
  if (!Number.isInteger(workers) || workers < 1 || workers > 64) throw new UsageError(`--workers: "${values.workers}" must be an integer from 1 to 64`, '--workers');
  const timings: LeaderTimings = {
    leaseDurationMs: parseSeconds('--lease-duration', values['lease-duration']),
    renewDeadlineMs: parseSeconds('--renew-deadline', values['renew-deadline']),
    retryPeriodMs: parseSeconds('--retry-period', values['retry-period']),
  };
  const problem = leaderTimingProblem(timings, (setting) => `${TIMING_FLAGS[setting]} (${timings[setting] / 1000} s)`);
  if (problem) throw new UsageError(`leader election: ${problem}`, TIMING_FLAGS.renewDeadlineMs);
  const inCluster = !!env['KUBERNETES_SERVICE_HOST'];
  const health = parseHealthAddr(values['health-addr'] ?? (inCluster ? '0.0.0.0:8081' : '127.0.0.1:8081'));
  return {
    ...(values.kubeconfig ? { kubeconfig: values.kubeconfig } : {}),
    leaderElect: parseBool('--leader-elect', values['leader-elect']),
    leaseNamespace: values['lease-namespace'] ?? defaultLeaseNamespace(env),
    leaseName: 'loupe-operator',
    workers,
    healthHost: health.host,
    healthPort: health.port,
    ...(values.identity ? { identity: values.identity } : {}),
    ...timings,
    settings: { registry: parseRegistry(values.registry) },
  };
}

/**
 * Runs until SIGINT/SIGTERM (exit 0). A replica that loses the leader Lease stays up as a
 * standby: the manager aborts the term's reconciles and campaigns again (operator/README.md).
 */
export async function operatorCommand(args: string[], controllers: (settings: ControllerSettings) => readonly Controller[]): Promise<number> {
  let manager;
  try {
    const { settings, ...opts } = parseOperatorArgs(args);
    manager = await runOperator(opts, controllers(settings));
  } catch (err) {
    if (!(err instanceof UnsupportedServerError)) throw err;
    console.error(`loupe operator: ${err.message}`);
    return 1;
  }
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      console.error(`loupe operator: ${signal}, shutting down`);
      manager.stop().then(
        () => resolve(0),
        (err: unknown) => {
          console.error(err);
          resolve(1);
        },
      );
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
  });
}
