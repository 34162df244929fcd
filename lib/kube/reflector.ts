// Keeps a handler up to date with one Kubernetes collection, after client-go's reflector: a
// paginated LIST, then a WATCH from the list's resourceVersion with bookmarks. A watch that
// ends resumes from the last version seen; "410 Gone" (the version was compacted away) lists
// again and hands the handler the whole set, and an expired continue token between pages falls
// back to one unpaginated LIST. Objects are converted as they arrive and never kept here: the
// handler keeps what it needs (the operator's informer cache, operator/runtime/informer.ts; the
// metadata views' compact records, dataplane/metadata/kube.ts). Errors back off exponentially
// and are kept for whoever waits on the first sync.
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { sleep } from '../clock.js';
import { isGone, toApiError } from './api-error.js';
import { openWatch } from './watch.js';

export interface ListPage {
  readonly items: readonly unknown[];
  readonly resourceVersion: string;
  /** Set when more pages follow. */
  readonly continueToken?: string;
}

export interface WatchHandle {
  abort(): void;
}

export type WatchEventHandler = (type: string, object: unknown) => void;

/** Where a Reflector gets its data: the API server in production, a scripted one in unit tests. */
export interface ListWatchSource {
  /** For logs and errors, e.g. "pods". */
  readonly name: string;
  /** One page; pageSize 0 asks for everything at once. `signal` aborts when the reflector stops. */
  list(pageSize: number, continueToken: string | undefined, signal: AbortSignal): Promise<ListPage>;
  /** Calls onEvent per watch event ("ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR") and onDone once when the stream ends. */
  watch(resourceVersion: string, onEvent: WatchEventHandler, onDone: (err: unknown) => void): Promise<WatchHandle>;
}

export interface ReflectorHandler<R> {
  /** Every object after a LIST: anything not in it is gone. */
  replace(records: R[]): void;
  upsert(record: R): void;
  remove(record: R): void;
}

/** What a Reflector logs with: warn for retries, info for re-lists, debug (when there is one) for the rest. */
export type ReflectorLog = Pick<Logger, 'info' | 'warn'> & { debug?: Logger['debug'] };

export interface ReflectorOptions {
  /** LIST page size (default 500). */
  pageSize?: number;
  /**
   * First retry delay after an error (default 500 ms); doubles up to retryMaxMs (default 30 s),
   * plus a random part of up to as much again (client-go's jitter) so that clients cut off
   * together do not come back together.
   */
  retryMinMs?: number;
  retryMaxMs?: number;
  log?: ReflectorLog;
}

/** A watch that ends sooner than this with no event counts as a failure, so it backs off. */
const MIN_HEALTHY_WATCH_MS = 1000;

export class Reflector<R> {
  private resourceVersion: string | undefined;
  private readonly stopper = new AbortController();
  private running = false;
  private synced = false;
  private handle: WatchHandle | undefined;
  private readonly syncWaiters: { resolve: () => void; reject: (err: Error) => void }[] = [];
  private readonly settleWaiters: (() => void)[] = [];
  private readonly pageSize: number;
  private readonly retryMinMs: number;
  private readonly retryMaxMs: number;
  private failure: unknown;

  constructor(
    private readonly source: ListWatchSource,
    /** A list item or watch object as a record; undefined skips it. */
    private readonly convert: (object: unknown) => R | undefined,
    private readonly handler: ReflectorHandler<R>,
    private readonly opts: ReflectorOptions = {},
  ) {
    this.pageSize = opts.pageSize ?? 500;
    this.retryMinMs = opts.retryMinMs ?? 500;
    this.retryMaxMs = opts.retryMaxMs ?? 30_000;
  }

  get name(): string {
    return this.source.name;
  }

  /** The most recent failure, cleared by the next successful list or watch event. */
  get lastError(): unknown {
    return this.failure;
  }

  get isSynced(): boolean {
    return this.synced;
  }

  start(): void {
    if (this.running || this.stopped) return;
    this.running = true;
    void this.run();
  }

  /** Resolves once the first LIST has been handed over; rejects if stopped, or `signal` aborts, first. */
  whenSynced(signal?: AbortSignal): Promise<void> {
    if (this.synced) return Promise.resolve();
    if (this.stopped) return Promise.reject(this.stoppedError());
    const gaveUp = (): Error => new Error(`${this.name}: gave up waiting for the first list`);
    if (signal?.aborted) return Promise.reject(gaveUp());
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        const i = this.syncWaiters.indexOf(waiter);
        if (i >= 0) this.syncWaiters.splice(i, 1);
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

  /**
   * Resolves once the first LIST has been handed over or an attempt has failed (lastError says
   * why), whichever comes first, or on stop: for a resource that is useful but not required.
   * It keeps retrying in the background after a failure.
   */
  whenSettled(): Promise<void> {
    if (this.synced || this.stopped || this.failure !== undefined) return Promise.resolve();
    return new Promise((resolve) => this.settleWaiters.push(resolve));
  }

  stop(): void {
    if (this.stopped) return;
    this.stopper.abort();
    for (const w of this.syncWaiters.splice(0)) w.reject(this.stoppedError());
    this.settle();
  }

  private get stopped(): boolean {
    return this.stopper.signal.aborted;
  }

  private stoppedError(): Error {
    return new Error(`${this.name}: stopped before the first list`);
  }

  private settle(): void {
    for (const w of this.settleWaiters.splice(0)) w();
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      try {
        if (this.resourceVersion === undefined) await this.relist();
        if (this.stopped) break;
        if (!(await this.watchOnce())) throw new Error(`watch of ${this.name} closed right after it opened`);
        this.opts.log?.debug?.({ resource: this.name, resourceVersion: this.resourceVersion }, 'watch closed; resuming');
        failures = 0;
      } catch (err) {
        if (this.stopped) break;
        if (isGone(err)) {
          this.opts.log?.info({ resource: this.name, resourceVersion: this.resourceVersion }, 'resource version too old; re-listing');
          this.resourceVersion = undefined;
          failures = 0;
          continue;
        }
        this.failure = err;
        this.settle();
        failures++;
        const base = Math.min(this.retryMaxMs, this.retryMinMs * 2 ** (failures - 1));
        const delayMs = Math.round(base * (1 + Math.random()));
        this.opts.log?.warn({ err, resource: this.name, retryInMs: delayMs }, 'list/watch failed; retrying');
        await sleep(delayMs, this.stopper.signal);
      }
    }
  }

  private async relist(): Promise<void> {
    const { records, resourceVersion } = await this.listAll(this.pageSize);
    if (this.stopped) return;
    this.handler.replace(records);
    this.resourceVersion = resourceVersion;
    this.failure = undefined;
    if (!this.synced) {
      this.synced = true;
      this.opts.log?.debug?.({ resource: this.name, objects: records.length }, 'first list done');
      for (const w of this.syncWaiters.splice(0)) w.resolve();
      this.settle();
    }
  }

  private async listAll(pageSize: number): Promise<{ records: R[]; resourceVersion: string }> {
    const records: R[] = [];
    let continueToken: string | undefined;
    let resourceVersion = '';
    do {
      let page: ListPage;
      try {
        page = await this.source.list(pageSize, continueToken, this.stopper.signal);
      } catch (err) {
        // The continue token expired between pages: fall back to one unpaginated LIST.
        if (continueToken !== undefined && isGone(err)) return this.listAll(0);
        throw err;
      }
      if (this.stopped) break;
      for (const item of page.items) {
        const r = this.convert(item);
        if (r !== undefined) records.push(r);
      }
      continueToken = page.continueToken;
      resourceVersion = page.resourceVersion;
    } while (continueToken);
    return { records, resourceVersion };
  }

  /**
   * Runs one watch to its end; resolves true when it was healthy (delivered events or lasted a
   * while), rejects with an ApiError on an ERROR event or a refused request.
   */
  private watchOnce(): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      const started = Date.now();
      let events = 0;
      let finished = false;
      const finish = (err: unknown): void => {
        if (finished) return;
        finished = true;
        this.stopper.signal.removeEventListener('abort', onStop);
        // Ended by a stop or an error: close the stream; an end the server chose needs nothing.
        if (err !== undefined || this.stopped) this.handle?.abort();
        this.handle = undefined;
        if (err === undefined || this.stopped) resolve(events > 0 || Date.now() - started >= MIN_HEALTHY_WATCH_MS);
        else reject(toApiError(err, this.name, 'WATCH'));
      };
      const onStop = (): void => finish(undefined);
      this.stopper.signal.addEventListener('abort', onStop, { once: true });
      const onEvent = (type: string, object: unknown): void => {
        if (finished) return;
        if (type === 'ERROR') return finish(object ?? new Error(`watch of ${this.name} sent an empty ERROR event`));
        events++;
        this.failure = undefined;
        if (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED') {
          const r = this.convert(object);
          if (r !== undefined) {
            if (type === 'DELETED') this.handler.remove(r);
            else this.handler.upsert(r);
          }
        }
        // Bookmarks carry only a resourceVersion: where to resume without any object changing.
        const rv = resourceVersionOf(object);
        if (rv) this.resourceVersion = rv;
      };
      this.source.watch(this.resourceVersion ?? '', onEvent, (err) => finish(err ?? undefined)).then((h) => {
        if (finished) h.abort();
        else this.handle = h;
      }, (err: unknown) => finish(err));
    });
  }
}

function resourceVersionOf(object: unknown): string | undefined {
  const metadata = typeof object === 'object' && object !== null ? (object as { metadata?: unknown }).metadata : undefined;
  const rv = typeof metadata === 'object' && metadata !== null ? (metadata as { resourceVersion?: unknown }).resourceVersion : undefined;
  return typeof rv === 'string' && rv !== '' ? rv : undefined;
}

/** Servers end a watch after timeoutSeconds; a random 5–10 min spreads reconnects, as client-go does. */
function watchTimeoutSeconds(): number {
  return 300 + Math.floor(Math.random() * 300);
}

/** The watch half of a source: a watch on a collection path (watch.ts), with bookmarks. */
export function watchCollection(kc: KubeConfig, path: string, labelSelector?: string): ListWatchSource['watch'] {
  return (resourceVersion, onEvent, onDone) =>
    openWatch(kc, path, { resourceVersion, timeoutSeconds: watchTimeoutSeconds(), ...(labelSelector ? { labelSelector } : {}) }, { onEvent, onDone });
}
