// What the metadata service knows and the PxL metadata functions (upid_to_pod_name, ...) read.
// In a cluster it comes from the Kubernetes API plus each node's /proc and cgroups; standalone,
// from /proc and cgroups only. A lookup that finds nothing returns undefined; the functions
// turn that into '' (as Pixie does), never an error.

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
  /** Ids of the services that select this pod. */
  readonly serviceIds: readonly string[];
}

export interface ServiceInfo {
  readonly id: string;
  /** "namespace/name". */
  readonly name: string;
  readonly namespace: string;
  readonly clusterIp?: string;
}

export interface MetadataView {
  /** The node this view belongs to (a PEM's node, or this host standalone). */
  readonly nodeName: string;
  readonly hostname: string;
  process(upid: string): ProcessInfo | undefined;
  pod(podId: string): PodInfo | undefined;
  podByName(namespacedName: string): PodInfo | undefined;
  podByIp(ip: string): PodInfo | undefined;
  service(serviceId: string): ServiceInfo | undefined;
  serviceByName(namespacedName: string): ServiceInfo | undefined;
  serviceByIp(ip: string): ServiceInfo | undefined;
}

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
