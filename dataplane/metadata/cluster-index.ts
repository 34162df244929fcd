// The in-memory cluster state KubeMetadata keeps: pod, service and EndpointSlice records indexed
// by id, name, IP and container id, and each pod's service membership, kept up to date as any
// side changes so that lookups are single map reads (or a scan of the few pods that ever held
// one IP).
//
// Deleted pods and services are kept as tombstones (info.deletedAt set), because the rows a
// query reads outlive them: for tombstoneRetentionMs (default 24 h, the table store's default
// retention) and at most maxDeletedPods / maxDeletedServices of each, the oldest deletion
// forgotten first. A tombstone keeps its names, IPs, containers and last service membership;
// lookups without a time prefer a live object with the same name or IP.
//
// Service membership. EndpointSlices are Kubernetes' own answer to "which pods back this
// service" (services without selectors, hand-written endpoints, pods the controller left out),
// so once the slices have been listed, a pod belongs to the services whose slices list it, ready
// or not. The selector still decides where the slices cannot yet: for a pod in no slice at all
// (just created, no IP yet, finished) and for a service that has no slice yet (the controller
// lags, or no controller runs). Until slices are listed, e.g. when the API forbids reading
// them, membership comes from selectors alone, as it did before slices were watched.
import { wallClockNs } from '../../lib/clock.js';
import type { ClusterView, ContainerInfo } from './cluster-view.js';
import { selects, type EndpointSliceRecord, type PodRecord, type ServiceRecord } from './kube-objects.js';
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
  /** Live pods and services (tombstones not included). */
  pods: number;
  services: number;
  /** Container ids that map to a pod, deleted pods' included. */
  containers: number;
  deletedPods: number;
  deletedServices: number;
  endpointSlices: number;
}

export interface ClusterIndexOptions {
  /** How long a deleted pod or service stays resolvable (default 24 h). */
  tombstoneRetentionMs?: number;
  /** Most deleted pods remembered (default 20 000); beyond it the oldest deletion goes first. */
  maxDeletedPods?: number;
  /** Most deleted services remembered (default 5 000). */
  maxDeletedServices?: number;
  /** ns since the epoch; default the wall clock. */
  now?: () => bigint;
}

export const DEFAULT_TOMBSTONE_RETENTION_MS = 24 * 60 * 60 * 1000;
export const DEFAULT_MAX_DELETED_PODS = 20_000;
export const DEFAULT_MAX_DELETED_SERVICES = 5_000;

const TERMINAL_PHASES = new Set(['Succeeded', 'Failed']);
const NO_SLICES: ReadonlySet<string> = new Set();

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

const nameOf = (r: { namespace: string; name: string }): string => `${r.namespace}/${r.name}`;
const sameIds = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((v, i) => v === b[i]);

export class ClusterIndex implements ClusterView {
  private readonly retentionNs: bigint;
  private readonly maxDeletedPods: number;
  private readonly maxDeletedServices: number;
  private readonly now: () => bigint;

  /** Live pods and tombstones. */
  private readonly pods = new Map<string, PodEntry>();
  /** Tombstoned pod uids → deletion time, oldest deletion first (insertion order). */
  private readonly deletedPods = new Map<string, bigint>();
  /** A live pod's uid, else the most recently deleted pod's with that name. */
  private readonly podIdByName = new Map<string, string>();
  /** Every pod (live or deleted) that had the IP; host-network pods left out. */
  private readonly podIdsByIp = new Map<string, Set<string>>();
  /** Live pods only: the pods whose membership a service change may change. */
  private readonly podIdsByNamespace = new Map<string, Set<string>>();
  private readonly containers = new Map<string, ContainerInfo>();

  private readonly services = new Map<string, ServiceEntry>();
  private readonly deletedServices = new Map<string, bigint>();
  private readonly serviceIdByName = new Map<string, string>();
  private readonly serviceIdsByIp = new Map<string, Set<string>>();
  private readonly serviceIdsByNamespace = new Map<string, Set<string>>();

  private readonly slices = new Map<string, EndpointSliceRecord>();
  /** "uid:…" / "name:…" / "ip:…" (see EndpointSliceRecord.refs) → slices with that ref. */
  private readonly sliceIdsByRef = new Map<string, Set<string>>();
  /** "namespace/service" → its slices. */
  private readonly sliceIdsByService = new Map<string, Set<string>>();
  /** True once slices have been listed: from then on they decide membership. */
  private slicesListed = false;

  constructor(opts: ClusterIndexOptions = {}) {
    const retentionMs = opts.tombstoneRetentionMs ?? DEFAULT_TOMBSTONE_RETENTION_MS;
    this.maxDeletedPods = opts.maxDeletedPods ?? DEFAULT_MAX_DELETED_PODS;
    this.maxDeletedServices = opts.maxDeletedServices ?? DEFAULT_MAX_DELETED_SERVICES;
    for (const [k, v] of [['tombstoneRetentionMs', retentionMs], ['maxDeletedPods', this.maxDeletedPods], ['maxDeletedServices', this.maxDeletedServices]] as const) {
      if (!Number.isInteger(v) || v < 0) throw new RangeError(`ClusterIndex ${k} must be a non-negative integer, got ${v}`);
    }
    this.retentionNs = BigInt(retentionMs) * 1_000_000n;
    this.now = opts.now ?? wallClockNs;
  }

  // -- lookups ---------------------------------------------------------------------------------

  pod(podId: string): PodInfo | undefined {
    return this.pods.get(podId)?.info;
  }

  podByName(namespacedName: string): PodInfo | undefined {
    const id = this.podIdByName.get(namespacedName);
    return id === undefined ? undefined : this.pod(id);
  }

  /**
   * Without a time: a live pod over a deleted one, then a running one over a finished one (whose
   * IP the kubelet already released), then the newest. With atNs: the pod that held the IP then.
   */
  podByIp(ip: string, atNs?: bigint): PodInfo | undefined {
    const ids = this.podIdsByIp.get(ip);
    if (!ids) return undefined;
    let best: PodEntry | undefined;
    for (const id of ids) {
      const e = this.pods.get(id)!;
      if (!best || (atNs === undefined ? podRanksAbove(e, best) : heldAt(podStart(e.record), isLive(e), podStart(best.record), isLive(best), atNs))) best = e;
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

  /** As podByIp: a live service first without a time, the one that had the IP then with one. */
  serviceByIp(ip: string, atNs?: bigint): ServiceInfo | undefined {
    const ids = this.serviceIdsByIp.get(ip);
    if (!ids) return undefined;
    let best: ServiceEntry | undefined;
    for (const id of ids) {
      const e = this.services.get(id)!;
      if (!best || (atNs === undefined ? serviceRanksAbove(e, best) : heldAt(e.record.createdAt ?? 0n, isLive(e), best.record.createdAt ?? 0n, isLive(best), atNs))) best = e;
    }
    return best?.info;
  }

  container(containerId: string): ContainerInfo | undefined {
    return this.containers.get(containerId);
  }

  /** True once EndpointSlices have been listed (they then decide service membership). */
  get endpointSlicesListed(): boolean {
    return this.slicesListed;
  }

  counts(): ClusterIndexCounts {
    return {
      pods: this.pods.size - this.deletedPods.size,
      services: this.services.size - this.deletedServices.size,
      containers: this.containers.size,
      deletedPods: this.deletedPods.size,
      deletedServices: this.deletedServices.size,
      endpointSlices: this.slices.size,
    };
  }

  /** Forgets tombstones past their retention or beyond the count bounds, oldest first. */
  prune(): void {
    const cutoff = this.now() - this.retentionNs;
    for (const [uid, at] of this.deletedPods) {
      if (this.deletedPods.size <= this.maxDeletedPods && at > cutoff) break;
      this.forgetPod(uid);
    }
    for (const [uid, at] of this.deletedServices) {
      if (this.deletedServices.size <= this.maxDeletedServices && at > cutoff) break;
      this.forgetService(uid);
    }
  }

  // -- pods ------------------------------------------------------------------------------------

  upsertPod(record: PodRecord): void {
    const old = this.pods.get(record.uid);
    if (old) {
      this.unindexPod(old.record);
      this.deletedPods.delete(record.uid);
    }
    this.pods.set(record.uid, { record, info: this.podInfo(record, this.membershipOf(record)) });
    this.indexPod(record);
  }

  /** The pod was deleted: it becomes a tombstone with what it last was. */
  removePod(uid: string): void {
    const e = this.pods.get(uid);
    if (!e || !isLive(e)) return;
    const at = this.now();
    removeFrom(this.podIdsByNamespace, e.record.namespace, uid);
    // Labels only served membership, which is frozen now.
    e.record = { ...e.record, labels: {} };
    e.info = Object.freeze({ ...e.info, deletedAt: at });
    this.deletedPods.set(uid, at);
    this.prune();
  }

  /** The full pod list after a (re)list: live pods missing from it were deleted meanwhile. */
  replacePods(records: readonly PodRecord[]): void {
    const keep = new Set(records.map((r) => r.uid));
    for (const [uid, e] of [...this.pods]) if (isLive(e) && !keep.has(uid)) this.removePod(uid);
    for (const r of records) this.upsertPod(r);
  }

  private indexPod(r: PodRecord): void {
    this.podIdByName.set(nameOf(r), r.uid);
    addTo(this.podIdsByNamespace, r.namespace, r.uid);
    if (!r.hostNetwork) for (const ip of r.ips) addTo(this.podIdsByIp, ip, r.uid);
    for (const c of r.containers) this.containers.set(c.id, { id: c.id, name: c.name, podId: r.uid });
  }

  private unindexPod(r: PodRecord): void {
    if (this.podIdByName.get(nameOf(r)) === r.uid) this.podIdByName.delete(nameOf(r));
    removeFrom(this.podIdsByNamespace, r.namespace, r.uid);
    for (const ip of r.ips) removeFrom(this.podIdsByIp, ip, r.uid);
    for (const c of r.containers) if (this.containers.get(c.id)?.podId === r.uid) this.containers.delete(c.id);
  }

  private forgetPod(uid: string): void {
    const e = this.pods.get(uid);
    this.deletedPods.delete(uid);
    if (!e) return;
    this.unindexPod(e.record);
    this.pods.delete(uid);
  }

  private podInfo(r: PodRecord, serviceIds: string[]): PodInfo {
    const name = (id: string) => this.services.get(id)?.info.name ?? '';
    serviceIds.sort((a, b) => name(a).localeCompare(name(b)) || a.localeCompare(b));
    return Object.freeze({
      id: r.uid,
      name: nameOf(r),
      namespace: r.namespace,
      nodeName: r.nodeName,
      ...(r.ip ? { ip: r.ip } : {}),
      ...(r.startTime !== undefined ? { startTime: r.startTime } : {}),
      ...(r.phase ? { status: r.phase } : {}),
      serviceIds: Object.freeze(serviceIds),
    });
  }

  /** Recomputes a live pod's services, rebuilding its info when they changed. */
  private refreshPod(uid: string): void {
    const e = this.pods.get(uid);
    if (!e || !isLive(e)) return;
    const ids = this.membershipOf(e.record);
    const sorted = this.podInfo(e.record, ids);
    if (!sameIds(sorted.serviceIds, e.info.serviceIds)) e.info = sorted;
  }

  // -- services --------------------------------------------------------------------------------

  upsertService(record: ServiceRecord): void {
    const old = this.services.get(record.uid);
    if (old) {
      this.unindexService(old.record);
      this.deletedServices.delete(record.uid);
    }
    this.services.set(record.uid, {
      record,
      info: Object.freeze({
        id: record.uid,
        name: nameOf(record),
        namespace: record.namespace,
        ...(record.clusterIps[0] ? { clusterIp: record.clusterIps[0] } : {}),
      }),
    });
    this.indexService(record);
    // Membership: the selector (or the namespace, or the name that orders serviceIds) may have changed.
    this.refreshService(record.uid, old?.record);
  }

  /** The service was deleted: it becomes a tombstone; live pods leave it, deleted pods keep it. */
  removeService(uid: string): void {
    const e = this.services.get(uid);
    if (!e || !isLive(e)) return;
    const at = this.now();
    removeFrom(this.serviceIdsByNamespace, e.record.namespace, uid);
    e.info = Object.freeze({ ...e.info, deletedAt: at });
    this.deletedServices.set(uid, at);
    this.refreshService(uid, e.record);
    this.prune();
  }

  /** The full service list after a (re)list: live services missing from it were deleted meanwhile. */
  replaceServices(records: readonly ServiceRecord[]): void {
    const keep = new Set(records.map((r) => r.uid));
    for (const [uid, e] of [...this.services]) if (isLive(e) && !keep.has(uid)) this.removeService(uid);
    for (const r of records) this.upsertService(r);
  }

  private indexService(r: ServiceRecord): void {
    this.serviceIdByName.set(nameOf(r), r.uid);
    addTo(this.serviceIdsByNamespace, r.namespace, r.uid);
    for (const ip of r.clusterIps) addTo(this.serviceIdsByIp, ip, r.uid);
  }

  private unindexService(r: ServiceRecord): void {
    if (this.serviceIdByName.get(nameOf(r)) === r.uid) this.serviceIdByName.delete(nameOf(r));
    removeFrom(this.serviceIdsByNamespace, r.namespace, r.uid);
    for (const ip of r.clusterIps) removeFrom(this.serviceIdsByIp, ip, r.uid);
  }

  private forgetService(uid: string): void {
    const e = this.services.get(uid);
    this.deletedServices.delete(uid);
    if (!e) return;
    this.unindexService(e.record);
    this.services.delete(uid);
  }

  /** The live service with this "namespace/name", if any. */
  private liveServiceId(namespacedName: string): string | undefined {
    const id = this.serviceIdByName.get(namespacedName);
    return id !== undefined && isLive(this.services.get(id)!) ? id : undefined;
  }

  /**
   * Re-decides one service's membership for the live pods it may concern (those of its old and
   * new namespace, and those its slices list), rebuilding the pods that change.
   */
  private refreshService(serviceId: string, old: ServiceRecord | undefined): void {
    const e = this.services.get(serviceId);
    const live = e !== undefined && isLive(e) ? e.record : undefined;
    const candidates = new Set<string>();
    for (const r of [old, live]) {
      if (!r) continue;
      for (const id of this.podIdsByNamespace.get(r.namespace) ?? []) candidates.add(id);
      for (const sid of this.sliceIdsByService.get(nameOf(r)) ?? []) for (const id of this.resolveRefs(this.slices.get(sid)!.refs)) candidates.add(id);
    }
    for (const podId of candidates) {
      const p = this.pods.get(podId)!;
      const was = p.info.serviceIds.includes(serviceId);
      const is = live !== undefined && this.isMember(live, p.record, this.slicesOf(p.record));
      if (!was && !is) continue;
      const ids = p.info.serviceIds.filter((id) => id !== serviceId);
      if (is) ids.push(serviceId);
      p.info = this.podInfo(p.record, ids);
    }
  }

  // -- EndpointSlices --------------------------------------------------------------------------

  upsertEndpointSlice(record: EndpointSliceRecord): void {
    const old = this.slices.get(record.uid);
    const before = this.sliceCoverage(old, record);
    const affected = new Set<string>();
    if (old) {
      for (const id of this.resolveRefs(old.refs)) affected.add(id);
      this.unindexSlice(old);
    }
    this.slices.set(record.uid, record);
    this.indexSlice(record);
    for (const id of this.resolveRefs(record.refs)) affected.add(id);
    this.refreshPods(this.withCoverageChanges(before, affected));
  }

  removeEndpointSlice(uid: string): void {
    const old = this.slices.get(uid);
    if (!old) return;
    const before = this.sliceCoverage(old);
    const affected = new Set(this.resolveRefs(old.refs));
    this.unindexSlice(old);
    this.slices.delete(uid);
    this.refreshPods(this.withCoverageChanges(before, affected));
  }

  /** For the services these slices belong to: namespace, key and whether they have slices now. */
  private sliceCoverage(...records: (EndpointSliceRecord | undefined)[]): [string, string, boolean][] {
    const out: [string, string, boolean][] = [];
    for (const r of records) {
      if (!r || r.serviceName === '') continue;
      const key = `${r.namespace}/${r.serviceName}`;
      if (!out.some(([, k]) => k === key)) out.push([r.namespace, key, this.sliceIdsByService.has(key)]);
    }
    return out;
  }

  /** A service that gained its first slice or lost its last switches between slices and selector: its namespace's pods are affected. */
  private withCoverageChanges(before: [string, string, boolean][], affected: Set<string>): Set<string> {
    for (const [namespace, key, had] of before) if (had !== this.sliceIdsByService.has(key)) this.addNamespacePods(namespace, affected);
    return affected;
  }

  /** The full slice list after a (re)list; the first one turns slice-based membership on. */
  replaceEndpointSlices(records: readonly EndpointSliceRecord[]): void {
    this.slices.clear();
    this.sliceIdsByRef.clear();
    this.sliceIdsByService.clear();
    for (const r of records) {
      this.slices.set(r.uid, r);
      this.indexSlice(r);
    }
    this.slicesListed = true;
    for (const [uid, e] of this.pods) if (isLive(e)) this.refreshPod(uid);
  }

  private indexSlice(r: EndpointSliceRecord): void {
    if (r.serviceName !== '') addTo(this.sliceIdsByService, `${r.namespace}/${r.serviceName}`, r.uid);
    for (const ref of r.refs) addTo(this.sliceIdsByRef, ref, r.uid);
  }

  private unindexSlice(r: EndpointSliceRecord): void {
    if (r.serviceName !== '') removeFrom(this.sliceIdsByService, `${r.namespace}/${r.serviceName}`, r.uid);
    for (const ref of r.refs) removeFrom(this.sliceIdsByRef, ref, r.uid);
  }

  private addNamespacePods(namespace: string, into: Set<string>): void {
    for (const id of this.podIdsByNamespace.get(namespace) ?? []) into.add(id);
  }

  private refreshPods(uids: Iterable<string>): void {
    for (const uid of uids) this.refreshPod(uid);
  }

  /** The live pods slice refs name. */
  private *resolveRefs(refs: readonly string[]): Generator<string> {
    for (const ref of refs) {
      const value = ref.slice(ref.indexOf(':') + 1);
      if (ref.startsWith('uid:')) {
        const e = this.pods.get(value);
        if (e && isLive(e)) yield value;
      } else if (ref.startsWith('name:')) {
        const id = this.podIdByName.get(value);
        if (id !== undefined && isLive(this.pods.get(id)!)) yield id;
      } else {
        for (const id of this.podIdsByIp.get(value) ?? []) if (isLive(this.pods.get(id)!)) yield id;
      }
    }
  }

  /** The slices that list a pod (by uid, by name, or by IP for endpoints without a targetRef). */
  private slicesOf(r: PodRecord): ReadonlySet<string> {
    if (!this.slicesListed || this.slices.size === 0) return NO_SLICES;
    let out: Set<string> | undefined;
    const add = (ids: Set<string> | undefined) => {
      if (!ids) return;
      out ??= new Set();
      for (const id of ids) out.add(id);
    };
    add(this.sliceIdsByRef.get(`uid:${r.uid}`));
    add(this.sliceIdsByRef.get(`name:${nameOf(r)}`));
    if (!r.hostNetwork) for (const ip of r.ips) add(this.sliceIdsByRef.get(`ip:${ip}`));
    return out ?? NO_SLICES;
  }

  /** The live services a live pod belongs to (see the header for the rule). */
  private membershipOf(r: PodRecord): string[] {
    const ids: string[] = [];
    const slices = this.slicesOf(r);
    for (const sid of slices) {
      const s = this.slices.get(sid)!;
      const id = s.serviceName === '' ? undefined : this.liveServiceId(`${s.namespace}/${s.serviceName}`);
      if (id !== undefined && !ids.includes(id)) ids.push(id);
    }
    for (const id of this.serviceIdsByNamespace.get(r.namespace) ?? []) {
      if (!ids.includes(id) && this.bySelector(this.services.get(id)!.record, r, slices)) ids.push(id);
    }
    return ids;
  }

  private isMember(svc: ServiceRecord, r: PodRecord, slices: ReadonlySet<string>): boolean {
    for (const sid of slices) {
      const s = this.slices.get(sid)!;
      if (s.namespace === svc.namespace && s.serviceName === svc.name) return true;
    }
    return this.bySelector(svc, r, slices);
  }

  /** The selector decides when slices cannot: none listed, the pod in none, or the service without any. */
  private bySelector(svc: ServiceRecord, r: PodRecord, podSlices: ReadonlySet<string>): boolean {
    if (!selects(svc, r)) return false;
    return !this.slicesListed || podSlices.size === 0 || !this.sliceIdsByService.has(nameOf(svc));
  }
}

function isLive(e: { info: { deletedAt?: bigint } }): boolean {
  return e.info.deletedAt === undefined;
}

/** When a pod could first have held its IP: its start time, else its creation. */
function podStart(r: PodRecord): bigint {
  return r.startTime ?? r.createdAt ?? 0n;
}

function serviceRanksAbove(a: ServiceEntry, b: ServiceEntry): boolean {
  if (isLive(a) !== isLive(b)) return isLive(a);
  if (!isLive(a) && a.info.deletedAt !== b.info.deletedAt) return a.info.deletedAt! > b.info.deletedAt!;
  return (a.record.createdAt ?? 0n) > (b.record.createdAt ?? 0n);
}

function podRanksAbove(a: PodEntry, b: PodEntry): boolean {
  if (isLive(a) !== isLive(b)) return isLive(a);
  if (!isLive(a)) {
    const ad = a.info.deletedAt!;
    const bd = b.info.deletedAt!;
    if (ad !== bd) return ad > bd;
  }
  const aRunning = !TERMINAL_PHASES.has(a.record.phase ?? '');
  const bRunning = !TERMINAL_PHASES.has(b.record.phase ?? '');
  if (aRunning !== bRunning) return aRunning;
  return podStart(a.record) > podStart(b.record);
}

/**
 * Whether object a (started aStart) rather than b held an IP at time t. An IP belongs to one
 * object at a time, so the holder is the latest to start at or before t; when both started after
 * t (clock skew between nodes), the earlier one. A tie goes to the live object.
 */
function heldAt(aStart: bigint, aLive: boolean, bStart: bigint, bLive: boolean, t: bigint): boolean {
  const aBefore = aStart <= t;
  const bBefore = bStart <= t;
  if (aBefore !== bBefore) return aBefore;
  if (aStart === bStart) return aLive && !bLive;
  return aBefore ? aStart > bStart : aStart < bStart;
}
