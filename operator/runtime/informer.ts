// A list+watch cache of one resource type (optionally one namespace and label selector),
// after client-go's shared informer: lib/kube/reflector.ts lists and watches (pages, bookmarks,
// resume, re-list on 410 Gone) and this keeps the objects, delivers the differences to the
// handlers as add/update/delete, and re-delivers every cached object as an update on a
// periodic resync.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { Reflector, watchCollection, type ListPage, type ListWatchSource } from '../../lib/kube/reflector.js';
import { apiVersionOf, resourcePath } from './paths.js';
import { isRecord, type KubeTransport } from './rest.js';
import { keyToString, type Lister, type ResourceType } from './types.js';

export interface InformerHandlers<T> {
  add?(obj: T): void;
  update?(oldObj: T, newObj: T): void;
  delete?(obj: T): void;
}

export interface InformerScope {
  /** Only this namespace; all namespaces when omitted. */
  namespace?: string;
  /** Server-side label selector, e.g. 'app.kubernetes.io/managed-by=loupe-operator'. */
  labelSelector?: string;
}

export interface InformerOptions extends InformerScope {
  /** Re-deliver every cached object as an update this often; 0 disables. Default 10 min. */
  resyncMs?: number;
  /** LIST page size. Default 500. */
  pageSize?: number;
  log?: Logger;
}

const DEFAULT_RESYNC_MS = 10 * 60_000;

/** LISTs through the operator's transport; list items get the apiVersion and kind that only watch events carry. */
function apiServerSource(transport: KubeTransport, type: ResourceType, name: string, scope: InformerScope): ListWatchSource {
  const path = resourcePath(type, scope.namespace);
  return {
    name,
    async list(pageSize, continueToken, signal): Promise<ListPage> {
      const page = await transport.request({
        method: 'GET',
        path,
        query: { limit: pageSize || undefined, continue: continueToken, labelSelector: scope.labelSelector },
        object: name,
        signal,
      });
      if (!isRecord(page) || !Array.isArray(page.items) || !isRecord(page.metadata)) {
        throw new Error(`LIST ${path} returned something other than a list`);
      }
      const items = page.items.filter(isObject).map((item) => ({ ...item, apiVersion: apiVersionOf(type), kind: type.kind }));
      const next = page.metadata.continue;
      return { items, resourceVersion: String(page.metadata.resourceVersion ?? ''), ...(typeof next === 'string' && next ? { continueToken: next } : {}) };
    },
    watch: watchCollection(transport.kc, path, scope.labelSelector),
  };
}

export class Informer<T extends KubernetesObject = KubernetesObject> implements Lister<T> {
  readonly name: string;
  private cache = new Map<string, T>();
  private readonly handlers = new Set<InformerHandlers<T>>();
  private readonly reflector: Reflector<T>;
  private resyncTimer?: NodeJS.Timeout;
  private started = false;
  private stopped = false;
  private readonly log?: Logger;
  private readonly resyncMs: number;

  constructor(
    transport: KubeTransport,
    readonly type: ResourceType,
    opts: InformerOptions = {},
  ) {
    this.name = `${type.plural}${type.group ? `.${type.group}` : ''}${opts.namespace ? ` in ${opts.namespace}` : ''}${opts.labelSelector ? ` (${opts.labelSelector})` : ''}`;
    this.log = opts.log?.child({ informer: this.name });
    this.resyncMs = opts.resyncMs ?? DEFAULT_RESYNC_MS;
    this.reflector = new Reflector<T>(
      apiServerSource(transport, type, this.name, opts),
      (obj) => (isObject(obj) ? (obj as T) : undefined),
      { replace: (objs) => this.replace(objs), upsert: (obj) => this.upsert(obj), remove: (obj) => this.remove(obj) },
      { ...(opts.pageSize !== undefined ? { pageSize: opts.pageSize } : {}), ...(this.log ? { log: this.log } : {}) },
    );
  }

  /** Subscribes; objects already cached are delivered to the new handlers as adds. */
  addHandlers(handlers: InformerHandlers<T>): () => void {
    this.handlers.add(handlers);
    for (const obj of this.cache.values()) this.call('add', () => handlers.add?.(obj));
    return () => this.handlers.delete(handlers);
  }

  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    this.reflector.start();
    if (this.resyncMs > 0) {
      this.resyncTimer = setInterval(() => this.resync(), this.resyncMs);
      this.resyncTimer.unref();
    }
  }

  stop(): void {
    this.stopped = true;
    this.reflector.stop();
    clearInterval(this.resyncTimer);
  }

  hasSynced(): boolean {
    return this.reflector.isSynced;
  }

  /** Resolves once the first LIST is in the cache; rejects if stopped or `signal` aborts first. */
  waitForSync(signal?: AbortSignal): Promise<void> {
    return this.reflector.whenSynced(signal);
  }

  get(namespace: string, name: string): T | undefined {
    return this.cache.get(keyToString({ namespace, name }));
  }

  list(namespace?: string, labelSelector?: Record<string, string>): T[] {
    const out: T[] = [];
    for (const obj of this.cache.values()) {
      if (namespace && obj.metadata?.namespace !== namespace) continue;
      if (labelSelector && !matchesLabels(obj, labelSelector)) continue;
      out.push(obj);
    }
    return out;
  }

  /** A LIST's objects replace the cache; the differences to the old one go to the handlers. */
  private replace(objs: T[]): void {
    const previous = this.cache;
    this.cache = new Map(objs.map((o) => [objectKey(o), o]));
    for (const [key, obj] of this.cache) {
      const old = previous.get(key);
      if (!old) this.emit('add', obj);
      else if (old.metadata?.resourceVersion !== obj.metadata?.resourceVersion) this.emit('update', old, obj);
    }
    for (const [key, old] of previous) {
      if (!this.cache.has(key)) this.emit('delete', old);
    }
  }

  private upsert(obj: T): void {
    const key = objectKey(obj);
    const old = this.cache.get(key);
    this.cache.set(key, obj);
    if (old) this.emit('update', old, obj);
    else this.emit('add', obj);
  }

  private remove(obj: T): void {
    const key = objectKey(obj);
    const old = this.cache.get(key);
    this.cache.delete(key);
    this.emit('delete', old ?? obj);
  }

  private resync(): void {
    if (!this.reflector.isSynced || this.stopped) return;
    for (const obj of this.cache.values()) this.emit('update', obj, obj);
  }

  private emit(kind: 'add' | 'delete', obj: T): void;
  private emit(kind: 'update', oldObj: T, newObj: T): void;
  private emit(kind: 'add' | 'update' | 'delete', a: T, b?: T): void {
    for (const h of this.handlers) {
      this.call(kind, () => {
        if (kind === 'add') h.add?.(a);
        else if (kind === 'update') h.update?.(a, b as T);
        else h.delete?.(a);
      });
    }
  }

  private call(kind: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.log?.error({ err, event: kind }, 'event handler threw');
    }
  }
}

type ObjectWithMeta = KubernetesObject & { metadata: { name: string; namespace?: string } };

function isObject(v: unknown): v is ObjectWithMeta {
  return isRecord(v) && isRecord(v.metadata) && typeof v.metadata.name === 'string';
}

function objectKey(obj: KubernetesObject): string {
  return keyToString({ namespace: obj.metadata?.namespace ?? '', name: obj.metadata?.name ?? '' });
}

function matchesLabels(obj: KubernetesObject, selector: Record<string, string>): boolean {
  const labels = obj.metadata?.labels ?? {};
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

/** Hands out one informer per (type, namespace, label selector) so controllers share caches. */
export class SharedInformerFactory {
  private readonly informers = new Map<string, Informer>();
  private started = false;

  constructor(
    private readonly transport: KubeTransport,
    private readonly defaults: Omit<InformerOptions, keyof InformerScope> = {},
  ) {}

  informerFor<T extends KubernetesObject = KubernetesObject>(type: ResourceType, scope: InformerScope = {}): Informer<T> {
    const id = [type.group, type.version, type.plural, scope.namespace ?? '', scope.labelSelector ?? ''].join('|');
    let informer = this.informers.get(id);
    if (!informer) {
      informer = new Informer(this.transport, type, { ...this.defaults, ...scope });
      this.informers.set(id, informer);
      if (this.started) informer.start();
    }
    return informer as unknown as Informer<T>;
  }

  /** Starts every informer handed out so far and any handed out later. */
  start(): void {
    this.started = true;
    for (const i of this.informers.values()) i.start();
  }

  async waitForSync(signal?: AbortSignal): Promise<void> {
    await Promise.all([...this.informers.values()].map((i) => i.waitForSync(signal)));
  }

  stop(): void {
    for (const i of this.informers.values()) i.stop();
  }
}
