// A PEM's metadata view: this node's processes (LocalMetadata over /proc) layered over the
// cluster (KubeMetadata). A process whose cgroup names a container but no pod (some runtimes
// and drivers leave the pod out of the path) gets its pod and container name from the pod
// status that lists that container id. Those answers are remembered (a bounded LRU by container
// id), so a process keeps its pod and container name after the cluster view has forgotten its
// pod (a tombstone past its retention, or a restart of the view).
import type { ClusterView, ContainerInfo } from './cluster-view.js';
import { LruMap } from './lru.js';
import type { MetadataView, PodInfo, ProcessInfo, ServiceInfo } from './types.js';

export interface NodeMetadataOptions {
  /** Container ids whose pod is remembered (default 16384). */
  containerCacheSize?: number;
}

export const DEFAULT_CONTAINER_CACHE_SIZE = 16384;

export class NodeMetadata implements MetadataView {
  private readonly containers: LruMap<string, ContainerInfo>;

  constructor(
    /** Processes, node name and hostname come from here (a LocalMetadata). */
    private readonly local: MetadataView,
    /** Pods, services and containers from here (a KubeMetadata). */
    private readonly cluster: ClusterView,
    opts: NodeMetadataOptions = {},
  ) {
    this.containers = new LruMap(opts.containerCacheSize ?? DEFAULT_CONTAINER_CACHE_SIZE);
  }

  get nodeName(): string {
    return this.local.nodeName;
  }

  get hostname(): string {
    return this.local.hostname;
  }

  process(upid: string): ProcessInfo | undefined {
    const p = this.local.process(upid);
    if (!p?.containerId) return p;
    const c = this.container(p.containerId);
    // A cgroup that names another pod than the pod status does wins: the kernel's word is first-hand.
    if (!c || (p.podId !== undefined && p.podId !== c.podId)) return p;
    if (p.podId === c.podId && p.containerName === c.name) return p;
    return { ...p, podId: c.podId, containerName: c.name };
  }

  /** The cluster's answer, remembered; what was remembered when the cluster no longer knows. */
  private container(id: string): ContainerInfo | undefined {
    const c = this.cluster.container(id);
    if (!c) return this.containers.get(id);
    this.containers.set(id, c);
    return c;
  }

  pod(podId: string): PodInfo | undefined {
    return this.cluster.pod(podId);
  }

  podByName(namespacedName: string): PodInfo | undefined {
    return this.cluster.podByName(namespacedName);
  }

  podByIp(ip: string, atNs?: bigint): PodInfo | undefined {
    return this.cluster.podByIp(ip, atNs);
  }

  service(serviceId: string): ServiceInfo | undefined {
    return this.cluster.service(serviceId);
  }

  serviceByName(namespacedName: string): ServiceInfo | undefined {
    return this.cluster.serviceByName(namespacedName);
  }

  serviceByIp(ip: string, atNs?: bigint): ServiceInfo | undefined {
    return this.cluster.serviceByIp(ip, atNs);
  }
}
