// What the metadata service knows and the PxL metadata functions (upid_to_pod_name, ...) read.
// In a cluster it comes from the Kubernetes API plus each node's /proc and cgroups; standalone,
// from /proc and cgroups only. A lookup that finds nothing returns undefined; the functions
// turn that into '' (as Pixie does), never an error.
//
// Queries cover the past (rows live up to the table store's retention), so the views remember:
// a deleted pod or service stays resolvable as a tombstone (deletedAt set) for a bounded time,
// and a process that exited keeps what was read while it ran. Lookups without a time prefer
// live objects; lookups by IP may pass the row's time to pick the pod that held the IP then.

export interface ProcessInfo {
  /** "tgid:startTicks", the upid form rows carry. */
  readonly upid: string;
  readonly pid: number;
  readonly cmdline: string;
  /** Container runtime id (64 hex) when the process runs in a container. */
  readonly containerId?: string;
  readonly containerName?: string;
  /** Pod UID when the process belongs to a Kubernetes pod. */
  readonly podId?: string;
}

export interface PodInfo {
  readonly id: string;
  /** "namespace/name", as Pixie shows pods. */
  readonly name: string;
  readonly namespace: string;
  readonly nodeName: string;
  readonly ip?: string;
  /** ns since the epoch. */
  readonly startTime?: bigint;
  /** Pod phase: Pending, Running, Succeeded, Failed, Unknown. */
  readonly status?: string;
  /**
   * Ids of the services this pod belongs to: the services whose EndpointSlices list it, or whose
   * selector matches it where slices cannot tell (see cluster-index.ts). Frozen at deletion.
   */
  readonly serviceIds: readonly string[];
  /** ns since the epoch at which the pod was seen deleted from the API; unset while it exists. */
  readonly deletedAt?: bigint;
}

export interface ServiceInfo {
  readonly id: string;
  /** "namespace/name". */
  readonly name: string;
  readonly namespace: string;
  readonly clusterIp?: string;
  /** ns since the epoch at which the service was seen deleted from the API; unset while it exists. */
  readonly deletedAt?: bigint;
}

export interface MetadataView {
  /** The node this view belongs to (a PEM's node, or this host standalone). */
  readonly nodeName: string;
  readonly hostname: string;
  /**
   * The process a upid names. A node's view (LocalMetadata) answers for every well-formed upid,
   * since rows are node-local: a process that exited answers with what was read while it ran,
   * or, never read, with just its upid and pid (so its node name and hostname still resolve).
   */
  process(upid: string): ProcessInfo | undefined;
  pod(podId: string): PodInfo | undefined;
  podByName(namespacedName: string): PodInfo | undefined;
  /**
   * The pod with this IP. Without a time, a live pod wins over a deleted one. With `atNs` (ns
   * since the epoch, e.g. a row's time), the pod that held the IP then: the latest started at
   * or before atNs, so a reused IP gives old rows the old pod and new rows the new one.
   */
  podByIp(ip: string, atNs?: bigint): PodInfo | undefined;
  service(serviceId: string): ServiceInfo | undefined;
  serviceByName(namespacedName: string): ServiceInfo | undefined;
  /** As podByIp, for cluster IPs (reused after a service is deleted). */
  serviceByIp(ip: string, atNs?: bigint): ServiceInfo | undefined;
}

/**
 * The deployment a query runs in: the cluster's name (what px.vizier_name() returns, as Pixie's
 * does), the Vizier's object name and its namespace (px.vizier_namespace()); '' when unknown.
 */
export interface ClusterIdentity {
  readonly clusterName: string;
  readonly vizierName: string;
  readonly namespace: string;
}

export const NO_IDENTITY: ClusterIdentity = { clusterName: '', vizierName: '', namespace: '' };

/** A view that knows nothing: every lookup misses. */
export const EMPTY_METADATA: MetadataView = {
  nodeName: '',
  hostname: '',
  process: () => undefined,
  pod: () => undefined,
  podByName: () => undefined,
  podByIp: () => undefined,
  service: () => undefined,
  serviceByName: () => undefined,
  serviceByIp: () => undefined,
};
