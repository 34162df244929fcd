// `loupe standalone`: Loupe on this host alone (see server.ts). Runs until SIGINT/SIGTERM.
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { parseQuantity, QuantityError } from '../../crds/quantity.js';
import { Ports } from '../../crds/roles.js';
import type { SourceName } from '../pem/collection.js';
import { parseDuration } from '../targets.js';
import { ManifestError } from './cron-manifests.js';
import { StandaloneServer } from './server.js';

export const STANDALONE_USAGE = `usage: loupe standalone [--listen HOST:PORT] [--memory-limit 1Gi] [--sources LIST]
                        [--manifests DIR] [--stats-interval 10s] [--profile-interval 30s]

Collects on this host (HTTP tracing, conn_stats, process and network stats, CPU stacks) into
an in-memory table store and serves PxL queries: \`loupe run px/http_data\` in another shell.

  --listen HOST:PORT     query API (default 127.0.0.1:${Ports.queryBroker}; a loopback address unless you mean it)
  --memory-limit Q       memory for the table store (default 1Gi; 60% of it holds rows)
  --sources LIST         comma-separated: socket_tracer, process_stats, network_stats,
                         cpu_profiler (default all)
  --manifests DIR        CronScript YAML (and ConfigMaps their scriptRef names) to run on schedule
  --stats-interval D     process_stats / network_stats / conn_stats period (default 10s)
  --profile-interval D   how often CPU stacks become stack_traces.beta rows (default 30s)`;

export class StandaloneUsageError extends Error {
  override readonly name = 'StandaloneUsageError';
}

const SOURCES: readonly SourceName[] = ['socket_tracer', 'process_stats', 'network_stats', 'cpu_profiler'];

export async function standaloneCommand(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        listen: { type: 'string', default: `127.0.0.1:${Ports.queryBroker}` },
        'memory-limit': { type: 'string', default: '1Gi' },
        sources: { type: 'string' },
        manifests: { type: 'string' },
        'stats-interval': { type: 'string', default: '10s' },
        'profile-interval': { type: 'string', default: '30s' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (err) {
    console.error(`loupe standalone: ${(err as Error).message}\n\n${STANDALONE_USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(STANDALONE_USAGE);
    return 0;
  }
  let memoryBytes: number;
  let sources: SourceName[] | undefined;
  let statsIntervalMs: number;
  let profilerIntervalMs: number;
  try {
    try {
      memoryBytes = parseQuantity(values['memory-limit']!);
    } catch (err) {
      throw new StandaloneUsageError(`--memory-limit ${values['memory-limit']}: ${(err as QuantityError).message}`);
    }
    if (memoryBytes < 16 * 2 ** 20) throw new StandaloneUsageError(`--memory-limit ${values['memory-limit']}: at least 16Mi`);
    if (values.sources !== undefined) {
      sources = values.sources.split(',').map((s) => s.trim()) as SourceName[];
      const bad = sources.filter((s) => !SOURCES.includes(s));
      if (bad.length > 0 || sources.length === 0) throw new StandaloneUsageError(`--sources: unknown source ${bad.join(', ') || '(empty)'}; choose from ${SOURCES.join(', ')}`);
    }
    const duration = (flag: 'stats-interval' | 'profile-interval') => {
      try {
        return parseDuration(values[flag]!);
      } catch (err) {
        throw new StandaloneUsageError((err as Error).message.replace('--duration', `--${flag}`));
      }
    };
    statsIntervalMs = duration('stats-interval');
    profilerIntervalMs = duration('profile-interval');
  } catch (err) {
    if (!(err instanceof StandaloneUsageError)) throw err;
    console.error(`loupe standalone: ${err.message}\n\n${STANDALONE_USAGE}`);
    return 2;
  }

  const log = pino({ level: process.env['LOUPE_LOG_LEVEL'] ?? 'info', timestamp: pino.stdTimeFunctions.isoTime, formatters: { level: (label) => ({ level: label }) } }).child({ component: 'standalone' });
  let server: StandaloneServer;
  try {
    server = await StandaloneServer.start({
      listen: values.listen!,
      tableStoreBytes: Math.floor(memoryBytes * 0.6),
      ...(sources ? { sources } : {}),
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
