// The metadata view of one host from /proc and cgroups (standalone mode, and the process half of
// a PEM's view). Lookups go through a bounded LRU: a query that asks about the same upid for
// every row reads /proc once per TTL. A process that has exited keeps resolving to what was
// last read while its entry stays cached, since rows about it outlive it.
import { hostname as osHostname } from 'node:os';
import { LruMap } from './lru.js';
import { readProcess } from './process-reader.js';
import { StaticCluster } from './static-cluster.js';
import type { MetadataView, PodInfo, ProcessInfo, ServiceInfo } from './types.js';
import { parseUpid } from './upid.js';

export interface LocalMetadataOptions {
  /** Default /proc; /host/proc in a container, a fixture directory in tests. */
  procRoot?: string;
  /** Default os.hostname(). */
  hostname?: string;
  /** Default the hostname. */
  nodeName?: string;
  /** A fixed pod and service list to answer pod and service lookups; none by default. */
  pods?: readonly PodInfo[];
  services?: readonly ServiceInfo[];
  /** Processes remembered (default 16384). */
  cacheSize?: number;
  /** How long a lookup trusts what it read before reading /proc again (default 30 s). */
  ttlMs?: number;
  /** Milliseconds, for the TTL; default Date.now. */
  now?: () => number;
  /** Called with an unexpected read error (the lookup then misses); default: ignored. */
  onError?: (err: unknown, upid: string) => void;
}

export interface LocalMetadataStats {
  lookups: number;
  /** Times /proc was read for a process (a cache miss or an expired entry). */
  procReads: number;
  errors: number;
  cached: number;
}

interface Entry {
  info: ProcessInfo | undefined;
  checkedAt: number;
  /** Seen running once and gone since: the info is final. */
  exited: boolean;
}

export const DEFAULT_PROCESS_CACHE_SIZE = 16384;
export const DEFAULT_PROCESS_TTL_MS = 30_000;

export class LocalMetadata implements MetadataView {
  readonly hostname: string;
  readonly nodeName: string;
  private readonly procRoot: string;
  private readonly cache: LruMap<string, Entry>;
  private readonly ttlMs: number;
  private readonly now: () => number;
  private readonly onError: ((err: unknown, upid: string) => void) | undefined;
  private readonly cluster: StaticCluster | undefined;
  private readonly counters = { lookups: 0, procReads: 0, errors: 0 };

  constructor(opts: LocalMetadataOptions = {}) {
    this.procRoot = opts.procRoot ?? '/proc';
    this.hostname = opts.hostname ?? osHostname();
    this.nodeName = opts.nodeName ?? this.hostname;
    this.cache = new LruMap(opts.cacheSize ?? DEFAULT_PROCESS_CACHE_SIZE);
    this.ttlMs = opts.ttlMs ?? DEFAULT_PROCESS_TTL_MS;
    this.now = opts.now ?? Date.now;
    this.onError = opts.onError;
    this.cluster = opts.pods || opts.services ? new StaticCluster(opts.pods, opts.services) : undefined;
  }

  process(upid: string): ProcessInfo | undefined {
    this.counters.lookups++;
    const now = this.now();
    const entry = this.cache.get(upid);
    if (entry && (entry.exited || now - entry.checkedAt < this.ttlMs)) return entry.info;
    const parsed = parseUpid(upid);
    if (!parsed) return undefined;

    let info: ProcessInfo | undefined;
    this.counters.procReads++;
    try {
      info = readProcess(this.procRoot, parsed);
    } catch (err) {
      this.counters.errors++;
      this.onError?.(err, upid);
      this.cache.set(upid, { info: entry?.info, checkedAt: now, exited: false });
      return entry?.info;
    }
    if (info) this.cache.set(upid, { info, checkedAt: now, exited: false });
    else this.cache.set(upid, { info: entry?.info, checkedAt: now, exited: entry?.info !== undefined });
    return info ?? entry?.info;
  }

  stats(): LocalMetadataStats {
    return { ...this.counters, cached: this.cache.size };
  }

  pod(podId: string): PodInfo | undefined {
    return this.cluster?.pod(podId);
  }

  podByName(namespacedName: string): PodInfo | undefined {
    return this.cluster?.podByName(namespacedName);
  }

  podByIp(ip: string): PodInfo | undefined {
    return this.cluster?.podByIp(ip);
  }

  service(serviceId: string): ServiceInfo | undefined {
    return this.cluster?.service(serviceId);
  }

  serviceByName(namespacedName: string): ServiceInfo | undefined {
    return this.cluster?.serviceByName(namespacedName);
  }

  serviceByIp(ip: string): ServiceInfo | undefined {
    return this.cluster?.serviceByIp(ip);
  }
}
