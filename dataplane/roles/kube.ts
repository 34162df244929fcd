// The cluster view of `loupe pem` and `loupe kelvin`: a KubeMetadata over the API server that
// --kubeconfig names, or the pod's service account. Before watching, one small LIST of pods and
// of services checks the address, the credentials and the RBAC, so that a misconfigured role
// stops at start with what failed instead of retrying quietly; after that the watches retry on
// their own and readiness reports whether pods and services have been listed.
//
// Given NATS, the view reads through `loupe metadata` (one watch of the API server for the whole
// cluster instead of one per agent) and falls back to its own watches while the service does not
// answer (dataplane/metadata-service/fallback.ts); the API check above still runs, since the
// fallback needs the same access. `loupe metadata` itself watches with the same sources.
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { NatsConnection } from 'nats';
import { ApiError, toApiError } from '../../lib/kube/api-error.js';
import { loadKubeConfig } from '../../lib/kube/kubeconfig.js';
import type { ListWatchSource } from '../../lib/kube/reflector.js';
import type { ClusterNetworks } from '../metadata/cluster-networks.js';
import { KubeMetadata } from '../metadata/kube.js';
import { endpointSliceSource, nodeSource, podAndServiceSources } from '../metadata/kube-source.js';
import { MetadataServiceClient } from '../metadata-service/client.js';
import { MetadataFallback, type MetadataVia } from '../metadata-service/fallback.js';
import type { MetadataResource } from '../metadata-service/wire.js';
import type { KubeSource } from './config.js';
import type { RoleLog } from './health.js';

/** What the service account needs (mirrors the metadata ClusterRole in controllers/vizier/render.ts). */
const RBAC_HINT = 'the service account needs get, list and watch on pods and services (and discovery.k8s.io endpointslices) in all namespaces';

/** Every resource the metadata views read, straight from the API server. */
export function apiSources(kc: KubeConfig): Record<MetadataResource, ListWatchSource> {
  const { pods, services } = podAndServiceSources(kc);
  return { pods, services, endpointslices: endpointSliceSource(kc), nodes: nodeSource(kc) };
}

/** Loads the kubeconfig and checks that pods and services may be listed; errors say what failed. */
export async function connectKube(src: KubeSource): Promise<{ kc: KubeConfig; server: string }> {
  const kc = loadKubeConfig(src, { hint: 'or --no-kube for /proc only' });
  const server = kc.getCurrentCluster()!.server;
  await preflight(kc, server);
  return { kc, server };
}

async function preflight(kc: KubeConfig, server: string): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  const checks: [string, () => Promise<unknown>][] = [
    ['pods', () => core.listPodForAllNamespaces({ limit: 1 })],
    ['services', () => core.listServiceForAllNamespaces({ limit: 1 })],
  ];
  for (const [resource, list] of checks) {
    try {
      await list();
    } catch (thrown) {
      const err = toApiError(thrown, `${resource} in all namespaces`, 'LIST');
      const code = err instanceof ApiError ? err.status : undefined;
      const message = err instanceof ApiError ? err.serverMessage : (err as Error).message;
      const head = `metadata: Kubernetes API ${server}: cannot list ${resource} in all namespaces`;
      if (code === 403) throw new Error(`${head}: forbidden (RBAC is missing verb "list" on resource "${resource}", API group "", cluster-wide: ${RBAC_HINT}): ${message}`);
      if (code === 401) throw new Error(`${head}: unauthorized (the credentials were refused): ${message}`);
      throw new Error(`${head}: ${code ? `HTTP ${code}: ` : ''}${message}`);
    }
  }
}

export interface ClusterMetadata {
  readonly metadata: KubeMetadata;
  /** The API server's URL, for logs. */
  readonly server: string;
  /** Where pods and services come from now (with NATS: the metadata service or the API server), and why. */
  via(): { via: MetadataVia; reason: string };
  /** Stops the watches (and the metadata service probe). */
  stop(): void;
}

export interface ClusterMetadataOptions {
  readonly log: RoleLog;
  readonly nodeName?: string;
  readonly networks?: ClusterNetworks;
  /** Read through `loupe metadata` over this connection, with the API server as fallback. */
  readonly nats?: NatsConnection;
}

/**
 * Builds the KubeMetadata, checks it may list pods and services (throws a clear error if not),
 * and starts the watches without waiting for them: `metadata.synced` says when they are listed.
 */
export async function startClusterMetadata(src: KubeSource, opts: ClusterMetadataOptions): Promise<ClusterMetadata> {
  const { kc, server } = await connectKube(src);
  const api = apiSources(kc);
  const client = opts.nats && new MetadataServiceClient(opts.nats);
  const fallback = client && new MetadataFallback({ log: opts.log, probe: async () => (await client.ping()) !== undefined });
  const pick = (r: MetadataResource) => (fallback && client ? fallback.source(client.source(r), api[r]) : api[r]);
  const metadata = new KubeMetadata(
    { pods: pick('pods'), services: pick('services'), endpointSlices: pick('endpointslices'), ...(opts.networks ? { nodes: pick('nodes') } : {}) },
    { log: opts.log, ...(opts.nodeName ? { nodeName: opts.nodeName } : {}), ...(opts.networks ? { networks: opts.networks } : {}) },
  );
  metadata.start().then(
    () => opts.log.info({ server, ...metadata.counts() }, 'Kubernetes metadata synced'),
    (err: Error) => opts.log.error({ server, err: err.message }, 'Kubernetes metadata not synced yet; still retrying'),
  );
  return {
    metadata,
    server,
    via: () => fallback?.via ?? { via: 'kubernetes-api', reason: 'no NATS connection given' },
    stop: () => {
      fallback?.stop();
      metadata.stop();
    },
  };
}
