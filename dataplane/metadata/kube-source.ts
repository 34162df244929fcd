// ListWatchSources backed by a real API server, through @kubernetes/client-node: the generated
// client for paginated LISTs, its Watch for the streams.
import { CoreV1Api, Watch, type KubeConfig } from '@kubernetes/client-node';
import type { ListPage, ListWatchSource, WatchHandle } from './list-watch.js';

interface KubeList {
  items: readonly unknown[];
  metadata?: { resourceVersion?: string; _continue?: string };
}

/** Servers end a watch after timeoutSeconds; a random 5–10 min spreads reconnects, as client-go does. */
function watchTimeoutSeconds(): number {
  return 300 + Math.floor(Math.random() * 300);
}

export function kubeListWatchSource(
  kc: KubeConfig,
  name: string,
  /** The collection's URL path, e.g. "/api/v1/pods" (all namespaces). */
  path: string,
  list: (req: { limit: number; _continue?: string }) => Promise<KubeList>,
): ListWatchSource {
  const watcher = new Watch(kc);
  return {
    name,
    async list(pageSize: number, continueToken?: string): Promise<ListPage> {
      const r = await list({ limit: pageSize, ...(continueToken ? { _continue: continueToken } : {}) });
      const next = r.metadata?._continue;
      return { items: r.items, resourceVersion: r.metadata?.resourceVersion ?? '', ...(next ? { continueToken: next } : {}) };
    },
    async watch(resourceVersion, onEvent, onDone): Promise<WatchHandle> {
      const query = { resourceVersion, allowWatchBookmarks: true, timeoutSeconds: watchTimeoutSeconds() };
      const controller = await watcher.watch(path, query, (type: string, object: unknown) => onEvent(type, object), onDone);
      return { abort: () => controller.abort() };
    },
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
