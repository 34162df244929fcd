// The cluster view from the Kubernetes API: pods, services and EndpointSlices of every namespace,
// watched, kept as compact records (see kube-objects.ts) in a ClusterIndex, deleted objects as
// tombstones for a while (cluster-index.ts). It knows no processes; NodeMetadata layers a node's
// /proc over it.
//
// Pods and services are required: start() fails without them. EndpointSlices are optional: when
// the service account may not read them (an older ClusterRole) or the API server has none,
// start() does not wait for them, service membership comes from selectors, and the watch keeps
// retrying, switching membership to slices once it succeeds. Given a ClusterNetworks (a PEM's
// inside networks, for the socket tracer's trace roles), pods and services feed it too, and
// nodes are watched for it alone, as optional as EndpointSlices.
import { hostname as osHostname } from 'node:os';
import type { KubeConfig } from '@kubernetes/client-node';
import { Reflector, type ListWatchSource, type ReflectorHandler, type ReflectorLog } from '../../lib/kube/reflector.js';
import { ClusterIndex, type ClusterIndexCounts, type ClusterIndexOptions } from './cluster-index.js';
import type { ClusterNetworks } from './cluster-networks.js';
import type { ClusterView, ContainerInfo } from './cluster-view.js';
import { endpointSliceRecord, nodeRecord, podRecord, serviceRecord, type EndpointSliceRecord, type NodeRecord, type PodRecord, type ServiceRecord } from './kube-objects.js';
import { endpointSliceSource, nodeSource, podAndServiceSources } from './kube-source.js';
import type { MetadataView, PodInfo, ProcessInfo, ServiceInfo } from './types.js';

export class MetadataSyncError extends Error {
  readonly code = 'METADATA_SYNC';
  constructor(
    /** The resources that had not been listed, e.g. ["pods"]. */
    readonly resources: string[],
    message: string,
    readonly hint: string,
  ) {
    super(`${message}\n  hint: ${hint}`);
    this.name = 'MetadataSyncError';
  }
}

export interface KubeMetadataOptions extends Omit<ClusterIndexOptions, 'now'> {
  /** The node this view serves (a PEM's NODE_NAME); default ''. */
  nodeName?: string;
  /** Default os.hostname(). */
  hostname?: string;
  /** LIST page size (default 500). */
  pageSize?: number;
  /** First retry delay after an API error (default 500 ms, doubling to 30 s). */
  retryMinMs?: number;
  log?: ReflectorLog;
  /** How often tombstones past their retention are forgotten (default 60 s). */
  pruneIntervalMs?: number;
  /** Kept up to date with pods, services and nodes (which are then watched too). */
  networks?: ClusterNetworks;
}

export interface KubeMetadataSources {
  pods: ListWatchSource;
  services: ListWatchSource;
  /** Optional: without it, service membership comes from selectors only. */
  endpointSlices?: ListWatchSource;
  /** Optional, read only with options.networks: nodes' pod CIDRs and addresses. */
  nodes?: ListWatchSource;
}

export class KubeMetadata implements MetadataView, ClusterView {
  readonly nodeName: string;
  readonly hostname: string;
  private readonly index: ClusterIndex;
  private readonly pods: Reflector<PodRecord>;
  private readonly services: Reflector<ServiceRecord>;
  private readonly slices: Reflector<EndpointSliceRecord> | undefined;
  private readonly nodes: Reflector<NodeRecord> | undefined;
  private readonly pruneIntervalMs: number;
  private pruneTimer: NodeJS.Timeout | undefined;

  static fromKubeConfig(kc: KubeConfig, opts: KubeMetadataOptions = {}): KubeMetadata {
    return new KubeMetadata({ ...podAndServiceSources(kc), endpointSlices: endpointSliceSource(kc), ...(opts.networks ? { nodes: nodeSource(kc) } : {}) }, opts);
  }

  constructor(sources: KubeMetadataSources, opts: KubeMetadataOptions = {}) {
    this.nodeName = opts.nodeName ?? '';
    this.hostname = opts.hostname ?? osHostname();
    this.pruneIntervalMs = opts.pruneIntervalMs ?? 60_000;
    this.index = new ClusterIndex({
      ...(opts.tombstoneRetentionMs !== undefined ? { tombstoneRetentionMs: opts.tombstoneRetentionMs } : {}),
      ...(opts.maxDeletedPods !== undefined ? { maxDeletedPods: opts.maxDeletedPods } : {}),
      ...(opts.maxDeletedServices !== undefined ? { maxDeletedServices: opts.maxDeletedServices } : {}),
    });
    const lwOpts = {
      ...(opts.pageSize !== undefined ? { pageSize: opts.pageSize } : {}),
      ...(opts.retryMinMs !== undefined ? { retryMinMs: opts.retryMinMs } : {}),
      ...(opts.log ? { log: opts.log } : {}),
    };
    const networks = opts.networks;
    this.pods = new Reflector(sources.pods, podRecord, alsoTo({
      replace: (rs) => this.index.replacePods(rs),
      upsert: (r) => this.index.upsertPod(r),
      remove: (r) => this.index.removePod(r.uid),
    }, networks?.pods), lwOpts);
    this.services = new Reflector(sources.services, serviceRecord, alsoTo({
      replace: (rs) => this.index.replaceServices(rs),
      upsert: (r) => this.index.upsertService(r),
      remove: (r) => this.index.removeService(r.uid),
    }, networks?.services), lwOpts);
    this.nodes = networks && sources.nodes && new Reflector(sources.nodes, nodeRecord, networks.nodes, lwOpts);
    this.slices = sources.endpointSlices && new Reflector(sources.endpointSlices, endpointSliceRecord, {
      replace: (rs) => this.index.replaceEndpointSlices(rs),
      upsert: (r) => this.index.upsertEndpointSlice(r),
      remove: (r) => this.index.removeEndpointSlice(r.uid),
    }, lwOpts);
  }

  /**
   * Starts watching; resolves once pods and services have both been listed, and EndpointSlices
   * listed or failed once (so that a first query sees slice-based membership where it can).
   * Keeps retrying in the background either way; after timeoutMs (default 60 s) rejects with the
   * last API error of pods or services.
   */
  async start(timeoutMs = 60_000): Promise<void> {
    // Slices first: their list usually lands before the pods', so membership is computed once per pod.
    if (this.slices) this.slices.start();
    this.nodes?.start();
    const watches = [this.services, this.pods];
    for (const w of watches) w.start();
    if (!this.pruneTimer) {
      this.pruneTimer = setInterval(() => this.index.prune(), this.pruneIntervalMs);
      this.pruneTimer.unref();
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve, reject) => {
      timer = setTimeout(() => {
        const pending = watches.filter((w) => !w.isSynced);
        // Only EndpointSlices still pending (a LIST that neither answers nor fails): start without them.
        if (pending.length === 0) return resolve();
        const causes = pending.map((w) => `${w.name}: ${describe(w.lastError)}`).join('; ');
        reject(new MetadataSyncError(
          pending.map((w) => w.name),
          `metadata: could not list ${pending.map((w) => w.name).join(' and ')} within ${timeoutMs} ms (${causes})`,
          'check the API server address and that the service account may list and watch pods and services in all namespaces',
        ));
      }, timeoutMs);
    });
    try {
      await Promise.race([Promise.all([...watches.map((w) => w.whenSynced()), this.slices?.whenSettled()]), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  stop(): void {
    this.pods.stop();
    this.services.stop();
    this.slices?.stop();
    this.nodes?.stop();
    clearInterval(this.pruneTimer);
    this.pruneTimer = undefined;
  }

  /** Pods and services listed (EndpointSlices are optional: see endpointSlicesSynced). */
  get synced(): boolean {
    return this.pods.isSynced && this.services.isSynced;
  }

  /** EndpointSlices listed: service membership follows them (else selectors alone). */
  get endpointSlicesSynced(): boolean {
    return this.slices?.isSynced ?? false;
  }

  /** Forgets tombstones past their retention now (a timer does it every pruneIntervalMs). */
  prune(): void {
    this.index.prune();
  }

  counts(): ClusterIndexCounts {
    return this.index.counts();
  }

  /** The cluster view knows no processes. */
  process(_upid: string): ProcessInfo | undefined {
    return undefined;
  }

  pod(podId: string): PodInfo | undefined {
    return this.index.pod(podId);
  }

  podByName(namespacedName: string): PodInfo | undefined {
    return this.index.podByName(namespacedName);
  }

  podByIp(ip: string, atNs?: bigint): PodInfo | undefined {
    return this.index.podByIp(ip, atNs);
  }

  service(serviceId: string): ServiceInfo | undefined {
    return this.index.service(serviceId);
  }

  serviceByName(namespacedName: string): ServiceInfo | undefined {
    return this.index.serviceByName(namespacedName);
  }

  serviceByIp(ip: string, atNs?: bigint): ServiceInfo | undefined {
    return this.index.serviceByIp(ip, atNs);
  }

  container(containerId: string): ContainerInfo | undefined {
    return this.index.container(containerId);
  }
}

/** `first`, and then `second` when given, for every change. */
function alsoTo<R>(first: ReflectorHandler<R>, second: ReflectorHandler<R> | undefined): ReflectorHandler<R> {
  if (!second) return first;
  return {
    replace: (rs) => {
      first.replace(rs);
      second.replace(rs);
    },
    upsert: (r) => {
      first.upsert(r);
      second.upsert(r);
    },
    remove: (r) => {
      first.remove(r);
      second.remove(r);
    },
  };
}

function describe(err: unknown): string {
  if (err === undefined) return 'no response yet';
  if (err instanceof Error) return err.message;
  const msg = (err as { message?: unknown }).message;
  return typeof msg === 'string' ? msg : String(err);
}
