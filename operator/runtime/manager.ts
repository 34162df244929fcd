// The Manager runs controllers: a health/metrics server from the start and, while this
// instance leads (or always, without leader election), shared informers for every type the
// controllers declared, a work queue and N workers per controller.
//
// Leadership-loss policy (operator/README.md): losing the lease ends the term but not the
// process. The term's AbortSignal fires, so a reconcile in flight fails at its current or next
// request and the old term sends no more writes; its queue and caches are dropped;
// the manager waits for its reconciles to unwind (up to shutdownTimeoutMs) and campaigns again
// as a standby. Reconcilers are level-triggered and each term starts from fresh caches, so
// nothing carries over, and an API server blip costs a re-list instead of a restart.
import { setMaxListeners } from 'node:events';
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { HealthServer, type Readiness } from '../../lib/health-server.js';
import { KubeClient } from './client.js';
import { ControllerRunner, type ControllerRunnerDeps, type ReconcileOutcome } from './controller-runner.js';
import { KubeEventRecorder, KubeEventSink } from './events.js';
import { SharedInformerFactory } from './informer.js';
import { LeaderElector } from './leader.js';
import { createLogger } from '../../lib/logger.js';
import { RuntimeMetrics } from './metrics.js';
import type { RateLimiterOptions } from './ratelimit.js';
import { KubeTransport } from './rest.js';
import type { Controller } from './types.js';

export type { ReconcileOutcome };

export interface ManagerOptions {
  kc: KubeConfig;
  /** Lease holder identity. Default `<hostname>_<random>`. */
  identity?: string;
  leaderElection: {
    enabled: boolean;
    namespace: string;
    /** Default 'loupe-operator'. */
    leaseName?: string;
    leaseDurationMs?: number;
    renewDeadlineMs?: number;
    retryPeriodMs?: number;
  };
  /** Workers per controller. Default 4. */
  workers?: number;
  /** Informer resync period; 0 disables. Default 10 min. */
  resyncMs?: number;
  /** Health/metrics server address. Default 127.0.0.1:8081; port 0 picks a free one. */
  healthAddr?: { host: string; port: number };
  log?: Logger;
  now?: () => Date;
  /** How long stop() and a lost lease wait for reconciles in flight to unwind after the abort. Default 30 s. */
  shutdownTimeoutMs?: number;
  rateLimiter?: RateLimiterOptions;
}

type State = 'new' | 'running' | 'stopping' | 'stopped';

export class Manager {
  readonly identity: string;
  private readonly controllers: Controller[] = [];
  private readonly log: Logger;
  private readonly transport: KubeTransport;
  private readonly runtimeMetrics = new RuntimeMetrics();
  private readonly client: KubeClient;
  private readonly events: KubeEventRecorder;
  private readonly health: HealthServer;
  private readonly elector?: LeaderElector;
  private readonly reconciledListeners = new Set<(outcome: ReconcileOutcome) => void>();
  private readonly leadershipListeners = new Set<(leading: boolean) => void>();
  private term?: Term;
  private state: State = 'new';
  private stopping?: Promise<void>;

  constructor(private readonly opts: ManagerOptions) {
    this.identity = opts.identity ?? `${hostname()}_${randomUUID().slice(0, 8)}`;
    this.log = opts.log ?? createLogger('operator');
    this.transport = new KubeTransport(opts.kc);
    const countWrite = this.runtimeMetrics.countWrite;
    this.client = new KubeClient(this.transport, { countWrite });
    this.events = new KubeEventRecorder({ sink: new KubeEventSink(this.transport, countWrite), instance: this.identity, log: this.log });
    this.health = new HealthServer({
      host: opts.healthAddr?.host ?? '127.0.0.1',
      port: opts.healthAddr?.port ?? 8081,
      registry: this.runtimeMetrics.registry,
      readiness: () => this.readiness(),
      log: this.log,
    });
    const le = opts.leaderElection;
    if (le.enabled) {
      this.elector = new LeaderElector(this.transport, {
        namespace: le.namespace,
        name: le.leaseName ?? 'loupe-operator',
        identity: this.identity,
        leaseDurationMs: le.leaseDurationMs,
        renewDeadlineMs: le.renewDeadlineMs,
        retryPeriodMs: le.retryPeriodMs,
        log: this.log,
        onStartedLeading: () => this.beginTerm(),
        onStoppedLeading: () => this.endTerm(),
      });
    }
  }

  register(controller: Controller): void {
    if (this.state !== 'new') throw new Error(`register controller ${controller.name} before start()`);
    if (this.controllers.some((c) => c.name === controller.name)) throw new Error(`a controller named ${controller.name} is already registered`);
    this.controllers.push(controller);
    for (const type of [controller.for, ...controller.owns, ...(controller.watches ?? []).map((w) => w.type)]) {
      this.client.discovery.remember(type);
    }
  }

  /** Serves health and metrics at once, then campaigns for the lease (or runs the controllers). */
  async start(): Promise<void> {
    if (this.state !== 'new') throw new Error('a Manager starts once');
    this.state = 'running';
    await this.health.start();
    if (this.elector) this.elector.start();
    else this.beginTerm();
  }

  /**
   * Graceful stop: aborts the term (reconciles in flight end at their next request), stops
   * handing out work, waits for them (up to shutdownTimeoutMs), stops the informers, releases
   * the lease, closes the server.
   */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.state = 'stopping';
      if (this.elector) await this.elector.stop();
      else await this.endTerm();
      await Promise.race([this.events.flush(), new Promise((r) => setTimeout(r, 5000).unref())]);
      this.transport.close();
      await this.health.close();
      this.state = 'stopped';
      this.log.info('manager stopped');
    })();
    return this.stopping;
  }

  get healthPort(): number {
    return this.health.port;
  }

  get metrics(): Registry {
    return this.runtimeMetrics.registry;
  }

  /** True while this instance runs the controllers. */
  get isLeader(): boolean {
    return this.term !== undefined;
  }

  /** Calls `listener` after every reconcile; returns an unsubscribe function. */
  onReconciled(listener: (outcome: ReconcileOutcome) => void): () => void {
    this.reconciledListeners.add(listener);
    return () => this.reconciledListeners.delete(listener);
  }

  /** Calls `listener(true)` when this instance starts running the controllers, `false` when it stops. */
  onLeadershipChange(listener: (leading: boolean) => void): () => void {
    this.leadershipListeners.add(listener);
    return () => this.leadershipListeners.delete(listener);
  }

  private readiness(): Readiness {
    if (this.state !== 'running') return { ready: false, detail: this.state === 'new' ? 'starting' : 'shutting down' };
    if (this.elector && !this.term) return { ready: true, detail: 'standby' };
    return this.term?.synced ? { ready: true, detail: 'caches synced' } : { ready: false, detail: 'waiting for caches to sync' };
  }

  private beginTerm(): void {
    const runnerDeps: TermRunnerDeps = {
      events: this.events,
      metrics: this.runtimeMetrics,
      log: this.log,
      now: this.opts.now ?? (() => new Date()),
      workers: this.opts.workers ?? 4,
      rateLimiter: this.opts.rateLimiter,
      onReconciled: (outcome) => this.notify(this.reconciledListeners, outcome),
    };
    this.term = new Term(this.transport, this.client, this.controllers, runnerDeps, {
      resyncMs: this.opts.resyncMs,
      log: this.log,
      shutdownTimeoutMs: this.opts.shutdownTimeoutMs ?? 30_000,
    });
    this.term.start();
    this.runtimeMetrics.leader.set(1);
    this.notify(this.leadershipListeners, true);
  }

  private async endTerm(): Promise<void> {
    const term = this.term;
    if (!term) return;
    this.term = undefined;
    this.runtimeMetrics.leader.set(0);
    await term.stop();
    this.notify(this.leadershipListeners, false);
  }

  private notify<T>(listeners: Set<(v: T) => void>, value: T): void {
    for (const l of listeners) {
      try {
        l(value);
      } catch (err) {
        this.log.error({ err }, 'manager listener threw');
      }
    }
  }
}

type TermRunnerDeps = Omit<ControllerRunnerDeps, 'factory' | 'client' | 'signal'>;

/**
 * The informers, queues and workers of one leadership term (or of the whole run without
 * election), and the AbortSignal that ends them: every reconcile gets it, and the client they
 * write through carries it on every request.
 */
class Term {
  private readonly factory: SharedInformerFactory;
  private readonly runners: ControllerRunner[];
  private readonly aborter = new AbortController();
  private started?: Promise<void>;
  synced = false;

  constructor(
    transport: KubeTransport,
    client: KubeClient,
    controllers: Controller[],
    runnerDeps: TermRunnerDeps,
    private readonly opts: { resyncMs?: number; log: Logger; shutdownTimeoutMs: number },
  ) {
    this.factory = new SharedInformerFactory(transport, { resyncMs: opts.resyncMs, log: opts.log });
    const signal = this.aborter.signal;
    // Every request in flight listens on it (Node removes the listener when the request ends), so
    // workers x controllers can pass the default of 10 without a leak.
    setMaxListeners(0, signal);
    const termClient = client.withSignal(signal);
    this.runners = controllers.map((c) => new ControllerRunner(c, { ...runnerDeps, factory: this.factory, client: termClient, signal }));
  }

  /** Starts the informers and, once every cache has synced, the workers. */
  start(): void {
    this.started = (async () => {
      this.factory.start();
      try {
        await this.factory.waitForSync(this.aborter.signal);
      } catch (err) {
        if (!this.aborter.signal.aborted) this.opts.log.error({ err }, 'caches did not sync');
        return;
      }
      this.synced = true;
      this.opts.log.info('caches synced; starting workers');
      for (const r of this.runners) r.startWorkers();
    })();
  }

  /** Aborts the term's signal, then waits (up to shutdownTimeoutMs) for its reconciles to unwind. */
  async stop(): Promise<void> {
    this.aborter.abort();
    await this.started;
    this.synced = false;
    await Promise.all(this.runners.map((r) => r.stop(this.opts.shutdownTimeoutMs)));
    this.factory.stop();
  }
}
