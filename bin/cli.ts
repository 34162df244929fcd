// The one Loupe program: `loupe <role> [flags]`. Each Deployment/DaemonSet runs one role.
import { parseArgs } from 'node:util';
import { ROLES } from '../crds/roles.js';
import { UsageError as KubeConfigUsageError } from '../lib/cli.js';

// Roles with a main; the others are listed as not built yet.
const BUILT_ROLES: readonly string[] = ['operator', 'standalone', 'pem', 'kelvin', 'query-broker'];

const USAGE = `usage: loupe <role> [flags]
       loupe <command> [flags]

commands:
  standalone   Loupe on this host alone: collectors, table store, PxL API (loupe standalone --help)
  run          run a PxL script (px/NAME or a file) against a query API (loupe run --help)
  profile      CPU-profile a process, a cgroup or every process (loupe profile --help)
  trace        record HTTP traffic of a process, a cgroup or every process (loupe trace --help)

roles:
  operator     reconcile Vizier (and, as they land, the other Loupe kinds)
  pem          a node's agent: collectors, table store, query fragments, NATS announce (loupe pem --help)
  kelvin       merges the PEMs' partial results for a query (loupe kelvin --help)
  query-broker the query API over the PEMs and Kelvins NATS announced (loupe query-broker --help)
  not built yet: ${ROLES.filter((r) => !BUILT_ROLES.includes(r)).join(', ')}

loupe operator flags:
  --kubeconfig PATH        kubeconfig (default: $KUBECONFIG, ~/.kube/config, or in-cluster)
  --leader-elect BOOL      run leader election (default true)
  --lease-namespace NS     namespace of the leader Lease (default $POD_NAMESPACE or loupe-system)
  --workers N              concurrent reconciles per controller (default 4)
  --health-addr HOST:PORT  /healthz, /readyz, /metrics (default 127.0.0.1:8081; in a pod 0.0.0.0:8081)
  --identity ID            leader-election identity (default hostname + random suffix)
  --lease-duration SEC     how long a leader's Lease is valid without renewal (default 15)
  --renew-deadline SEC     how long a leader retries renewing before it steps down (default 10)
  --retry-period SEC       how often candidates try to acquire / leaders renew (default 2)`;

class UsageError extends Error {}

function parseHostPort(s: string): { host: string; port: number } {
  const i = s.lastIndexOf(':');
  const port = Number(s.slice(i + 1));
  if (i < 0 || !Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--health-addr: "${s}" is not HOST:PORT (e.g. 0.0.0.0:8081)`);
  return { host: s.slice(0, i) || '0.0.0.0', port };
}

function parseBool(flag: string, s: string): boolean {
  if (s === 'true') return true;
  if (s === 'false') return false;
  throw new UsageError(`${flag}: "${s}" is not true or false`);
}

// Each command loads only its own code: `loupe profile` need not load the Kubernetes client.
async function operator(args: string[]): Promise<void> {
  const { runOperator, defaultLeaseNamespace } = await import('../operator/main.js');
  const { values } = parseArgs({
    args,
    options: {
      kubeconfig: { type: 'string' },
      'leader-elect': { type: 'string', default: 'true' },
      'lease-namespace': { type: 'string' },
      workers: { type: 'string', default: '4' },
      'health-addr': { type: 'string' },
      identity: { type: 'string' },
      'lease-duration': { type: 'string', default: '15' },
      'renew-deadline': { type: 'string', default: '10' },
      'retry-period': { type: 'string', default: '2' },
    },
    strict: true,
  });
  const workers = Number(values.workers);
  if (!Number.isInteger(workers) || workers < 1 || workers > 64) throw new UsageError(`--workers: "${values.workers}" must be an integer from 1 to 64`);
  const seconds = (flag: string) => {
    const v = Number(values[flag as 'lease-duration']);
    if (!Number.isFinite(v) || v <= 0 || v > 3600) throw new UsageError(`--${flag}: "${values[flag as 'lease-duration']}" must be a number of seconds above 0`);
    return Math.round(v * 1000);
  };
  const leaseDurationMs = seconds('lease-duration');
  const renewDeadlineMs = seconds('renew-deadline');
  const retryPeriodMs = seconds('retry-period');
  if (!(retryPeriodMs < renewDeadlineMs && renewDeadlineMs < leaseDurationMs)) {
    throw new UsageError('leader election needs --retry-period < --renew-deadline < --lease-duration');
  }
  const inCluster = !!process.env['KUBERNETES_SERVICE_HOST'];
  const health = parseHostPort(values['health-addr'] ?? (inCluster ? '0.0.0.0:8081' : '127.0.0.1:8081'));
  const manager = await runOperator({
    ...(values.kubeconfig ? { kubeconfig: values.kubeconfig } : {}),
    leaderElect: parseBool('--leader-elect', values['leader-elect']!),
    leaseNamespace: values['lease-namespace'] ?? defaultLeaseNamespace(),
    leaseName: 'loupe-operator',
    workers,
    healthHost: health.host,
    healthPort: health.port,
    ...(values.identity ? { identity: values.identity } : {}),
    leaseDurationMs,
    renewDeadlineMs,
    retryPeriodMs,
  });
  let stopping = false;
  // Like client-go: a leader that loses its Lease exits, so no reconcile of the old term can
  // overlap with the new leader's; the pod restarts and stands by.
  let led = false;
  manager.onLeadershipChange((leading) => {
    if (leading) led = true;
    else if (led && !stopping) {
      console.error('loupe operator: lost the leader Lease; exiting so a restart can stand by');
      process.exit(1);
    }
  });
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.error(`loupe operator: ${signal}, shutting down`);
    manager.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

async function main(argv: string[]): Promise<number> {
  const [role, ...rest] = argv;
  if (!role || role === '--help' || role === '-h' || role === 'help') {
    console.log(USAGE);
    return role ? 0 : 2;
  }
  if (role === 'operator') {
    await operator(rest);
    return -1; // keeps running until a signal
  }
  if (role === 'trace') {
    const { traceCommand } = await import('../dataplane/collectors/trace-command.js');
    return traceCommand(rest);
  }
  if (role === 'standalone') {
    const { standaloneCommand } = await import('../dataplane/standalone/command.js');
    return standaloneCommand(rest);
  }
  if (role === 'run') {
    const { runCommand } = await import('../dataplane/query/run-command.js');
    return runCommand(rest);
  }
  if (role === 'profile') {
    // Loaded on demand: only this command needs the BPF addon.
    const { profileCommand } = await import('../dataplane/profiler/command.js');
    return profileCommand(rest);
  }
  if (role === 'pem' || role === 'kelvin' || role === 'query-broker') {
    const { roleCommand } = await import('../dataplane/roles/command.js');
    return roleCommand(role, rest);
  }
  if ((ROLES as readonly string[]).includes(role)) {
    console.error(`loupe ${role}: this role is not built yet (see README.md, "Status")`);
    return 2;
  }
  console.error(`loupe: unknown role "${role}"\n\n${USAGE}`);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err: unknown) => {
    if (err instanceof KubeConfigUsageError) {
      console.error(`loupe operator: ${err.message}`);
      process.exit(2);
    }
    if (err instanceof UsageError || (err as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || (err as { code?: string }).code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      console.error(`loupe: ${(err as Error).message}\n\n${USAGE}`);
      process.exit(2);
    }
    console.error(`loupe: ${(err as Error).stack ?? String(err)}`);
    process.exit(1);
  },
);
