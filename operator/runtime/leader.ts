// Leader election on a coordination.k8s.io/v1 Lease, after client-go's leaderelection:
// a candidate takes the lease when its holder has not renewed it for the lease's duration (timed
// on the candidate's own clock from when it last saw the record change, so clock skew
// between nodes does not matter); the leader renews every retryPeriod and gives up when it
// could not renew within renewDeadline; updates carry the resourceVersion read, so two
// candidates cannot both win. A graceful stop empties holderIdentity so a standby takes
// over at its next try instead of after leaseDuration. The lease namespace must exist: a
// least-privilege operator does not create namespaces, so a missing one is reported, and
// retried, until someone creates it.
import type { Logger } from 'pino';
import { microTime, sleep } from '../../lib/clock.js';
import { isConflict, isNotFound } from '../../lib/kube/api-error.js';
import { describeObject, objectPath, resourcePath } from './paths.js';
import type { KubeTransport } from './rest.js';
import { LEASES } from './resources.js';

export interface LeaderElectionOptions {
  namespace: string;
  /** Lease name. */
  name: string;
  identity: string;
  /** How long a lease stays valid without renewal. Default 15 s. */
  leaseDurationMs?: number;
  /** The leader gives up when it could not renew for this long. Default 10 s. */
  renewDeadlineMs?: number;
  /** Time between tries to acquire or renew. Default 2 s. */
  retryPeriodMs?: number;
  log?: Logger;
  /** Called on becoming leader; `signal` aborts when leadership ends. */
  onStartedLeading(signal: AbortSignal): void;
  /** Called when leadership ends (lost or stopping); the lease is released after it resolves. */
  onStoppedLeading(): void | Promise<void>;
}

interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

interface Lease {
  apiVersion: 'coordination.k8s.io/v1';
  kind: 'Lease';
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec?: LeaseSpec;
}

export interface LeaderTimings {
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

export const DEFAULT_LEADER_TIMINGS: LeaderTimings = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 };

/**
 * client-go's rules: the lease outlives the renew deadline, and the renew deadline outlives a
 * retry period stretched by its jitter (1.2×), or a leader could lose its lease between two
 * tries. Says which rule `t` breaks, naming each setting through `name`; undefined when none.
 */
export function leaderTimingProblem(t: LeaderTimings, name: (setting: keyof LeaderTimings) => string): string | undefined {
  if (t.leaseDurationMs <= t.renewDeadlineMs) return `${name('leaseDurationMs')} must be longer than ${name('renewDeadlineMs')}`;
  if (t.renewDeadlineMs <= t.retryPeriodMs * 1.2) return `${name('renewDeadlineMs')} must be longer than 1.2 × ${name('retryPeriodMs')} (retries are jittered by up to 20%)`;
  return undefined;
}

export class LeaseNamespaceMissingError extends Error {
  override readonly name = 'LeaseNamespaceMissingError';

  constructor(
    readonly namespace: string,
    options?: ErrorOptions,
  ) {
    super(
      `the leader election namespace "${namespace}" does not exist, so the Lease cannot be created there: ` +
        `create it (kubectl create namespace ${namespace}) or give the operator an existing one with --lease-namespace; ` +
        'the operator does not create namespaces',
      options,
    );
  }
}

export class LeaderElector {
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly stopper = new AbortController();
  private running?: Promise<void>;
  /** The lease as last read or written, and when (local clock) its record last changed. */
  private observed?: Lease;
  private observedAt = 0;
  private lastSeenHolder?: string;
  private readonly key: { namespace: string; name: string };

  constructor(
    private readonly transport: KubeTransport,
    private readonly opts: LeaderElectionOptions,
  ) {
    const timings: LeaderTimings = {
      leaseDurationMs: opts.leaseDurationMs ?? DEFAULT_LEADER_TIMINGS.leaseDurationMs,
      renewDeadlineMs: opts.renewDeadlineMs ?? DEFAULT_LEADER_TIMINGS.renewDeadlineMs,
      retryPeriodMs: opts.retryPeriodMs ?? DEFAULT_LEADER_TIMINGS.retryPeriodMs,
    };
    const problem = leaderTimingProblem(timings, (setting) => `${setting.replace(/Ms$/, '')} (${timings[setting]} ms)`);
    if (problem) throw new Error(`leader election: ${problem}`);
    this.leaseDurationMs = timings.leaseDurationMs;
    this.renewDeadlineMs = timings.renewDeadlineMs;
    this.retryPeriodMs = timings.retryPeriodMs;
    this.key = { namespace: opts.namespace, name: opts.name };
  }

  /** Campaigns until stopped: acquire, lead, and campaign again if leadership is lost. */
  start(): void {
    this.running ??= this.run();
  }

  /** Stops campaigning; a leader stops leading (awaiting onStoppedLeading) and releases the lease. */
  async stop(): Promise<void> {
    this.stopper.abort();
    await this.running;
  }

  private get stopped(): boolean {
    return this.stopper.signal.aborted;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      if (!(await this.acquire())) break;
      const term = new AbortController();
      this.opts.log?.info({ lease: this.leaseName() }, 'became leader');
      this.opts.onStartedLeading(term.signal);
      const lost = await this.renewUntilLost();
      term.abort();
      if (lost) this.opts.log?.warn({ lease: this.leaseName() }, `could not renew the lease within ${this.renewDeadlineMs} ms; stopped leading`);
      try {
        await this.opts.onStoppedLeading();
      } catch (err) {
        this.opts.log?.error({ err }, 'onStoppedLeading failed');
      }
      if (!lost) await this.release();
    }
  }

  /** Tries every retryPeriod until the lease is ours; false when stopped first. */
  private async acquire(): Promise<boolean> {
    while (!this.stopped) {
      if (await this.tryAcquireOrRenew(this.renewDeadlineMs)) return true;
      await sleep(this.retryPeriodMs * (1 + Math.random() * 0.2), this.stopper.signal);
    }
    return false;
  }

  /** Renews every retryPeriod; true when leadership was lost, false when stopped. */
  private async renewUntilLost(): Promise<boolean> {
    for (;;) {
      await sleep(this.retryPeriodMs, this.stopper.signal);
      if (this.stopped) return false;
      const deadline = Date.now() + this.renewDeadlineMs;
      let renewed = false;
      while (!renewed && !this.stopped && Date.now() < deadline) {
        renewed = await this.tryAcquireOrRenew(deadline - Date.now());
        if (!renewed) await sleep(Math.min(this.retryPeriodMs, Math.max(0, deadline - Date.now())), this.stopper.signal);
      }
      if (this.stopped) return false;
      if (!renewed) return true;
    }
  }

  private async tryAcquireOrRenew(timeoutMs: number): Promise<boolean> {
    const signal = AbortSignal.timeout(Math.max(1, timeoutMs));
    const now = Date.now();
    try {
      const current = await this.readLease(signal);
      if (!current) {
        await this.write('POST', this.newRecord(undefined, now), signal);
        return true;
      }
      this.observe(current, now);
      const holder = current.spec?.holderIdentity ?? '';
      // The holder's own leaseDurationSeconds says how long its record stays valid, as in client-go.
      const validMs = (current.spec?.leaseDurationSeconds ?? this.leaseDurationMs / 1000) * 1000;
      if (holder && holder !== this.opts.identity && this.observedAt + validMs > now) return false;
      await this.write('PUT', this.newRecord(current, now), signal);
      return true;
    } catch (err) {
      if (err instanceof LeaseNamespaceMissingError) this.opts.log?.error({ lease: this.leaseName() }, err.message);
      else if (!isConflict(err)) this.opts.log?.warn({ err, lease: this.leaseName() }, 'could not acquire or renew the lease');
      return false;
    }
  }

  private newRecord(current: Lease | undefined, now: number): Lease {
    const spec = current?.spec ?? {};
    const wasHolder = spec.holderIdentity === this.opts.identity;
    return {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { ...this.key, resourceVersion: current?.metadata.resourceVersion },
      spec: {
        holderIdentity: this.opts.identity,
        leaseDurationSeconds: Math.ceil(this.leaseDurationMs / 1000),
        acquireTime: wasHolder && spec.acquireTime ? spec.acquireTime : microTime(now),
        renewTime: microTime(now),
        leaseTransitions: current ? (spec.leaseTransitions ?? 0) + (wasHolder ? 0 : 1) : 0,
      },
    };
  }

  /** Gives the lease up so a standby need not wait for it to expire. */
  private async release(): Promise<void> {
    const current = this.observed;
    if (!current || current.spec?.holderIdentity !== this.opts.identity) return;
    const now = microTime(Date.now());
    const released: Lease = {
      ...current,
      spec: { holderIdentity: '', leaseDurationSeconds: 1, acquireTime: now, renewTime: now, leaseTransitions: current.spec?.leaseTransitions ?? 0 },
    };
    try {
      await this.write('PUT', released, AbortSignal.timeout(this.renewDeadlineMs));
      this.opts.log?.info({ lease: this.leaseName() }, 'released the lease');
    } catch (err) {
      this.opts.log?.warn({ err, lease: this.leaseName() }, 'could not release the lease; a standby takes over when it expires');
    }
  }

  private async readLease(signal: AbortSignal): Promise<Lease | undefined> {
    try {
      return (await this.transport.request({ method: 'GET', path: objectPath(LEASES, this.key), object: this.leaseName(), signal })) as Lease;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  private async write(method: 'POST' | 'PUT', lease: Lease, signal: AbortSignal): Promise<void> {
    const path = method === 'POST' ? resourcePath(LEASES, this.key.namespace) : objectPath(LEASES, this.key);
    let written: Lease;
    try {
      written = (await this.transport.request({ method, path, body: lease, object: this.leaseName(), signal })) as Lease;
    } catch (err) {
      // Creating an object in a namespace that does not exist answers 404.
      if (method === 'POST' && isNotFound(err)) throw new LeaseNamespaceMissingError(this.key.namespace, { cause: err });
      throw err;
    }
    this.observe(written, Date.now());
  }

  private observe(lease: Lease, at: number): void {
    const record = JSON.stringify(lease.spec ?? {});
    if (!this.observed || record !== JSON.stringify(this.observed.spec ?? {})) this.observedAt = at;
    this.observed = lease;
    const holder = lease.spec?.holderIdentity ?? '';
    if (holder !== this.lastSeenHolder) {
      this.lastSeenHolder = holder;
      if (holder) this.opts.log?.info({ lease: this.leaseName(), holder }, 'lease holder changed');
    }
  }

  private leaseName(): string {
    return describeObject('Lease', this.key);
  }
}
