// The operator's Prometheus metrics, one registry per Manager so that two managers in one
// process (leader election tests) do not share counters.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { WriteCounter } from './client.js';
import type { WorkQueueMetrics } from './workqueue.js';

export class RuntimeMetrics {
  readonly registry = new Registry();
  readonly reconcileTotal: Counter<'controller' | 'result'>;
  readonly reconcileDuration: Histogram<'controller'>;
  readonly reconcileErrors: Counter<'controller'>;
  readonly workqueueDepth: Gauge<'controller'>;
  readonly workqueueAdds: Counter<'controller'>;
  readonly workqueueRetries: Counter<'controller'>;
  readonly leader: Gauge;
  readonly apiWrites: Counter<'verb' | 'kind'>;

  constructor() {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.reconcileTotal = new Counter({
      name: 'loupe_reconcile_total',
      help: 'Reconciles by controller and result (success, error, requeue_after, aborted).',
      labelNames: ['controller', 'result'],
      registers,
    });
    this.reconcileDuration = new Histogram({
      name: 'loupe_reconcile_duration_seconds',
      help: 'Time spent in one reconcile.',
      labelNames: ['controller'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.reconcileErrors = new Counter({
      name: 'loupe_reconcile_errors_total',
      help: 'Reconciles that threw.',
      labelNames: ['controller'],
      registers,
    });
    this.workqueueDepth = new Gauge({
      name: 'loupe_workqueue_depth',
      help: 'Keys waiting in the work queue.',
      labelNames: ['controller'],
      registers,
    });
    this.workqueueAdds = new Counter({
      name: 'loupe_workqueue_adds_total',
      help: 'Keys added to the work queue (duplicates of queued keys excluded).',
      labelNames: ['controller'],
      registers,
    });
    this.workqueueRetries = new Counter({
      name: 'loupe_workqueue_retries_total',
      help: 'Rate-limited re-adds after failed reconciles.',
      labelNames: ['controller'],
      registers,
    });
    this.leader = new Gauge({
      name: 'loupe_leader',
      help: '1 while this instance holds the leader lease (or runs without leader election), else 0.',
      registers,
    });
    this.apiWrites = new Counter({
      name: 'loupe_api_writes_total',
      help: 'Write requests to the API server made for reconcilers (applies, patches, deletes, Events); lease renewals are not counted.',
      labelNames: ['verb', 'kind'],
      registers,
    });
  }

  readonly countWrite: WriteCounter = (verb, kind) => this.apiWrites.inc({ verb, kind });

  workQueueMetrics(controller: string): WorkQueueMetrics {
    return {
      depth: (n) => this.workqueueDepth.set({ controller }, n),
      added: () => this.workqueueAdds.inc({ controller }),
      retried: () => this.workqueueRetries.inc({ controller }),
    };
  }
}
