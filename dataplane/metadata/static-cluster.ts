// A ClusterView over a fixed list of pods and services (standalone mode given a pod list).
import type { ClusterView, ContainerInfo } from './cluster-view.js';
import type { PodInfo, ServiceInfo } from './types.js';

export class StaticCluster implements ClusterView {
  private readonly pods = new Map<string, PodInfo>();
  private readonly podsByName = new Map<string, PodInfo>();
  private readonly podsByIp = new Map<string, PodInfo>();
  private readonly services = new Map<string, ServiceInfo>();
  private readonly servicesByName = new Map<string, ServiceInfo>();
  private readonly servicesByIp = new Map<string, ServiceInfo>();
  private readonly containers = new Map<string, ContainerInfo>();

  /** Later entries win where two share a name or an IP. */
  constructor(pods: readonly PodInfo[] = [], services: readonly ServiceInfo[] = [], containers: readonly ContainerInfo[] = []) {
    for (const p of pods) {
      this.pods.set(p.id, p);
      this.podsByName.set(p.name, p);
      if (p.ip) this.podsByIp.set(p.ip, p);
    }
    for (const s of services) {
      this.services.set(s.id, s);
      this.servicesByName.set(s.name, s);
      if (s.clusterIp) this.servicesByIp.set(s.clusterIp, s);
    }
    for (const c of containers) this.containers.set(c.id, c);
  }

  pod(podId: string): PodInfo | undefined {
    return this.pods.get(podId);
  }

  podByName(namespacedName: string): PodInfo | undefined {
    return this.podsByName.get(namespacedName);
  }

  podByIp(ip: string): PodInfo | undefined {
    return this.podsByIp.get(ip);
  }

  service(serviceId: string): ServiceInfo | undefined {
    return this.services.get(serviceId);
  }

  serviceByName(namespacedName: string): ServiceInfo | undefined {
    return this.servicesByName.get(namespacedName);
  }

  serviceByIp(ip: string): ServiceInfo | undefined {
    return this.servicesByIp.get(ip);
  }

  container(containerId: string): ContainerInfo | undefined {
    return this.containers.get(containerId);
  }
}
