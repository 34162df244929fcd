// `loupe standalone`: Loupe on this host alone (see server.ts). Runs until SIGINT/SIGTERM.
import { Ports } from '../../crds/roles.js';
import { parseFlags } from '../../lib/cli.js';
import { createLogger } from '../../lib/logger.js';
import type { CollectorOptions } from '../collectors/socket-trace-collector.js';
import type { SourceName } from '../pem/collection.js';
import { parseSources, parseTracerTarget, resolveTracerTarget } from '../roles/collection-flags.js';
import { formatHostPort, parseHostPort } from '../roles/address.js';
import { bytesSetting, intervalSetting } from '../roles/settings.js';
import { ManifestError } from './cron-manifests.js';
import { StandaloneServer } from './server.js';

export const STANDALONE_USAGE = `usage: loupe standalone [--listen HOST:PORT] [--memory-limit 1Gi] [--sources LIST]
                        [--pid N,N | --cgroup PATH] [--manifests DIR] [--stats-interval 10s]
                        [--profile-interval 30s]

Collects on this host (HTTP tracing, conn_stats, process and network stats, CPU stacks) into
an in-memory table store and serves PxL queries: \`loupe run px/http_data\` in another shell.

  --listen HOST:PORT     query API (default 127.0.0.1:${Ports.queryBroker}; a loopback address unless you mean it)
  --memory-limit Q       memory for the table store (default 1Gi; 60% of it holds rows)
  --sources LIST         comma-separated: socket_tracer, process_stats, network_stats,
                         cpu_profiler (default all)
  --pid N,N              trace only these processes (repeatable), as \`loupe pem --pid\`
  --cgroup PATH          trace only this cgroup v2 directory and below (absolute, or relative
                         to the cgroup2 mount); neither: every process but this one
  --manifests DIR        CronScript YAML (and ConfigMaps their scriptRef names) to run on schedule
  --stats-interval D     process_stats / network_stats / conn_stats period (default 10s)
  --profile-interval D   how often CPU stacks become stack_traces.beta rows (default 30s)`;

export async function standaloneCommand(args: string[]): Promise<number> {
  const { values } = parseFlags({
    args,
    options: {
      listen: { type: 'string', default: `127.0.0.1:${Ports.queryBroker}` },
      'memory-limit': { type: 'string', default: '1Gi' },
      sources: { type: 'string' },
      pid: { type: 'string', multiple: true },
      cgroup: { type: 'string' },
      manifests: { type: 'string' },
      'stats-interval': { type: 'string', default: '10s' },
      'profile-interval': { type: 'string', default: '30s' },
    },
    strict: true,
  });
  // The same parsing and messages as `loupe pem` (roles/settings.ts, roles/address.ts); each
  // throws a UsageError naming the flag.
  const listen = formatHostPort(parseHostPort({ value: values.listen, from: '--listen' }));
  const memoryBytes = bytesSetting({ value: values['memory-limit'], from: '--memory-limit' }, 16 * 2 ** 20);
  const sources: SourceName[] | undefined = parseSources(values.sources);
  const tracer: CollectorOptions | undefined = resolveTracerTarget(parseTracerTarget(values.pid, values.cgroup));
  const statsIntervalMs = intervalSetting({ value: values['stats-interval'], from: '--stats-interval' });
  const profilerIntervalMs = intervalSetting({ value: values['profile-interval'], from: '--profile-interval' });

  const log = createLogger('standalone');
  let server: StandaloneServer;
  try {
    server = await StandaloneServer.start({
      listen,
      tableStoreBytes: Math.floor(memoryBytes * 0.6),
      ...(sources ? { sources } : {}),
      ...(tracer ? { tracer } : {}),
      statsIntervalMs,
      profilerIntervalMs,
      ...(values.manifests ? { manifestsDir: values.manifests } : {}),
      log,
    });
  } catch (err) {
    console.error(`loupe standalone: ${err instanceof ManifestError ? `--manifests: ${err.message}` : (err as Error).message}`);
    return 1;
  }
  log.info({ address: server.address, tableStoreBytes: server.store.totalBytes, sources: server.status() }, `ready: run \`loupe run px/http_data${values.listen === `127.0.0.1:${Ports.queryBroker}` ? '' : ` --server ${server.address}`}\``);
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log.info({ signal }, 'stopping');
      resolve();
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  await server.stop();
  log.info({}, 'stopped');
  return 0;
}
