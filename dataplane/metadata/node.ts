// A PEM's metadata view: this node's processes (LocalMetadata over /proc) layered over the
// cluster (KubeMetadata). A process whose cgroup names a container but no pod (some runtimes
// and drivers leave the pod out of the path) gets its pod and container name from the pod
// status that lists that container id.
import type { ClusterView } from './cluster-view.js';
import type { MetadataView, PodInfo, ProcessInfo, ServiceInfo } from './types.js';

export class NodeMetadata implements MetadataView {
  constructor(
    /** Processes, node name and hostname come from here (a LocalMetadata). */
    private readonly local: MetadataView,
    /** Pods, services and containers from here (a KubeMetadata). */
    private readonly cluster: ClusterView,
  ) {}

  get nodeName(): string {
    return this.local.nodeName;
  }

  get hostname(): string {
    return this.local.hostname;
  }

  process(upid: string): ProcessInfo | undefined {
    const p = this.local.process(upid);
    if (!p?.containerId) return p;
    const c = this.cluster.container(p.containerId);
    // A cgroup that names another pod than the pod status does wins: the kernel's word is first-hand.
    if (!c || (p.podId !== undefined && p.podId !== c.podId)) return p;
    if (p.podId === c.podId && p.containerName === c.name) return p;
    return { ...p, podId: c.podId, containerName: c.name };
  }

  pod(podId: string): PodInfo | undefined {
    return this.cluster.pod(podId);
  }

  podByName(namespacedName: string): PodInfo | undefined {
    return this.cluster.podByName(namespacedName);
  }

  podByIp(ip: string): PodInfo | undefined {
    return this.cluster.podByIp(ip);
  }

  service(serviceId: string): ServiceInfo | undefined {
    return this.cluster.service(serviceId);
  }

  serviceByName(namespacedName: string): ServiceInfo | undefined {
    return this.cluster.serviceByName(namespacedName);
  }

  serviceByIp(ip: string): ServiceInfo | undefined {
    return this.cluster.serviceByIp(ip);
  }
}
