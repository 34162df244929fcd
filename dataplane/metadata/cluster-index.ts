// The in-memory cluster state KubeMetadata keeps: pod and service records indexed by id, name,
// IP and container id, and each pod's service membership (services whose selector matches its
// labels), kept up to date as either side changes so that lookups are single map reads.
import type { ClusterView, ContainerInfo } from './cluster-view.js';
import { selects, type PodRecord, type ServiceRecord } from './kube-objects.js';
import type { PodInfo, ServiceInfo } from './types.js';

interface PodEntry {
  record: PodRecord;
  info: PodInfo;
}

interface ServiceEntry {
  record: ServiceRecord;
  info: ServiceInfo;
}

export interface ClusterIndexCounts {
  pods: number;
  services: number;
  containers: number;
}

const TERMINAL_PHASES = new Set(['Succeeded', 'Failed']);

function addTo<K, V>(m: Map<K, Set<V>>, k: K, v: V): void {
  let s = m.get(k);
  if (!s) m.set(k, (s = new Set()));
  s.add(v);
}

function removeFrom<K, V>(m: Map<K, Set<V>>, k: K, v: V): void {
  const s = m.get(k);
  if (!s) return;
  s.delete(v);
  if (s.size === 0) m.delete(k);
}

export class ClusterIndex implements ClusterView {
  private readonly pods = new Map<string, PodEntry>();
  private readonly podIdByName = new Map<string, string>();
  private readonly podIdsByIp = new Map<string, Set<string>>();
  private readonly podIdsByNamespace = new Map<string, Set<string>>();
  private readonly containers = new Map<string, ContainerInfo>();
  private readonly services = new Map<string, ServiceEntry>();
  private readonly serviceIdByName = new Map<string, string>();
  private readonly serviceIdByIp = new Map<string, string>();
  private readonly serviceIdsByNamespace = new Map<string, Set<string>>();

  // -- lookups ---------------------------------------------------------------------------------

  pod(podId: string): PodInfo | undefined {
    return this.pods.get(podId)?.info;
  }

  podByName(namespacedName: string): PodInfo | undefined {
    const id = this.podIdByName.get(namespacedName);
    return id === undefined ? undefined : this.pod(id);
  }

  /** When pods share an IP (a finished pod and its successor), a running one, then the newest. */
  podByIp(ip: string): PodInfo | undefined {
    const ids = this.podIdsByIp.get(ip);
    if (!ids) return undefined;
    let best: PodEntry | undefined;
    for (const id of ids) {
      const e = this.pods.get(id)!;
      if (!best || ranksAbove(e.record, best.record)) best = e;
    }
    return best?.info;
  }

  service(serviceId: string): ServiceInfo | undefined {
    return this.services.get(serviceId)?.info;
  }

  serviceByName(namespacedName: string): ServiceInfo | undefined {
    const id = this.serviceIdByName.get(namespacedName);
    return id === undefined ? undefined : this.service(id);
  }

  serviceByIp(ip: string): ServiceInfo | undefined {
    const id = this.serviceIdByIp.get(ip);
    return id === undefined ? undefined : this.service(id);
  }

  container(containerId: string): ContainerInfo | undefined {
    return this.containers.get(containerId);
  }

  counts(): ClusterIndexCounts {
    return { pods: this.pods.size, services: this.services.size, containers: this.containers.size };
  }

  // -- pods ------------------------------------------------------------------------------------

  upsertPod(record: PodRecord): void {
    const old = this.pods.get(record.uid);
    if (old) this.unindexPod(old.record);
    const serviceIds: string[] = [];
    for (const sid of this.serviceIdsByNamespace.get(record.namespace) ?? []) {
      if (selects(this.services.get(sid)!.record, record)) serviceIds.push(sid);
    }
    this.pods.set(record.uid, { record, info: this.podInfo(record, serviceIds) });
    this.indexPod(record);
  }

  removePod(uid: string): void {
    const old = this.pods.get(uid);
    if (!old) return;
    this.unindexPod(old.record);
    this.pods.delete(uid);
  }

  /** The full pod list after a (re)list: pods missing from it are removed. */
  replacePods(records: readonly PodRecord[]): void {
    const keep = new Set(records.map((r) => r.uid));
    for (const uid of [...this.pods.keys()]) if (!keep.has(uid)) this.removePod(uid);
    for (const r of records) this.upsertPod(r);
  }

  private indexPod(r: PodRecord): void {
    this.podIdByName.set(`${r.namespace}/${r.name}`, r.uid);
    addTo(this.podIdsByNamespace, r.namespace, r.uid);
    if (!r.hostNetwork) for (const ip of r.ips) addTo(this.podIdsByIp, ip, r.uid);
    for (const c of r.containers) this.containers.set(c.id, { id: c.id, name: c.name, podId: r.uid });
  }

  private unindexPod(r: PodRecord): void {
    const name = `${r.namespace}/${r.name}`;
    if (this.podIdByName.get(name) === r.uid) this.podIdByName.delete(name);
    removeFrom(this.podIdsByNamespace, r.namespace, r.uid);
    for (const ip of r.ips) removeFrom(this.podIdsByIp, ip, r.uid);
    for (const c of r.containers) if (this.containers.get(c.id)?.podId === r.uid) this.containers.delete(c.id);
  }

  private podInfo(r: PodRecord, serviceIds: string[]): PodInfo {
    const name = (id: string) => this.services.get(id)?.info.name ?? '';
    serviceIds.sort((a, b) => name(a).localeCompare(name(b)) || a.localeCompare(b));
    return Object.freeze({
      id: r.uid,
      name: `${r.namespace}/${r.name}`,
      namespace: r.namespace,
      nodeName: r.nodeName,
      ...(r.ip ? { ip: r.ip } : {}),
      ...(r.startTime !== undefined ? { startTime: r.startTime } : {}),
      ...(r.phase ? { status: r.phase } : {}),
      serviceIds: Object.freeze(serviceIds),
    });
  }

  // -- services --------------------------------------------------------------------------------

  upsertService(record: ServiceRecord): void {
    const old = this.services.get(record.uid);
    if (old) this.unindexService(old.record);
    this.services.set(record.uid, {
      record,
      info: Object.freeze({
        id: record.uid,
        name: `${record.namespace}/${record.name}`,
        namespace: record.namespace,
        ...(record.clusterIps[0] ? { clusterIp: record.clusterIps[0] } : {}),
      }),
    });
    this.indexService(record);
    // Membership: the selector (or the namespace, or the name that orders serviceIds) may have changed.
    const namespaces = new Set([record.namespace, ...(old ? [old.record.namespace] : [])]);
    for (const ns of namespaces) this.refreshMembership(ns, record.uid);
  }

  removeService(uid: string): void {
    const old = this.services.get(uid);
    if (!old) return;
    this.unindexService(old.record);
    this.services.delete(uid);
    this.refreshMembership(old.record.namespace, uid);
  }

  /** The full service list after a (re)list: services missing from it are removed. */
  replaceServices(records: readonly ServiceRecord[]): void {
    const keep = new Set(records.map((r) => r.uid));
    for (const uid of [...this.services.keys()]) if (!keep.has(uid)) this.removeService(uid);
    for (const r of records) this.upsertService(r);
  }

  private indexService(r: ServiceRecord): void {
    this.serviceIdByName.set(`${r.namespace}/${r.name}`, r.uid);
    addTo(this.serviceIdsByNamespace, r.namespace, r.uid);
    for (const ip of r.clusterIps) this.serviceIdByIp.set(ip, r.uid);
  }

  private unindexService(r: ServiceRecord): void {
    const name = `${r.namespace}/${r.name}`;
    if (this.serviceIdByName.get(name) === r.uid) this.serviceIdByName.delete(name);
    removeFrom(this.serviceIdsByNamespace, r.namespace, r.uid);
    for (const ip of r.clusterIps) if (this.serviceIdByIp.get(ip) === r.uid) this.serviceIdByIp.delete(ip);
  }

  /** Re-decides one service's membership for every pod in a namespace, rebuilding the pods that change. */
  private refreshMembership(namespace: string, serviceId: string): void {
    const svc = this.services.get(serviceId)?.record;
    for (const podId of this.podIdsByNamespace.get(namespace) ?? []) {
      const e = this.pods.get(podId)!;
      const was = e.info.serviceIds.includes(serviceId);
      const is = svc !== undefined && selects(svc, e.record);
      if (!was && !is) continue;
      const ids = e.info.serviceIds.filter((id) => id !== serviceId);
      if (is) ids.push(serviceId);
      e.info = this.podInfo(e.record, ids);
    }
  }
}

function ranksAbove(a: PodRecord, b: PodRecord): boolean {
  const aLive = !TERMINAL_PHASES.has(a.phase ?? '');
  const bLive = !TERMINAL_PHASES.has(b.phase ?? '');
  if (aLive !== bLive) return aLive;
  return (a.startTime ?? 0n) > (b.startTime ?? 0n);
}
