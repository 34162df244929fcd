// The metadata view of one host from /proc and cgroups (standalone mode, and the process half of
// a PEM's view). Lookups go through a bounded LRU: a query that asks about the same upid for
// every row reads /proc once per TTL.
//
// Rows outlive their processes, so exits are remembered rather than forgotten:
// - A process read while it ran and found gone since keeps what was read (cmdline, container,
//   pod) in a separate store of exited processes, bounded by count (exitedCacheSize, oldest exit
//   forgotten first) and age (exitedRetentionMs, default 24 h, the table store's default
//   retention), so that lookups of live processes cannot push it out.
// - Rows are node-local (a PEM scans only its own table store), so every well-formed upid names
//   a process of this host: one that exited before anything read it still resolves, to its upid
//   and pid with an empty cmdline, and thus to this node's name and hostname.
// - scan() (or startScanning) reads every process in /proc ahead of any query and notices
//   exits, so that short-lived processes are known by the time a query asks about them.
import { readdirSync, readFileSync } from 'node:fs';
import { hostname as osHostname } from 'node:os';
import { join } from 'node:path';
import { isGoneOrDenied, listPids } from '../stats/proc.js';
import { parseProcStat, upidOf } from '../stats/process-stats.js';
import { LruMap } from './lru.js';
import { readProcess } from './process-reader.js';
import { StaticCluster } from './static-cluster.js';
import type { MetadataView, PodInfo, ProcessInfo, ServiceInfo } from './types.js';
import { parseUpid, type Upid } from './upid.js';

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
  /** Exited processes remembered with what was read while they ran (default 16384). */
  exitedCacheSize?: number;
  /** How long an exited process is remembered (default 24 h). */
  exitedRetentionMs?: number;
  /**
   * Every well-formed upid names a process of this host (default true: rows are node-local), so
   * one that is not running resolves to a bare { upid, pid, cmdline: '' } for good. false: it
   * misses, and /proc is read again after the TTL.
   */
  localUpids?: boolean;
  /** Milliseconds, for the TTL and retention; default Date.now. */
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
  /** Exited processes remembered. */
  exited: number;
}

export interface ScanResult {
  /** Processes in /proc. */
  processes: number;
  /** Of those, read in full (new, or past the TTL). */
  read: number;
  /** Processes seen by the previous scan and gone now. */
  exited: number;
}

interface Entry {
  info: ProcessInfo | undefined;
  checkedAt: number;
  /** The answer cannot change any more (a process never seen running, gone now). */
  final: boolean;
}

interface Exited {
  info: ProcessInfo;
  exitedAt: number;
}

export const DEFAULT_PROCESS_CACHE_SIZE = 16384;
export const DEFAULT_PROCESS_TTL_MS = 30_000;
export const DEFAULT_EXITED_CACHE_SIZE = 16384;
export const DEFAULT_EXITED_RETENTION_MS = 24 * 60 * 60 * 1000;
export const DEFAULT_SCAN_INTERVAL_MS = 10_000;

export class LocalMetadata implements MetadataView {
  readonly hostname: string;
  readonly nodeName: string;
  private readonly procRoot: string;
  private readonly cache: LruMap<string, Entry>;
  /** Oldest exit first (insertion order). */
  private readonly exited = new Map<string, Exited>();
  private readonly exitedCacheSize: number;
  private readonly exitedRetentionMs: number;
  private readonly ttlMs: number;
  private readonly localUpids: boolean;
  private readonly now: () => number;
  private readonly onError: ((err: unknown, upid: string) => void) | undefined;
  private readonly cluster: StaticCluster | undefined;
  private readonly counters = { lookups: 0, procReads: 0, errors: 0 };
  /** pid → upid as the last scan found them. */
  private scanned = new Map<number, string>();
  private scanTimer: NodeJS.Timeout | undefined;

  constructor(opts: LocalMetadataOptions = {}) {
    this.procRoot = opts.procRoot ?? '/proc';
    this.hostname = opts.hostname ?? osHostname();
    this.nodeName = opts.nodeName ?? this.hostname;
    this.cache = new LruMap(opts.cacheSize ?? DEFAULT_PROCESS_CACHE_SIZE);
    this.ttlMs = opts.ttlMs ?? DEFAULT_PROCESS_TTL_MS;
    this.exitedCacheSize = opts.exitedCacheSize ?? DEFAULT_EXITED_CACHE_SIZE;
    this.exitedRetentionMs = opts.exitedRetentionMs ?? DEFAULT_EXITED_RETENTION_MS;
    if (!Number.isInteger(this.exitedCacheSize) || this.exitedCacheSize < 0) throw new RangeError(`exitedCacheSize must be a non-negative integer, got ${this.exitedCacheSize}`);
    this.localUpids = opts.localUpids ?? true;
    this.now = opts.now ?? Date.now;
    this.onError = opts.onError;
    this.cluster = opts.pods || opts.services ? new StaticCluster(opts.pods, opts.services) : undefined;
  }

  process(upid: string): ProcessInfo | undefined {
    this.counters.lookups++;
    const now = this.now();
    const gone = this.exited.get(upid);
    if (gone) {
      if (now - gone.exitedAt < this.exitedRetentionMs) return gone.info;
      this.exited.delete(upid);
    }
    const entry = this.cache.get(upid);
    if (entry && (entry.final || now - entry.checkedAt < this.ttlMs)) return entry.info;
    const parsed = parseUpid(upid);
    if (!parsed) return undefined;
    return this.read(upid, parsed, entry, now);
  }

  /** Reads /proc for one upid and records the outcome. */
  private read(upid: string, parsed: Upid, entry: Entry | undefined, now: number): ProcessInfo | undefined {
    let info: ProcessInfo | undefined;
    this.counters.procReads++;
    try {
      info = readProcess(this.procRoot, parsed);
    } catch (err) {
      this.counters.errors++;
      this.onError?.(err, upid);
      this.cache.set(upid, { info: entry?.info, checkedAt: now, final: false });
      return entry?.info;
    }
    if (info) {
      this.cache.set(upid, { info, checkedAt: now, final: false });
      return info;
    }
    if (entry?.info) {
      this.remember(upid, entry.info, now);
      return entry.info;
    }
    // Never seen running and gone now: on this node (rows are node-local), but nothing more is known.
    const bare = this.localUpids ? Object.freeze({ upid, pid: parsed.pid, cmdline: '' }) : undefined;
    this.cache.set(upid, { info: bare, checkedAt: now, final: this.localUpids });
    return bare;
  }

  /** Moves an exited process's last info out of the LRU into the exited store. */
  private remember(upid: string, info: ProcessInfo, now: number): void {
    this.cache.delete(upid);
    if (this.exitedCacheSize === 0) return;
    this.exited.delete(upid);
    this.exited.set(upid, { info, exitedAt: now });
    for (const [key, e] of this.exited) {
      if (this.exited.size <= this.exitedCacheSize && now - e.exitedAt < this.exitedRetentionMs) break;
      this.exited.delete(key);
    }
  }

  /**
   * Reads every process in the /proc root that is new or past the TTL (one small stat read for
   * the others), and moves the processes the previous scan saw and that are gone now to the
   * exited store. Processes that start and exit between two scans stay unknown beyond their pid.
   */
  scan(): ScanResult {
    const now = this.now();
    let entries: string[];
    try {
      entries = readdirSync(this.procRoot);
    } catch (err) {
      this.counters.errors++;
      this.onError?.(err, '');
      return { processes: 0, read: 0, exited: 0 };
    }
    const current = new Map<number, string>();
    let read = 0;
    for (const pid of listPids(entries)) {
      let upid: string;
      let startTicks: number;
      try {
        const stat = parseProcStat(readFileSync(join(this.procRoot, String(pid), 'stat'), 'utf8'));
        upid = upidOf(stat);
        startTicks = stat.starttimeTicks;
      } catch (err) {
        if (!isGoneOrDenied(err)) {
          this.counters.errors++;
          this.onError?.(err, String(pid));
        }
        continue;
      }
      current.set(pid, upid);
      if (this.exited.has(upid)) continue;
      const entry = this.cache.get(upid);
      if (entry?.info && now - entry.checkedAt < this.ttlMs) continue;
      read++;
      this.read(upid, { pid, startTicks }, entry, now);
    }
    let exited = 0;
    for (const [pid, upid] of this.scanned) {
      if (current.get(pid) === upid) continue;
      const entry = this.cache.get(upid);
      if (entry?.info && !entry.final) {
        this.remember(upid, entry.info, now);
        exited++;
      }
    }
    this.scanned = current;
    return { processes: current.size, read, exited };
  }

  /** Scans every intervalMs (default 10 s) until stopScanning(); the timer does not hold the process open. */
  startScanning(intervalMs = DEFAULT_SCAN_INTERVAL_MS): void {
    if (this.scanTimer) return;
    this.scan();
    this.scanTimer = setInterval(() => this.scan(), intervalMs);
    this.scanTimer.unref();
  }

  stopScanning(): void {
    clearInterval(this.scanTimer);
    this.scanTimer = undefined;
  }

  stats(): LocalMetadataStats {
    return { ...this.counters, cached: this.cache.size, exited: this.exited.size };
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
