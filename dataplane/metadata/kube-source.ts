// ListWatchSources backed by a real API server, through @kubernetes/client-node: the generated
// client for paginated LISTs, its Watch (lib/kube/reflector.ts) for the streams.
import { CoreV1Api, DiscoveryV1Api, type KubeConfig } from '@kubernetes/client-node';
import { watchCollection, type ListPage, type ListWatchSource } from '../../lib/kube/reflector.js';

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

/** EndpointSlices in every namespace (discovery.k8s.io/v1). */
export function endpointSliceSource(kc: KubeConfig): ListWatchSource {
  const discovery = kc.makeApiClient(DiscoveryV1Api);
  return kubeListWatchSource(kc, 'endpointslices', '/apis/discovery.k8s.io/v1/endpointslices', (req) => discovery.listEndpointSliceForAllNamespaces(req));
}
