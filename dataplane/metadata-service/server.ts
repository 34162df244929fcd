// The serving half of `loupe metadata`: watches the API server once for the whole cluster (one
// Reflector per resource) and answers the agents over NATS by the contract in wire.ts: paged
// lists from a consistent snapshot, catch-up from a resourceVersion, and every change published
// in order, with a bookmark per resource every few seconds so agents know it is alive.
//
// It answers nothing until pods and services have been listed: an agent that asks earlier gets
// "no responders" and watches the API server itself until the service answers (fallback.ts).
import type { Msg, NatsConnection, Subscription } from 'nats';
import { Reflector, type ListWatchSource, type ReflectorLog } from '../../lib/kube/reflector.js';
import { keepFields, RECORD_FIELDS } from '../metadata/kube-objects.js';
import { speaks, type Protocol } from '../query/protocol-version.js';
import { ResourceLog, SnapshotPager, type LogEntry, type PagerOptions } from './delta-log.js';
import {
  decodeListRequest, decodeVersionOnly, decodeWatchRequest, encodeMessage, formatResourceVersion, METADATA_PROTOCOL, MetadataSubjects,
  publishedVersions, versionRefusal, WireError, type AgentRecord, type ErrorReply, type MetadataResource,
} from './wire.js';

/** Pods and services are required before the service answers; the others are served once listed. */
const REQUIRED: readonly MetadataResource[] = ['pods', 'services'];

export interface MetadataServerOptions {
  readonly log: ReflectorLog & { error: ReflectorLog['warn'] };
  readonly protocol?: Protocol;
  /** Default: the start time in base 36, so versions of an earlier run are told apart. */
  readonly epoch?: string;
  /** Default 2 s. Agents take three missed bookmarks as the service gone. */
  readonly bookmarkIntervalMs?: number;
  /** Changes kept per resource for catch-up (default 10 000). */
  readonly logCapacity?: number;
  /** Bytes of objects per reply (default: half the NATS server's max_payload). */
  readonly maxReplyBytes?: number;
  readonly pager?: PagerOptions;
  /** The agents the service knows, for `agents` requests. */
  readonly agents?: () => readonly AgentRecord[];
  /** LIST page size and first retry delay of the API watches. */
  readonly pageSize?: number;
  readonly retryMinMs?: number;
}

interface Served {
  readonly resource: MetadataResource;
  readonly log: ResourceLog;
  readonly reflector: Reflector<{ key: string; object: object }>;
}

export class MetadataServer {
  private readonly served: Served[] = [];
  private readonly pager: SnapshotPager;
  private readonly protocol: Protocol;
  private readonly subscriptions: Subscription[] = [];
  private bookmarkTimer: NodeJS.Timeout | undefined;
  private answering = false;
  private stopped = false;
  /** Requests that did not follow the contract (answered 400). */
  badRequests = 0;

  constructor(
    private readonly nc: NatsConnection,
    sources: Partial<Record<MetadataResource, ListWatchSource>>,
    private readonly opts: MetadataServerOptions,
  ) {
    this.protocol = opts.protocol ?? METADATA_PROTOCOL;
    this.pager = new SnapshotPager(opts.pager);
    const epoch = opts.epoch ?? Date.now().toString(36);
    for (const [resource, source] of Object.entries(sources) as [MetadataResource, ListWatchSource][]) {
      const log = new ResourceLog(epoch, opts.logCapacity);
      const shape = RECORD_FIELDS[resource];
      const convert = (o: unknown) => {
        const uid = (o as { metadata?: { uid?: unknown } } | null)?.metadata?.uid;
        return typeof uid === 'string' && uid !== '' ? { key: uid, object: keepFields(o, shape) } : undefined;
      };
      const publish = (entries: readonly (LogEntry | undefined)[]) => {
        for (const e of entries) if (e) this.publish(resource, log, e);
      };
      const reflector = new Reflector(source, convert, {
        replace: (records) => publish(log.replace(new Map(records.map((r) => [r.key, r.object])))),
        upsert: (r) => publish([log.upsert(r.key, r.object)]),
        remove: (r) => publish([log.remove(r.key)]),
      }, {
        log: opts.log,
        ...(opts.pageSize !== undefined ? { pageSize: opts.pageSize } : {}),
        ...(opts.retryMinMs !== undefined ? { retryMinMs: opts.retryMinMs } : {}),
      });
      this.served.push({ resource, log, reflector });
    }
    for (const r of REQUIRED) if (!sources[r]) throw new Error(`the metadata service needs a source of ${r}`);
  }

  /** Starts the watches; the service answers once pods and services are listed. */
  start(): void {
    for (const s of this.served) s.reflector.start();
    void Promise.all(this.served.filter((s) => REQUIRED.includes(s.resource)).map((s) => s.reflector.whenSynced())).then(
      () => this.answer(),
      (err: Error) => {
        if (!this.stopped) this.opts.log.error({ err: err.message }, 'metadata service: stopped before pods and services were listed');
      },
    );
  }

  /** True once it answers requests (pods and services listed). */
  get serving(): boolean {
    return this.answering;
  }

  /** Per resource: objects held, the current resourceVersion, whether it has been listed, the last API error. */
  status(): { resource: MetadataResource; objects: number; resourceVersion: string; synced: boolean; lastError?: string }[] {
    return this.served.map((s) => {
      const err = s.reflector.lastError;
      return {
        resource: s.resource,
        objects: s.log.size,
        resourceVersion: s.log.resourceVersion,
        synced: s.reflector.isSynced,
        ...(err !== undefined ? { lastError: err instanceof Error ? err.message : String(err) } : {}),
      };
    });
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.bookmarkTimer);
    for (const s of this.subscriptions.splice(0)) s.unsubscribe();
    for (const s of this.served) s.reflector.stop();
    this.answering = false;
  }

  private answer(): void {
    if (this.stopped) return;
    const maxBytes = this.opts.maxReplyBytes ?? Math.floor(this.nc.info!.max_payload / 2);
    for (const s of this.served) {
      this.subscriptions.push(
        this.nc.subscribe(MetadataSubjects.list(s.resource), { callback: (_e, msg) => this.handle(msg, 'list request', (version) => this.list(s, version, msg, maxBytes)) }),
        this.nc.subscribe(MetadataSubjects.watch(s.resource), { callback: (_e, msg) => this.handle(msg, 'watch request', (version) => this.watch(s, version, msg, maxBytes)) }),
      );
    }
    this.subscriptions.push(
      this.nc.subscribe(MetadataSubjects.ping, { callback: (_e, msg) => this.handle(msg, 'ping', (version) => JSON.stringify({ protocolVersion: version, epoch: this.served[0]!.log.epoch })) }),
      this.nc.subscribe(MetadataSubjects.agents, { callback: (_e, msg) => this.handle(msg, 'agents request', (version) => JSON.stringify({ protocolVersion: version, agents: this.opts.agents?.() ?? [] })) }),
    );
    this.bookmarkTimer = setInterval(() => this.bookmarks(), this.opts.bookmarkIntervalMs ?? 2_000);
    this.bookmarkTimer.unref();
    this.answering = true;
    this.opts.log.info({ resources: this.status().map((s) => `${s.resource}=${s.objects}`).join(' ') }, 'metadata service answering');
  }

  /** Decodes the version, refuses one it does not speak, answers with `reply(version)`'s JSON. */
  private handle(msg: Msg, what: string, reply: (version: number) => string): void {
    if (!msg.reply) return;
    let out: string;
    try {
      const { protocolVersion } = decodeVersionOnly(msg.data, what);
      out = speaks(this.protocol, protocolVersion) ? reply(protocolVersion) : JSON.stringify(versionRefusal(this.protocol, protocolVersion));
    } catch (err) {
      if (!(err instanceof WireError)) throw err;
      this.badRequests++;
      out = JSON.stringify({ protocolVersion: this.protocol.version, error: { code: 400, message: err.message } } satisfies ErrorReply);
    }
    msg.respond(new TextEncoder().encode(out));
  }

  private list(s: Served, version: number, msg: Msg, maxBytes: number): string {
    const req = decodeListRequest(msg.data);
    if (!s.reflector.isSynced) return notListedYet(version, s);
    const page = this.pager.page(s.log, req.limit, req.continue, maxBytes);
    if ('gone' in page) return JSON.stringify({ protocolVersion: version, error: { code: 410, message: page.gone } } satisfies ErrorReply);
    return `{"protocolVersion":${version},"resourceVersion":${JSON.stringify(page.resourceVersion)},"items":[${page.items.join(',')}]${page.continue ? `,"continue":${JSON.stringify(page.continue)}` : ''}}`;
  }

  private watch(s: Served, version: number, msg: Msg, maxBytes: number): string {
    const req = decodeWatchRequest(msg.data);
    if (!s.reflector.isSynced) return notListedYet(version, s);
    const since = s.log.since(req.resourceVersion);
    if ('gone' in since) return JSON.stringify({ protocolVersion: version, error: { code: 410, message: since.gone } } satisfies ErrorReply);
    const events = since.map((e) => eventJson(version, s.log.epoch, e));
    // A catch-up larger than a reply may be is cheaper as a new list.
    if (events.reduce((n, e) => n + e.length + 1, 0) > maxBytes) {
      return JSON.stringify({ protocolVersion: version, error: { code: 410, message: `${events.length} changes since ${req.resourceVersion} exceed one reply; list again` } } satisfies ErrorReply);
    }
    return `{"protocolVersion":${version},"resourceVersion":${JSON.stringify(s.log.resourceVersion)},"events":[${events.join(',')}]}`;
  }

  private publish(resource: MetadataResource, log: ResourceLog, e: LogEntry): void {
    if (this.nc.isClosed()) return;
    for (const v of publishedVersions(this.protocol)) this.nc.publish(MetadataSubjects.events(v, resource), new TextEncoder().encode(eventJson(v, log.epoch, e)));
  }

  private bookmarks(): void {
    if (this.nc.isClosed()) return;
    for (const s of this.served) {
      for (const v of publishedVersions(this.protocol)) {
        this.nc.publish(MetadataSubjects.events(v, s.resource), encodeMessage({ protocolVersion: v, resourceVersion: s.log.resourceVersion, type: 'BOOKMARK' }));
      }
    }
  }
}

function notListedYet(version: number, s: Served): string {
  const err = s.reflector.lastError;
  const why = err === undefined ? 'no answer from the API server yet' : err instanceof Error ? err.message : String(err);
  return JSON.stringify({ protocolVersion: version, error: { code: 503, message: `the metadata service has not listed ${s.resource} yet (${why}); retrying` } });
}

/** One WireEvent's JSON, built around the object's JSON text (version 1 is the only layout so far). */
function eventJson(version: number, epoch: string, e: LogEntry): string {
  return `{"protocolVersion":${version},"resourceVersion":"${formatResourceVersion(epoch, e.seq)}","type":"${e.type}","object":${e.json}}`;
}
