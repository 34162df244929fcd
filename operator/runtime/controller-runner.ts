// Runs one Controller: maps informer events to keys of its primary kind, feeds them through
// a work queue, and reconciles them with N workers.
import { randomBytes } from 'node:crypto';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Informer, InformerHandlers, SharedInformerFactory } from './informer.js';
import type { RuntimeMetrics } from './metrics.js';
import { ownerKeys } from './owners.js';
import { apiVersionOf } from './paths.js';
import type { RateLimiterOptions } from './ratelimit.js';
import { WorkQueue } from './workqueue.js';
import {
  keyFromString,
  keyToString,
  type ApplyClient,
  type Controller,
  type EventRecorder,
  type Lister,
  type ObjectKey,
  type ReconcileContext,
  type ResourceType,
} from './types.js';

/** `aborted`: the term ended (leadership lost or the manager stopping) while it ran; not retried by this term. */
export type ReconcileResultKind = 'success' | 'error' | 'requeue_after' | 'aborted';

export interface ReconcileOutcome {
  controller: string;
  /** "namespace/name" of the primary object. */
  key: string;
  result: ReconcileResultKind;
  error?: unknown;
  durationMs: number;
}

export interface ControllerRunnerDeps {
  factory: SharedInformerFactory;
  /** Its requests should carry `signal` (KubeClient.withSignal). */
  client: ApplyClient;
  events: EventRecorder;
  /** The term's signal, handed to every reconcile. */
  signal: AbortSignal;
  metrics: RuntimeMetrics;
  log: Logger;
  now: () => Date;
  workers: number;
  rateLimiter?: RateLimiterOptions;
  onReconciled: (outcome: ReconcileOutcome) => void;
}

const typeId = (t: ResourceType): string => `${apiVersionOf(t)}/${t.plural}`;

export class ControllerRunner {
  private readonly queue: WorkQueue;
  /** Backs ctx.lister: the first cache declared for a type, in the order for, owns, watches. */
  private readonly listers = new Map<string, Informer>();
  private readonly log: Logger;
  private workers: Promise<void>[] = [];

  constructor(
    private readonly controller: Controller,
    private readonly deps: ControllerRunnerDeps,
  ) {
    this.log = deps.log.child({ controller: controller.name });
    this.queue = new WorkQueue({ ...deps.rateLimiter, metrics: deps.metrics.workQueueMetrics(controller.name) });

    const primary = this.cache(controller.for);
    this.subscribe(primary, (obj) => [objectKeyOf(obj)]);
    for (const type of controller.owns) {
      const owned = this.cache(type, controller.ownedLabelSelector);
      this.subscribe(owned, (obj) => ownerKeys(obj, controller.for));
    }
    for (const watch of controller.watches ?? []) {
      const watched = this.cache(watch.type, watch.labelSelector);
      // `map` gets the primary kind's cache, to find the primaries that refer to `obj`.
      this.subscribe(watched, (obj) => watch.map(obj, primary));
    }
  }

  startWorkers(): void {
    for (let i = 0; i < this.deps.workers; i++) this.workers.push(this.work());
  }

  /** Stops taking keys and waits up to `timeoutMs` for reconciles in flight. */
  async stop(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), timeoutMs)));
    const drained = this.queue.shutDownWithDrain().then(() => false);
    if (await Promise.race([drained, timedOut])) {
      this.log.warn({ timeoutMs }, 'reconciles still running at shutdown; not waiting for them');
    } else {
      await Promise.all(this.workers);
    }
    clearTimeout(timer);
  }

  private cache(type: ResourceType, labelSelector?: string): Informer {
    const informer = this.deps.factory.informerFor(type, { labelSelector });
    if (!this.listers.has(typeId(type))) this.listers.set(typeId(type), informer);
    return informer;
  }

  private subscribe(informer: Informer, keysFor: (obj: KubernetesObject) => ObjectKey[]): void {
    const enqueue = (obj: KubernetesObject): void => {
      for (const key of keysFor(obj)) this.queue.add(keyToString(key));
    };
    const handlers: InformerHandlers<KubernetesObject> = {
      add: enqueue,
      update: (oldObj, newObj) => {
        enqueue(newObj);
        if (oldObj !== newObj) enqueue(oldObj);
      },
      delete: enqueue,
    };
    informer.addHandlers(handlers);
  }

  private lister<T extends KubernetesObject>(type: ResourceType): Lister<T> {
    const informer = this.listers.get(typeId(type));
    if (!informer) {
      throw new Error(`controller ${this.controller.name} has no cache of ${type.kind}: declare it in for, owns or watches`);
    }
    return informer as unknown as Lister<T>;
  }

  private async work(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      try {
        await this.reconcile(key);
      } finally {
        this.queue.done(key);
      }
    }
  }

  private async reconcile(key: string): Promise<void> {
    const name = this.controller.name;
    const log = this.log.child({ object: key, reconcileId: randomBytes(4).toString('hex') });
    const { signal, events } = this.deps;
    const ctx: ReconcileContext = {
      log,
      client: this.deps.client,
      events: {
        event: (...args) => {
          if (!signal.aborted) events.event(...args);
        },
      },
      lister: <T extends KubernetesObject>(type: ResourceType) => this.lister<T>(type),
      now: this.deps.now,
      signal,
    };
    const started = performance.now();
    let result: ReconcileResultKind = 'success';
    let error: unknown;
    try {
      const res = await this.controller.reconcile(keyFromString(key), ctx);
      this.queue.forget(key);
      if (res?.requeueAfterMs !== undefined && res.requeueAfterMs > 0) {
        result = 'requeue_after';
        this.queue.addAfter(key, res.requeueAfterMs);
      }
    } catch (err) {
      error = err;
      if (signal.aborted) {
        // Whatever failed, the term is over: the next leader reconciles this key from scratch.
        result = 'aborted';
        log.info({ err }, 'reconcile aborted: this instance stopped leading or is stopping');
      } else {
        result = 'error';
        log.error({ err, retries: this.queue.numRequeues(key) }, 'reconcile failed');
        this.deps.metrics.reconcileErrors.inc({ controller: name });
        this.queue.addRateLimited(key);
      }
    }
    const durationMs = performance.now() - started;
    this.deps.metrics.reconcileTotal.inc({ controller: name, result });
    this.deps.metrics.reconcileDuration.observe({ controller: name }, durationMs / 1000);
    log.debug({ result, durationMs: Math.round(durationMs) }, 'reconciled');
    this.deps.onReconciled({ controller: name, key, result, error, durationMs });
  }
}

function objectKeyOf(obj: KubernetesObject): ObjectKey {
  return { namespace: obj.metadata?.namespace ?? '', name: obj.metadata?.name ?? '' };
}
