// `loupe pem | kelvin | query-broker | metadata`: flags and environment → configuration (config.ts), the
// TLS files and the tracer's processes checked, /healthz /readyz /metrics up, the role started;
// then one "listening" log line and a clean stop on SIGINT/SIGTERM.
//
// Exit codes: 0 after a clean stop or --help; 2 for a flag or environment value that cannot be
// used (the message names it); 1 when the role cannot start (NATS unreachable, address in use,
// eBPF refused).
import type { Logger } from 'pino';
import { UsageError } from '../../lib/cli.js';
import { HealthServer } from '../../lib/health-server.js';
import { createLogger } from '../../lib/logger.js';
import type { CollectorOptions } from '../collectors/socket-trace-collector.js';
import { formatHostPort } from '../../lib/host-port.js';
import { resolveTracerTarget } from './collection-flags.js';
import { parseRoleArgs, USAGE, type RoleConfig, type ServiceRole } from './config.js';
import { roleRegistry } from './health.js';
import { untilSignal } from './lifecycle.js';
import { announcedIdentity, type RoleDeps, type RunningRole } from './role.js';
import { loadInternalTls, type InternalTls } from './tls.js';

export interface RoleCommandOptions {
  readonly env?: NodeJS.ProcessEnv;
}

function roleLogger(config: RoleConfig): Logger {
  return createLogger(config.role).child({ ...(config.pod ? { pod: config.pod } : {}), ...('identity' in config ? announcedIdentity(config.identity) : {}) });
}

async function startRole(c: RoleConfig, deps: RoleDeps, tracer: CollectorOptions | undefined): Promise<RunningRole> {
  // Each role loads only its own code: kelvin and the broker never load the eBPF addon.
  if (c.role === 'pem') return (await import('./pem.js')).startPem(c, { ...deps, ...(tracer ? { tracer } : {}) });
  if (c.role === 'kelvin') return (await import('./kelvin.js')).startKelvin(c, deps);
  if (c.role === 'metadata') return (await import('./metadata.js')).startMetadata(c, deps);
  return (await import('./query-broker.js')).startBroker(c, deps);
}

export async function roleCommand(role: ServiceRole, args: string[], opts: RoleCommandOptions = {}): Promise<number> {
  // Flags, variables, TLS files and the tracer's processes are checked before anything starts:
  // a UsageError from any of them exits 2 (bin/cli.ts).
  const config: RoleConfig | 'help' = parseRoleArgs(role, args, opts.env ?? process.env);
  if (config === 'help') {
    console.log(USAGE[role]);
    return 0;
  }
  const tls: InternalTls | undefined = config.tlsDir ? loadInternalTls(config.tlsDir) : undefined;
  const tracer: CollectorOptions | undefined = config.role === 'pem' ? resolveTracerTarget(config.target) : undefined;

  const log = roleLogger(config);
  let running: RunningRole | undefined;
  const ready = () => running?.readiness() ?? { ready: false, detail: 'starting' };
  const registry = roleRegistry(role, ready);
  const health = new HealthServer({ host: config.health.host, port: config.health.port, registry, readiness: ready, log });
  let healthPort: number;
  try {
    healthPort = await health.start();
  } catch (err) {
    console.error(`loupe ${role}: cannot serve /healthz on ${formatHostPort(config.health)}: ${(err as Error).message}; pass --health-addr HOST:PORT (port 0 picks a free one)`);
    return 1;
  }
  try {
    running = await startRole(config, { log, registry, ...(tls ? { tls } : {}) }, tracer);
  } catch (err) {
    await health.close();
    // A kubeconfig that cannot be loaded is a UsageError too, found only when the role starts.
    if (err instanceof UsageError) throw err;
    console.error(`loupe ${role}: ${(err as Error).message}`);
    return 1;
  }
  log.info(
    {
      address: running.address,
      ...(running.advertise ? { advertise: running.advertise } : {}),
      health: formatHostPort({ host: config.health.host, port: healthPort }),
      nats: config.natsUrl,
      tls: tls ? tls.dir : false,
    },
    'listening',
  );
  const signal = await untilSignal();
  log.info({ signal }, 'stopping');
  await running.stop();
  await health.close();
  log.info({}, 'stopped');
  return 0;
}
