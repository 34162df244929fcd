// ListWatchSources backed by a real API server, through @kubernetes/client-node: the generated
// client for paginated LISTs, its Watch (lib/kube/reflector.ts) for the streams.
import { CoreV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { isNotFound } from '../../lib/kube/api-error.js';
import { watchCollection, type ListPage, type ListWatchSource, type WatchHandle } from '../../lib/kube/reflector.js';

interface KubeList {
  items: readonly unknown[];
  metadata?: { resourceVersion?: string; _continue?: string };
}

export function kubeListWatchSource(
  kc: KubeConfig,
  name: string,
  /** The collection's URL path, e.g. "/api/v1/pods" (all namespaces). */
  path: string,
  list: (req: { limit: number; _continue?: string }) => Promise<KubeList>,
): ListWatchSource {
  return {
    name,
    async list(pageSize, continueToken): Promise<ListPage> {
      const r = await list({ limit: pageSize, ...(continueToken ? { _continue: continueToken } : {}) });
      const next = r.metadata?._continue;
      return { items: r.items, resourceVersion: r.metadata?.resourceVersion ?? '', ...(next ? { continueToken: next } : {}) };
    },
    watch: watchCollection(kc, path),
  };
}

/** Pods and services in every namespace. */
export function podAndServiceSources(kc: KubeConfig): { pods: ListWatchSource; services: ListWatchSource } {
  const core = kc.makeApiClient(CoreV1Api);
  return {
    pods: kubeListWatchSource(kc, 'pods', '/api/v1/pods', (req) => core.listPodForAllNamespaces(req)),
    services: kubeListWatchSource(kc, 'services', '/api/v1/services', (req) => core.listServiceForAllNamespaces(req)),
  };
}

/** Nodes: their pod CIDRs and addresses (ClusterNetworks). */
export function nodeSource(kc: KubeConfig): ListWatchSource {
  const core = kc.makeApiClient(CoreV1Api);
  return kubeListWatchSource(kc, 'nodes', '/api/v1/nodes', (req) => core.listNode(req));
}

/** discovery.k8s.io versions that serve EndpointSlices, preferred first (v1beta1: before Kubernetes 1.21). */
export const ENDPOINT_SLICE_VERSIONS = ['v1', 'v1beta1'] as const;

/**
 * EndpointSlices in every namespace, from discovery.k8s.io/v1, or v1beta1 where the API server
 * has no v1 (Kubernetes 1.17–1.20). The version is chosen by the first LIST that the server does
 * not answer with 404 and kept for the watches; when neither version exists, the LIST fails with
 * the 404 and the next attempt tries both again.
 */
export function endpointSliceSource(kc: KubeConfig): ListWatchSource {
  const custom = kc.makeApiClient(CustomObjectsApi);
  let version: (typeof ENDPOINT_SLICE_VERSIONS)[number] | undefined;
  const sources = new Map(ENDPOINT_SLICE_VERSIONS.map((v) => [v, kubeListWatchSource(kc, 'endpointslices', `/apis/discovery.k8s.io/${v}/endpointslices`, (req) =>
    custom.listClusterCustomObject({ group: 'discovery.k8s.io', version: v, plural: 'endpointslices', ...req }) as Promise<KubeList>)]));
  return {
    name: 'endpointslices',
    async list(pageSize, continueToken, signal): Promise<ListPage> {
      if (version) return sources.get(version)!.list(pageSize, continueToken, signal);
      let notFound: unknown;
      for (const v of ENDPOINT_SLICE_VERSIONS) {
        try {
          const page = await sources.get(v)!.list(pageSize, continueToken, signal);
          version = v;
          return page;
        } catch (err) {
          if (!isNotFound(err)) throw err;
          notFound = err;
        }
      }
      throw notFound;
    },
    watch(resourceVersion, onEvent, onDone): Promise<WatchHandle> {
      return sources.get(version ?? ENDPOINT_SLICE_VERSIONS[0])!.watch(resourceVersion, onEvent, onDone);
    },
  };
}
