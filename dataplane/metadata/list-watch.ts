// Keeps a handler up to date with one Kubernetes resource: a paginated LIST, then a WATCH from
// the list's resourceVersion (with bookmarks). A watch that ends resumes from the last version
// seen; "410 Gone" (the version was compacted away) lists again and hands over the full set.
// Objects are converted as they arrive and never kept here: the handler stores only what it
// needs. Errors back off exponentially and are kept for whoever waits on the first sync.
import type { Logger } from 'pino';

export interface ListPage {
  readonly items: readonly unknown[];
  readonly resourceVersion: string;
  /** Set when more pages follow. */
  readonly continueToken?: string;
}

export interface WatchHandle {
  abort(): void;
}

/** Where a ListWatch gets its data: the API server in production, a fake in unit tests. */
export interface ListWatchSource {
  /** For logs and errors, e.g. "pods". */
  readonly name: string;
  list(pageSize: number, continueToken?: string): Promise<ListPage>;
  /** Calls onEvent per watch event ("ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR") and onDone once when the stream ends. */
  watch(resourceVersion: string, onEvent: (type: string, object: unknown) => void, onDone: (err: unknown) => void): Promise<WatchHandle>;
}

export interface ListWatchHandler<R> {
  /** Every object after a LIST: anything not in it is gone. */
  replace(records: R[]): void;
  upsert(record: R): void;
  remove(uid: string): void;
}

export interface ListWatchOptions {
  /** LIST page size (default 500). */
  pageSize?: number;
  /** First retry delay after an error (default 500 ms); doubles up to retryMaxMs (default 30 s). */
  retryMinMs?: number;
  retryMaxMs?: number;
  log?: Logger;
}

/** A watch that ends sooner than this with no event counts as a failure, so it backs off. */
const MIN_HEALTHY_WATCH_MS = 1000;

function record(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {};
}

/** True for a 410 Gone, from an HTTP status or from a Status object in the watch stream. */
export function isGone(err: unknown): boolean {
  const e = record(err);
  return e.statusCode === 410 || e.code === 410;
}

export class ListWatch<R> {
  private resourceVersion = '';
  private stopped = false;
  private running = false;
  private synced = false;
  private handle: WatchHandle | undefined;
  private wake: (() => void) | undefined;
  private readonly syncWaiters: { resolve: () => void; reject: (err: Error) => void }[] = [];
  private readonly settleWaiters: (() => void)[] = [];
  private readonly pageSize: number;
  private readonly retryMinMs: number;
  private readonly retryMaxMs: number;
  private failure: unknown;

  constructor(
    private readonly source: ListWatchSource,
    private readonly convert: (object: unknown) => R | undefined,
    private readonly handler: ListWatchHandler<R>,
    private readonly opts: ListWatchOptions = {},
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

  /** Resolves once the first LIST has been handed over; rejects if stopped before. */
  whenSynced(): Promise<void> {
    if (this.synced) return Promise.resolve();
    if (this.stopped) return Promise.reject(new Error(`${this.name}: stopped before the first list`));
    return new Promise((resolve, reject) => this.syncWaiters.push({ resolve, reject }));
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
    this.stopped = true;
    this.handle?.abort();
    this.wake?.();
    for (const w of this.syncWaiters.splice(0)) w.reject(new Error(`${this.name}: stopped before the first list`));
    this.settle();
  }

  private settle(): void {
    for (const w of this.settleWaiters.splice(0)) w();
  }

  private async run(): Promise<void> {
    let delay = this.retryMinMs;
    while (!this.stopped) {
      let healthy = false;
      try {
        if (this.resourceVersion === '') await this.relist();
        if (this.stopped) break;
        healthy = await this.watchOnce();
      } catch (err) {
        if (this.stopped) break;
        if (isGone(err)) {
          this.resourceVersion = '';
          healthy = true;
        } else {
          this.failure = err;
          this.settle();
          this.opts.log?.warn({ err, resource: this.name, retryMs: delay }, 'list/watch failed; retrying');
        }
      }
      if (healthy) {
        delay = this.retryMinMs;
      } else {
        await this.sleep(delay);
        delay = Math.min(delay * 2, this.retryMaxMs);
      }
    }
  }

  private async relist(): Promise<void> {
    const records: R[] = [];
    let continueToken: string | undefined;
    let resourceVersion = '';
    do {
      const page = await this.source.list(this.pageSize, continueToken);
      if (this.stopped) return;
      for (const item of page.items) {
        const r = this.convert(item);
        if (r !== undefined) records.push(r);
      }
      continueToken = page.continueToken;
      resourceVersion = page.resourceVersion;
    } while (continueToken);
    this.handler.replace(records);
    this.resourceVersion = resourceVersion;
    this.failure = undefined;
    if (!this.synced) {
      this.synced = true;
      for (const w of this.syncWaiters.splice(0)) w.resolve();
      this.settle();
    }
  }

  /** Runs one watch to its end; true when it was healthy (delivered events or lasted a while). */
  private watchOnce(): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      const started = Date.now();
      let events = 0;
      let gone = false;
      const onEvent = (type: string, object: unknown): void => {
        if (this.stopped) return;
        if (type === 'ERROR') {
          if (isGone(object)) gone = true;
          else this.failure = object;
          return;
        }
        events++;
        this.failure = undefined;
        if (type === 'ADDED' || type === 'MODIFIED') {
          const r = this.convert(object);
          if (r !== undefined) this.handler.upsert(r);
        } else if (type === 'DELETED') {
          const uid = record(record(object).metadata).uid;
          if (typeof uid === 'string') this.handler.remove(uid);
        }
        const rv = record(record(object).metadata).resourceVersion;
        if (typeof rv === 'string' && rv !== '') this.resourceVersion = rv;
      };
      const onDone = (err: unknown): void => {
        this.handle = undefined;
        if (gone) {
          this.resourceVersion = '';
          resolve(true);
        } else if (err) {
          reject(err);
        } else {
          resolve(events > 0 || Date.now() - started >= MIN_HEALTHY_WATCH_MS);
        }
      };
      this.source.watch(this.resourceVersion, onEvent, onDone).then((h) => {
        if (this.stopped) h.abort();
        else this.handle = h;
      }, reject);
    });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }
}
