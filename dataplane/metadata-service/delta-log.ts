// What the metadata service holds per resource, pure: the current objects, each stamped with the
// resourceVersion of its last change, and the last `capacity` changes in order, so a client that
// fell behind catches up from its version instead of listing again. A LIST from the API server
// (after the service's own watch was cut off) becomes the deltas it implies, so clients never see
// a re-list of the service's source. Objects are kept as JSON text: they are only ever sent.
import { formatResourceVersion, parseResourceVersion, type EventType } from './wire.js';

export interface LogEntry {
  readonly seq: number;
  readonly type: Exclude<EventType, 'BOOKMARK'>;
  /** The object, its metadata.resourceVersion set to this change's. */
  readonly json: string;
}

interface Held {
  /** The object as sent (with its resourceVersion). */
  readonly json: string;
  /** The object without its resourceVersion: an upsert that changes nothing else is no change. */
  readonly content: string;
}

type KubeObject = { readonly metadata?: object } & object;

function stamped(object: KubeObject, rv: string): string {
  return JSON.stringify({ ...object, metadata: { ...(object.metadata ?? {}), resourceVersion: rv } });
}

function content(object: KubeObject): string {
  const meta: Record<string, unknown> = { ...(object.metadata ?? {}) };
  delete meta['resourceVersion'];
  return JSON.stringify({ ...object, metadata: meta });
}

export class ResourceLog {
  private readonly objects = new Map<string, Held>();
  /** A ring of the last `capacity` changes: entries[(seq - 1) % capacity]. */
  private readonly entries: LogEntry[] = [];
  private seq = 0;

  constructor(
    /** Changes each time the service starts: versions of another epoch are 410. */
    readonly epoch: string,
    private readonly capacity = 10_000,
  ) {
    if (!/^[0-9a-z]+$/.test(epoch)) throw new Error(`epoch "${epoch}" must be lowercase letters and digits`);
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`capacity ${capacity} must be a positive integer`);
  }

  get resourceVersion(): string {
    return formatResourceVersion(this.epoch, this.seq);
  }

  get size(): number {
    return this.objects.size;
  }

  /** Sets or changes one object; undefined when it was already so. */
  upsert(key: string, object: KubeObject): LogEntry | undefined {
    const c = content(object);
    const held = this.objects.get(key);
    if (held?.content === c) return undefined;
    return this.record(held ? 'MODIFIED' : 'ADDED', key, object, c);
  }

  /** Removes one object; undefined when it was not there. */
  remove(key: string): LogEntry | undefined {
    const held = this.objects.get(key);
    if (!held) return undefined;
    return this.record('DELETED', key, JSON.parse(held.json) as KubeObject, held.content);
  }

  /** The whole set after a LIST: the deletions, additions and changes it implies, in that order. */
  replace(objects: ReadonlyMap<string, KubeObject>): LogEntry[] {
    const out: LogEntry[] = [];
    for (const key of [...this.objects.keys()]) {
      if (!objects.has(key)) out.push(this.remove(key)!);
    }
    for (const [key, object] of objects) {
      const e = this.upsert(key, object);
      if (e) out.push(e);
    }
    return out;
  }

  /** Every object as JSON, ordered by key, and the version they are at. */
  snapshot(): { resourceVersion: string; items: string[] } {
    const keys = [...this.objects.keys()].sort();
    return { resourceVersion: this.resourceVersion, items: keys.map((k) => this.objects.get(k)!.json) };
  }

  /** The changes after `resourceVersion`, oldest first; `gone` says why they cannot be given. */
  since(resourceVersion: string): LogEntry[] | { gone: string } {
    const rv = parseResourceVersion(resourceVersion);
    if (!rv) return { gone: `resourceVersion "${resourceVersion}" is not one of this metadata service's (EPOCH.SEQ); list again` };
    if (rv.epoch !== this.epoch) return { gone: `resourceVersion ${resourceVersion} is from an earlier run of the metadata service (now ${this.epoch}); list again` };
    if (rv.seq > this.seq) return { gone: `resourceVersion ${resourceVersion} is ahead of the metadata service (at ${this.resourceVersion}); list again` };
    const oldest = Math.max(1, this.seq - this.entries.length + 1);
    if (rv.seq + 1 < oldest) return { gone: `resourceVersion ${resourceVersion} is too old: the metadata service keeps changes from ${formatResourceVersion(this.epoch, oldest)} on; list again` };
    const out: LogEntry[] = [];
    for (let s = rv.seq + 1; s <= this.seq; s++) out.push(this.entries[(s - 1) % this.capacity]!);
    return out;
  }

  private record(type: LogEntry['type'], key: string, object: KubeObject, c: string): LogEntry {
    this.seq++;
    const json = stamped(object, this.resourceVersion);
    if (type === 'DELETED') this.objects.delete(key);
    else this.objects.set(key, { json, content: c });
    const entry: LogEntry = { seq: this.seq, type, json };
    if (this.entries.length < this.capacity) this.entries.push(entry);
    else this.entries[(this.seq - 1) % this.capacity] = entry;
    return entry;
  }
}

export interface Page {
  readonly resourceVersion: string;
  /** Objects as JSON. */
  readonly items: readonly string[];
  readonly continue?: string;
}

export interface PagerOptions {
  /** How long a listing's later pages stay available (default 60 s). */
  readonly ttlMs?: number;
  /** Listings held at once; the oldest goes first (default 32). */
  readonly maxOpen?: number;
  readonly now?: () => number;
}

/**
 * Pages of one consistent snapshot: the first page freezes the list (a copy of references), later
 * pages read the copy, so objects that change between pages neither repeat nor go missing. A
 * continue token past its TTL is 410, as the API server's, and the client lists again.
 */
export class SnapshotPager {
  private readonly open = new Map<string, { resourceVersion: string; items: string[]; expires: number }>();
  private nextId = 0;
  private readonly ttlMs: number;
  private readonly maxOpen: number;
  private readonly now: () => number;

  constructor(opts: PagerOptions = {}) {
    this.ttlMs = opts.ttlMs ?? 60_000;
    this.maxOpen = opts.maxOpen ?? 32;
    this.now = opts.now ?? Date.now;
  }

  /** `limit` objects (0: no limit) and at most `maxBytes` of them (always at least one). */
  page(log: ResourceLog, limit: number, continueToken: string | undefined, maxBytes: number): Page | { gone: string } {
    const t = this.now();
    for (const [id, s] of this.open) if (s.expires <= t) this.open.delete(id);
    let id: string;
    let offset: number;
    let listing: { resourceVersion: string; items: string[] };
    if (continueToken === undefined) {
      listing = log.snapshot();
      id = '';
      offset = 0;
    } else {
      const m = /^([0-9]+):([0-9]+)$/.exec(continueToken);
      const held = m ? this.open.get(m[1]!) : undefined;
      if (!m || !held) return { gone: `continue token "${continueToken}" expired or unknown; list again from the start` };
      [id, offset, listing] = [m[1]!, Number(m[2]), held];
    }
    const items: string[] = [];
    let bytes = 0;
    for (let i = offset; i < listing.items.length; i++) {
      const item = listing.items[i]!;
      if (items.length > 0 && ((limit > 0 && items.length >= limit) || bytes + item.length > maxBytes)) break;
      items.push(item);
      bytes += item.length + 1;
    }
    const end = offset + items.length;
    if (end >= listing.items.length) {
      if (id) this.open.delete(id);
      return { resourceVersion: listing.resourceVersion, items };
    }
    if (!id) {
      id = String(this.nextId++);
      if (this.open.size >= this.maxOpen) this.open.delete(this.open.keys().next().value!);
      this.open.set(id, { ...listing, expires: t + this.ttlMs });
    }
    return { resourceVersion: listing.resourceVersion, items, continue: `${id}:${end}` };
  }
}
