// A list+watch cache of one resource type (optionally one namespace and label selector),
// after client-go's reflector and shared informer: paginated LIST, then WATCH from the
// list's resourceVersion with bookmarks; a broken watch resumes from the last version seen;
// 410 Gone re-lists and delivers the differences as add/update/delete; a periodic resync
// re-delivers every cached object as an update.
import { Watch, type KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { sleep } from '../../lib/clock.js';
import { ApiError, isGone } from '../../lib/kube/api-error.js';
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
const MIN_WATCH_TIMEOUT_S = 300;
/** A watch that ends sooner than this without an error still counts as a failure (no hot loop). */
const MIN_HEALTHY_WATCH_MS = 1000;
const MAX_RETRY_DELAY_MS = 30_000;

export class Informer<T extends KubernetesObject = KubernetesObject> implements Lister<T> {
  readonly name: string;
  private cache = new Map<string, T>();
  private readonly handlers = new Set<InformerHandlers<T>>();
  private synced = false;
  private syncWaiters: { resolve: () => void; reject: (err: Error) => void }[] = [];
  private resourceVersion?: string;
  private started = false;
  private readonly stopper = new AbortController();
  private activeWatch?: AbortController;
  private resyncTimer?: NodeJS.Timeout;
  private readonly log?: Logger;
  private readonly resyncMs: number;
  private readonly pageSize: number;
  private readonly path: string;
  private readonly watcher: Watch;

  constructor(
    private readonly transport: KubeTransport,
    readonly type: ResourceType,
    private readonly opts: InformerOptions = {},
  ) {
    this.name = `${type.plural}${type.group ? `.${type.group}` : ''}${opts.namespace ? ` in ${opts.namespace}` : ''}${opts.labelSelector ? ` (${opts.labelSelector})` : ''}`;
    this.log = opts.log?.child({ informer: this.name });
    this.resyncMs = opts.resyncMs ?? DEFAULT_RESYNC_MS;
    this.pageSize = opts.pageSize ?? 500;
    this.path = resourcePath(type, opts.namespace);
    this.watcher = new Watch(transport.kc);
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
    void this.run();
    if (this.resyncMs > 0) {
      this.resyncTimer = setInterval(() => this.resync(), this.resyncMs);
      this.resyncTimer.unref();
    }
  }

  stop(): void {
    if (this.stopped) return;
    this.stopper.abort();
    this.activeWatch?.abort();
    clearInterval(this.resyncTimer);
    const err = new Error(`informer for ${this.name} stopped before its cache synced`);
    for (const w of this.syncWaiters.splice(0)) w.reject(err);
  }

  hasSynced(): boolean {
    return this.synced;
  }

  /** Resolves once the first LIST is in the cache; rejects if stopped or `signal` aborts first. */
  waitForSync(signal?: AbortSignal): Promise<void> {
    if (this.synced) return Promise.resolve();
    if (this.stopped) return Promise.reject(new Error(`informer for ${this.name} is stopped`));
    const gaveUp = (): Error => new Error(`gave up waiting for the ${this.name} cache to sync`);
    if (signal?.aborted) return Promise.reject(gaveUp());
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        this.syncWaiters = this.syncWaiters.filter((w) => w !== waiter);
        reject(gaveUp());
      };
      const waiter = {
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        reject,
      };
      this.syncWaiters.push(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
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

  private get stopped(): boolean {
    return this.stopper.signal.aborted;
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      try {
        if (this.resourceVersion === undefined) await this.relist();
        const started = Date.now();
        await this.watchFrom(this.resourceVersion as string);
        if (this.stopped) break;
        if (Date.now() - started < MIN_HEALTHY_WATCH_MS) throw new Error('watch closed right after it opened');
        this.log?.debug({ resourceVersion: this.resourceVersion }, 'watch closed; resuming');
        failures = 0;
      } catch (err) {
        if (this.stopped) break;
        if (isGone(err)) {
          this.log?.info({ resourceVersion: this.resourceVersion }, 'resource version too old; re-listing');
          this.resourceVersion = undefined;
          continue;
        }
        failures++;
        const delayMs = Math.min(MAX_RETRY_DELAY_MS, 500 * 2 ** (failures - 1)) * (0.5 + Math.random() / 2);
        this.log?.warn({ err, retryInMs: Math.round(delayMs) }, 'list/watch failed; retrying');
        await sleep(delayMs, this.stopper.signal);
      }
    }
  }

  /** LISTs everything and replaces the cache, delivering the differences to the old one. */
  private async relist(): Promise<void> {
    const { items, resourceVersion } = await this.listAll(this.pageSize);
    const previous = this.cache;
    this.cache = new Map(items.map((o) => [objectKey(o), o]));
    this.resourceVersion = resourceVersion;
    for (const [key, obj] of this.cache) {
      const old = previous.get(key);
      if (!old) this.emit('add', obj);
      else if (old.metadata?.resourceVersion !== obj.metadata?.resourceVersion) this.emit('update', old, obj);
    }
    for (const [key, old] of previous) {
      if (!this.cache.has(key)) this.emit('delete', old);
    }
    if (!this.synced) {
      this.synced = true;
      this.log?.debug({ objects: this.cache.size }, 'cache synced');
      for (const w of this.syncWaiters.splice(0)) w.resolve();
    }
  }

  private async listAll(limit: number): Promise<{ items: T[]; resourceVersion: string }> {
    const items: T[] = [];
    let resourceVersion = '';
    let cont: string | undefined;
    do {
      let page: unknown;
      try {
        page = await this.transport.request({
          method: 'GET',
          path: this.path,
          query: { limit: limit || undefined, continue: cont, labelSelector: this.opts.labelSelector },
          object: this.name,
          signal: this.stopper.signal,
        });
      } catch (err) {
        // The continue token expired between pages: fall back to one unpaginated LIST.
        if (isGone(err) && cont !== undefined) return this.listAll(0);
        throw err;
      }
      if (!isRecord(page) || !Array.isArray(page.items) || !isRecord(page.metadata)) {
        throw new Error(`LIST ${this.path} returned something other than a list`);
      }
      for (const item of page.items) {
        if (!isObject(item)) continue;
        // List items come without apiVersion/kind; watch events carry them.
        items.push({ ...item, apiVersion: apiVersionOf(this.type), kind: this.type.kind } as T);
      }
      resourceVersion = String(page.metadata.resourceVersion ?? '');
      cont = typeof page.metadata.continue === 'string' && page.metadata.continue ? page.metadata.continue : undefined;
    } while (cont);
    return { items, resourceVersion };
  }

  /** Watches from `rv` until the watch ends; rejects with an ApiError on an ERROR event or failed request. */
  private watchFrom(rv: string): Promise<void> {
    return new Promise((resolve, reject) => {
      let finished = false;
      const finish = (err?: unknown): void => {
        if (finished) return;
        finished = true;
        this.stopper.signal.removeEventListener('abort', onStop);
        this.activeWatch?.abort();
        this.activeWatch = undefined;
        if (err) reject(err);
        else resolve();
      };
      const onStop = (): void => finish();
      this.stopper.signal.addEventListener('abort', onStop, { once: true });

      const onEvent = (phase: string, obj: unknown): void => {
        if (finished) return;
        if (phase === 'ERROR') return finish(watchEventError(obj, this.name));
        // Bookmarks carry only a resourceVersion: where to resume without any object changing.
        const rv = isRecord(obj) && isRecord(obj.metadata) ? obj.metadata.resourceVersion : undefined;
        if (typeof rv === 'string' && rv) this.resourceVersion = rv;
        if (!isObject(obj)) return;
        if (phase === 'ADDED' || phase === 'MODIFIED') this.upsert(obj as T);
        else if (phase === 'DELETED') this.remove(obj as T);
      };
      const onDone = (err: unknown): void => {
        finish(err && !this.stopped ? watchRequestError(err, this.name) : undefined);
      };
      const query = {
        resourceVersion: rv,
        allowWatchBookmarks: true,
        labelSelector: this.opts.labelSelector,
        timeoutSeconds: MIN_WATCH_TIMEOUT_S + Math.floor(Math.random() * MIN_WATCH_TIMEOUT_S),
      };
      this.watcher.watch(this.path, query, onEvent, onDone).then(
        (controller) => {
          if (finished) controller.abort();
          else this.activeWatch = controller;
        },
        (err: unknown) => finish(err),
      );
    });
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
    if (!this.synced || this.stopped) return;
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

function watchEventError(status: unknown, what: string): ApiError {
  const s = isRecord(status) ? status : {};
  return new ApiError(
    typeof s.code === 'number' ? s.code : 500,
    typeof s.reason === 'string' ? s.reason : 'WatchError',
    what,
    typeof s.message === 'string' ? s.message : JSON.stringify(status),
    [],
    'WATCH',
  );
}

function watchRequestError(err: unknown, what: string): unknown {
  const statusCode = isRecord(err) ? err.statusCode : undefined;
  if (typeof statusCode !== 'number') return err;
  return new ApiError(statusCode, err instanceof Error ? err.message : 'Error', what, `watch request answered ${statusCode}`, [], 'WATCH');
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
