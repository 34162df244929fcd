// Pods, services, EndpointSlices and nodes from the Kubernetes API, cut down to what the metadata
// service answers with. Input is `unknown` (raw watch JSON, or objects the generated client deserialized, whose
// timestamps are Date objects); anything without a uid, name and namespace is rejected.

export interface PodContainer {
  /** Runtime id, scheme stripped. */
  readonly id: string;
  readonly name: string;
}

export interface PodRecord {
  readonly uid: string;
  readonly namespace: string;
  readonly name: string;
  readonly nodeName: string;
  /** status.podIP. */
  readonly ip?: string;
  /** Every IP of the pod (status.podIPs, dual stack), status.podIP first. */
  readonly ips: readonly string[];
  /** A host-network pod's IPs are its node's: they identify no pod. */
  readonly hostNetwork: boolean;
  /** status.startTime in ns since the epoch (set once a kubelet accepts the pod). */
  readonly startTime?: bigint;
  /** metadata.creationTimestamp in ns since the epoch. */
  readonly createdAt?: bigint;
  readonly phase?: string;
  readonly labels: Readonly<Record<string, string>>;
  /** Current and last-terminated containers of every kind (init, app, ephemeral). */
  readonly containers: readonly PodContainer[];
}

export interface ServiceRecord {
  readonly uid: string;
  readonly namespace: string;
  readonly name: string;
  /** spec.clusterIPs (or spec.clusterIP); empty for headless and ExternalName services. */
  readonly clusterIps: readonly string[];
  /** Undefined when the service selects no pods by label (endpoints managed by hand). */
  readonly selector?: Readonly<Record<string, string>>;
  /** metadata.creationTimestamp in ns since the epoch. */
  readonly createdAt?: bigint;
}

export interface NodeRecord {
  readonly uid: string;
  readonly name: string;
  /** spec.podCIDRs (or spec.podCIDR): the pod networks the node hands out; empty when its CNI ignores them. */
  readonly podCidrs: readonly string[];
  /** status.addresses of type InternalIP and ExternalIP. */
  readonly addresses: readonly string[];
}

/**
 * One EndpointSlice (discovery.k8s.io/v1): the
 * service it belongs to and the pods it lists, ready or not (membership, not routing).
 */
export interface EndpointSliceRecord {
  readonly uid: string;
  readonly namespace: string;
  readonly name: string;
  /** The kubernetes.io/service-name label; '' when the slice belongs to no service. */
  readonly serviceName: string;
  /**
   * The pods its endpoints name, most precise form first per endpoint: "uid:UID" (a Pod
   * targetRef with a uid, as the EndpointSlice controller writes), "name:NAMESPACE/NAME" (a Pod
   * targetRef without one, as people write by hand), or "ip:ADDRESS" per address of an endpoint
   * with no targetRef. Endpoints whose targetRef is not a Pod are left out.
   */
  readonly refs: readonly string[];
}

/** The label that ties an EndpointSlice to its service. */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function obj(v: unknown): Obj {
  return isObj(v) ? v : {};
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

function stringMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(obj(v))) if (typeof val === 'string') out[k] = val;
  return out;
}

/** A metav1.Time (RFC 3339 string, or a Date after client deserialization) in ns since the epoch. */
export function timeToNs(v: unknown): bigint | undefined {
  const ms = v instanceof Date ? v.getTime() : typeof v === 'string' ? Date.parse(v) : NaN;
  return Number.isFinite(ms) ? BigInt(ms) * 1_000_000n : undefined;
}

/** "containerd://<id>", "docker://<id>", "cri-o://<id>" → "<id>". */
export function stripContainerScheme(containerId: string): string {
  const i = containerId.indexOf('://');
  return i < 0 ? containerId : containerId.slice(i + 3);
}

export interface ObjectMeta {
  uid: string;
  namespace: string;
  name: string;
}

/** uid, namespace and name, or undefined when one is missing. */
export function objectMeta(o: unknown): ObjectMeta | undefined {
  const m = obj(obj(o).metadata);
  const uid = str(m.uid);
  const namespace = str(m.namespace);
  const name = str(m.name);
  return uid && namespace && name ? { uid, namespace, name } : undefined;
}

function containersOf(status: Obj): PodContainer[] {
  const out: PodContainer[] = [];
  const seen = new Set<string>();
  const add = (id: unknown, name: string) => {
    const raw = str(id);
    if (!raw) return;
    const stripped = stripContainerScheme(raw);
    if (stripped === '' || seen.has(stripped)) return;
    seen.add(stripped);
    out.push({ id: stripped, name });
  };
  for (const list of [status.initContainerStatuses, status.containerStatuses, status.ephemeralContainerStatuses]) {
    for (const cs of arr(list)) {
      const c = obj(cs);
      const name = str(c.name);
      if (!name) continue;
      add(c.containerID, name);
      add(obj(obj(c.lastState).terminated).containerID, name);
    }
  }
  return out;
}

export function podRecord(o: unknown): PodRecord | undefined {
  const meta = objectMeta(o);
  if (!meta) return undefined;
  const spec = obj(obj(o).spec);
  const status = obj(obj(o).status);
  const ip = str(status.podIP);
  const ips = ip ? [ip] : [];
  for (const p of arr(status.podIPs)) {
    const extra = str(obj(p).ip);
    if (extra && !ips.includes(extra)) ips.push(extra);
  }
  const startTime = timeToNs(status.startTime);
  const createdAt = timeToNs(obj(obj(o).metadata).creationTimestamp);
  const phase = str(status.phase);
  return {
    ...meta,
    nodeName: str(spec.nodeName) ?? '',
    ...(ip ? { ip } : {}),
    ips,
    hostNetwork: spec.hostNetwork === true,
    ...(startTime !== undefined ? { startTime } : {}),
    ...(createdAt !== undefined ? { createdAt } : {}),
    ...(phase ? { phase } : {}),
    labels: stringMap(obj(obj(o).metadata).labels),
    containers: containersOf(status),
  };
}

export function serviceRecord(o: unknown): ServiceRecord | undefined {
  const meta = objectMeta(o);
  if (!meta) return undefined;
  const spec = obj(obj(o).spec);
  const clusterIps: string[] = [];
  for (const v of [...arr(spec.clusterIPs), spec.clusterIP]) {
    const ip = str(v);
    if (ip && ip !== 'None' && !clusterIps.includes(ip)) clusterIps.push(ip);
  }
  const selector = stringMap(spec.selector);
  const createdAt = timeToNs(obj(obj(o).metadata).creationTimestamp);
  return {
    ...meta,
    clusterIps,
    ...(Object.keys(selector).length > 0 ? { selector } : {}),
    ...(createdAt !== undefined ? { createdAt } : {}),
  };
}

export function nodeRecord(o: unknown): NodeRecord | undefined {
  const m = obj(obj(o).metadata);
  const uid = str(m.uid);
  const name = str(m.name);
  if (!uid || !name) return undefined;
  const spec = obj(obj(o).spec);
  const podCidrs: string[] = [];
  for (const v of [...arr(spec.podCIDRs), spec.podCIDR]) {
    const cidr = str(v);
    if (cidr && !podCidrs.includes(cidr)) podCidrs.push(cidr);
  }
  const addresses: string[] = [];
  for (const a of arr(obj(obj(o).status).addresses)) {
    const { type, address } = obj(a);
    const ip = str(address);
    if ((type === 'InternalIP' || type === 'ExternalIP') && ip && !addresses.includes(ip)) addresses.push(ip);
  }
  return { uid, name, podCidrs, addresses };
}

export function endpointSliceRecord(o: unknown): EndpointSliceRecord | undefined {
  const meta = objectMeta(o);
  if (!meta) return undefined;
  const serviceName = stringMap(obj(obj(o).metadata).labels)[SERVICE_NAME_LABEL] ?? '';
  const byAddress = obj(o).addressType !== 'FQDN';
  const refs: string[] = [];
  const add = (ref: string) => {
    if (!refs.includes(ref)) refs.push(ref);
  };
  for (const e of arr(obj(o).endpoints)) {
    const ep = obj(e);
    if (isObj(ep.targetRef)) {
      const t = ep.targetRef;
      // kind is required by the API; a hand-written ref without one is taken to mean a Pod.
      if (t.kind !== undefined && t.kind !== 'Pod') continue;
      const uid = str(t.uid);
      const name = str(t.name);
      if (uid) add(`uid:${uid}`);
      else if (name) add(`name:${str(t.namespace) ?? meta.namespace}/${name}`);
    } else if (byAddress) {
      for (const a of arr(ep.addresses)) {
        const ip = str(a);
        if (ip) add(`ip:${ip}`);
      }
    }
  }
  return { ...meta, serviceName, refs };
}

/** Whether a service's selector picks a pod: every selector label present with the same value. */
export function selects(service: ServiceRecord, pod: PodRecord): boolean {
  if (!service.selector || service.namespace !== pod.namespace) return false;
  for (const [k, v] of Object.entries(service.selector)) if (pod.labels[k] !== v) return false;
  return true;
}

/** Which fields of an object to keep: true keeps the value whole, a nested shape recurses (into each element of an array). */
export interface FieldShape {
  readonly [field: string]: true | FieldShape;
}

const CONTAINER_STATUS: FieldShape = { name: true, containerID: true, lastState: { terminated: { containerID: true } } };

/**
 * The fields each *Record function above reads, and nothing else: what the metadata service sends
 * its agents instead of whole objects (a pod's spec and managedFields are most of its size). Kept
 * next to the readers so both change together; kube-objects.test.ts checks that each record
 * comes out the same from the trimmed object.
 */
export const RECORD_FIELDS = {
  pods: {
    metadata: { uid: true, namespace: true, name: true, creationTimestamp: true, labels: true },
    spec: { nodeName: true, hostNetwork: true },
    status: { podIP: true, podIPs: true, startTime: true, phase: true, initContainerStatuses: CONTAINER_STATUS, containerStatuses: CONTAINER_STATUS, ephemeralContainerStatuses: CONTAINER_STATUS },
  },
  services: { metadata: { uid: true, namespace: true, name: true, creationTimestamp: true }, spec: { clusterIP: true, clusterIPs: true, selector: true } },
  nodes: { metadata: { uid: true, name: true }, spec: { podCIDR: true, podCIDRs: true }, status: { addresses: true } },
  endpointslices: {
    metadata: { uid: true, namespace: true, name: true, labels: true },
    addressType: true,
    endpoints: { addresses: true, targetRef: { kind: true, uid: true, name: true, namespace: true } },
  },
} as const satisfies Record<string, FieldShape>;

/** `o` with only the fields `shape` names (Dates become RFC 3339 text, as on the wire). */
export function keepFields(o: unknown, shape: FieldShape): Obj {
  const out: Obj = {};
  const src = obj(o);
  for (const [field, sub] of Object.entries(shape)) {
    const v = src[field];
    if (v === undefined || v === null) continue;
    if (sub === true) out[field] = v instanceof Date ? v.toISOString() : v;
    else if (Array.isArray(v)) out[field] = v.map((e) => keepFields(e, sub));
    else if (isObj(v)) out[field] = keepFields(v, sub);
  }
  return out;
}
