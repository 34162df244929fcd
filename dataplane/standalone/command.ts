// `loupe standalone`: Loupe on this host alone (see server.ts). Runs until SIGINT/SIGTERM.
import { Ports, STANDALONE_CONTRACT, TABLE_STORE_SHARE } from '../../crds/contract/index.js';
import { parseRoleConfig, roleUsage } from '../../crds/contract/role-config.js';
import { formatHostPort } from '../../lib/host-port.js';
import { createLogger } from '../../lib/logger.js';
import { unbuiltProtocols } from '../protocols/registry.js';
import { resolveTracerTarget, tracerTarget } from '../roles/collection-flags.js';
import { ManifestError } from './cron-manifests.js';
import { StandaloneServer } from './server.js';
import { traceRoleSettings } from '../collectors/trace-roles.js';

export const STANDALONE_USAGE = roleUsage(STANDALONE_CONTRACT);

export async function standaloneCommand(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  // The role contract's parsing and messages, as `loupe pem`; each problem is a UsageError
  // naming the flag or variable, thrown before anything starts.
  const parsed = parseRoleConfig(STANDALONE_CONTRACT, args, env);
  if (parsed === 'help') {
    console.log(STANDALONE_USAGE);
    return 0;
  }
  const v = parsed.values;
  const tracer = resolveTracerTarget(tracerTarget(v.pid, v.cgroup));
  const listen = formatHostPort(v.listen);

  const log = createLogger('standalone');
  for (const protocol of unbuiltProtocols(v.protocols)) log.warn({ protocol }, 'no parser for this protocol yet; not traced');
  let server: StandaloneServer;
  try {
    server = await StandaloneServer.start({
      listen,
      tableStoreBytes: Math.floor(v.memoryLimit * TABLE_STORE_SHARE),
      sources: v.sources,
      ...(tracer ? { tracer } : {}),
      statsIntervalMs: v.statsInterval,
      profilerIntervalMs: v.profileInterval,
      dataAccess: v.dataAccess,
      protocols: v.protocols,
      traceRoles: traceRoleSettings(v),
      identity: { clusterName: v.clusterName ?? '', vizierName: v.vizierName ?? '', namespace: '' },
      ...(v.manifests ? { manifestsDir: v.manifests } : {}),
      log,
    });
  } catch (err) {
    console.error(`loupe standalone: ${err instanceof ManifestError ? `--manifests: ${err.message}` : (err as Error).message}`);
    return 1;
  }
  log.info(
    { address: server.address, tableStoreBytes: server.store.totalBytes, sources: server.status(), dataAccess: v.dataAccess, protocols: v.protocols, ...(v.clusterName ? { cluster: v.clusterName } : {}), ...(v.vizierName ? { vizier: v.vizierName } : {}) },
    `ready: run \`loupe run px/http_data${listen === `127.0.0.1:${Ports.queryBroker}` ? '' : ` --server ${server.address}`}\``,
  );
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
