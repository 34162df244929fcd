// The cluster view from the Kubernetes API: pods and services of every namespace, watched, kept
// as compact records (see kube-objects.ts) in a ClusterIndex. It knows no processes; NodeMetadata
// layers a node's /proc over it.
import { hostname as osHostname } from 'node:os';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { ClusterIndex, type ClusterIndexCounts } from './cluster-index.js';
import type { ClusterView, ContainerInfo } from './cluster-view.js';
import { podRecord, serviceRecord, type PodRecord, type ServiceRecord } from './kube-objects.js';
import { podAndServiceSources } from './kube-source.js';
import { ListWatch, type ListWatchSource } from './list-watch.js';
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

export interface KubeMetadataOptions {
  /** The node this view serves (a PEM's NODE_NAME); default ''. */
  nodeName?: string;
  /** Default os.hostname(). */
  hostname?: string;
  /** LIST page size (default 500). */
  pageSize?: number;
  /** First retry delay after an API error (default 500 ms, doubling to 30 s). */
  retryMinMs?: number;
  log?: Logger;
}

export interface KubeMetadataSources {
  pods: ListWatchSource;
  services: ListWatchSource;
}

export class KubeMetadata implements MetadataView, ClusterView {
  readonly nodeName: string;
  readonly hostname: string;
  private readonly index = new ClusterIndex();
  private readonly pods: ListWatch<PodRecord>;
  private readonly services: ListWatch<ServiceRecord>;

  static fromKubeConfig(kc: KubeConfig, opts: KubeMetadataOptions = {}): KubeMetadata {
    return new KubeMetadata(podAndServiceSources(kc), opts);
  }

  constructor(sources: KubeMetadataSources, opts: KubeMetadataOptions = {}) {
    this.nodeName = opts.nodeName ?? '';
    this.hostname = opts.hostname ?? osHostname();
    const lwOpts = {
      ...(opts.pageSize !== undefined ? { pageSize: opts.pageSize } : {}),
      ...(opts.retryMinMs !== undefined ? { retryMinMs: opts.retryMinMs } : {}),
      ...(opts.log ? { log: opts.log } : {}),
    };
    this.pods = new ListWatch(sources.pods, podRecord, {
      replace: (rs) => this.index.replacePods(rs),
      upsert: (r) => this.index.upsertPod(r),
      remove: (uid) => this.index.removePod(uid),
    }, lwOpts);
    this.services = new ListWatch(sources.services, serviceRecord, {
      replace: (rs) => this.index.replaceServices(rs),
      upsert: (r) => this.index.upsertService(r),
      remove: (uid) => this.index.removeService(uid),
    }, lwOpts);
  }

  /**
   * Starts watching; resolves once pods and services have both been listed. Keeps retrying in
   * the background either way; after timeoutMs (default 60 s) rejects with the last API error.
   */
  async start(timeoutMs = 60_000): Promise<void> {
    const watches = [this.services, this.pods];
    for (const w of watches) w.start();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const pending = watches.filter((w) => !w.isSynced);
        const causes = pending.map((w) => `${w.name}: ${describe(w.lastError)}`).join('; ');
        reject(new MetadataSyncError(
          pending.map((w) => w.name),
          `metadata: could not list ${pending.map((w) => w.name).join(' and ')} within ${timeoutMs} ms (${causes})`,
          'check the API server address and that the service account may list and watch pods and services in all namespaces',
        ));
      }, timeoutMs);
    });
    try {
      await Promise.race([Promise.all(watches.map((w) => w.whenSynced())), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  stop(): void {
    this.pods.stop();
    this.services.stop();
  }

  get synced(): boolean {
    return this.pods.isSynced && this.services.isSynced;
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

  podByIp(ip: string): PodInfo | undefined {
    return this.index.podByIp(ip);
  }

  service(serviceId: string): ServiceInfo | undefined {
    return this.index.service(serviceId);
  }

  serviceByName(namespacedName: string): ServiceInfo | undefined {
    return this.index.serviceByName(namespacedName);
  }

  serviceByIp(ip: string): ServiceInfo | undefined {
    return this.index.serviceByIp(ip);
  }

  container(containerId: string): ContainerInfo | undefined {
    return this.index.container(containerId);
  }
}

function describe(err: unknown): string {
  if (err === undefined) return 'no response yet';
  if (err instanceof Error) return err.message;
  const msg = (err as { message?: unknown }).message;
  return typeof msg === 'string' ? msg : String(err);
}
