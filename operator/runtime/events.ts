// Kubernetes Events about the objects the operator manages. Like client-go's correlator,
// repeats of the same (object, type, reason, message) bump the count of the Event already
// written instead of creating new ones, and a per-object token bucket keeps a flapping
// object from flooding the API server. Recording never throws; failures are logged.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { WriteCounter } from './client.js';
import { realClock, type Clock } from '../../lib/clock.js';
import { isNotFound } from '../../lib/kube/api-error.js';
import { describeObject, resourcePath } from './paths.js';
import { EVENTS } from './resources.js';
import { TokenBucket } from './ratelimit.js';
import type { KubeTransport } from './rest.js';
import type { EventRecorder, EventType } from './types.js';

export interface ObjectReference {
  apiVersion?: string;
  kind?: string;
  namespace?: string;
  name?: string;
  uid?: string;
  resourceVersion?: string;
}

/** A core/v1 Event as it goes over the wire. */
export interface CoreEvent {
  apiVersion: 'v1';
  kind: 'Event';
  metadata: { name: string; namespace: string };
  involvedObject: ObjectReference;
  reason: string;
  message: string;
  type: EventType;
  source: { component: string };
  reportingComponent: string;
  reportingInstance: string;
  count: number;
  firstTimestamp: string;
  lastTimestamp: string;
}

/** Where Events are written; the API server in production, memory in unit tests. */
export interface EventSink {
  create(event: CoreEvent): Promise<void>;
  /** Updates count and lastTimestamp of an Event created earlier; throws ApiError 404 if it expired. */
  bump(namespace: string, name: string, count: number, lastTimestamp: string): Promise<void>;
}

export class KubeEventSink implements EventSink {
  constructor(
    private readonly transport: KubeTransport,
    private readonly countWrite: WriteCounter = () => undefined,
  ) {}

  async create(event: CoreEvent): Promise<void> {
    this.countWrite('create', 'Event');
    await this.transport.request({ method: 'POST', path: resourcePath(EVENTS, event.metadata.namespace), body: event, object: `Event ${event.metadata.namespace}/${event.metadata.name}` });
  }

  async bump(namespace: string, name: string, count: number, lastTimestamp: string): Promise<void> {
    this.countWrite('patch', 'Event');
    await this.transport.request({
      method: 'PATCH',
      path: resourcePath(EVENTS, namespace, name),
      body: { count, lastTimestamp },
      contentType: 'application/merge-patch+json',
      object: `Event ${namespace}/${name}`,
    });
  }
}

export interface EventRecorderOptions {
  sink: EventSink;
  /** source.component and reportingComponent. Default 'loupe-operator'. */
  component?: string;
  /** reportingInstance, e.g. the manager identity. */
  instance?: string;
  log?: Logger;
  clock?: Clock;
  /** Events one object may produce at once. Default 25 (client-go's). */
  burstPerObject?: number;
  /** One more Event per object is allowed after this long. Default 5 min (client-go's). */
  refillMsPerObject?: number;
  /** How many distinct Events are remembered for aggregation. Default 4096. */
  cacheSize?: number;
}

/** The API server rejects longer notes. */
const MAX_MESSAGE_LENGTH = 1024;

interface Recorded {
  namespace: string;
  name: string;
  count: number;
}

export class KubeEventRecorder implements EventRecorder {
  private readonly recorded = new Map<string, Recorded>();
  private readonly buckets = new Map<string, TokenBucket>();
  private pending: Promise<void> = Promise.resolve();
  private seq = 0;
  private readonly clock: Clock;
  private readonly component: string;
  private readonly cacheSize: number;

  constructor(private readonly opts: EventRecorderOptions) {
    this.clock = opts.clock ?? realClock;
    this.component = opts.component ?? 'loupe-operator';
    this.cacheSize = opts.cacheSize ?? 4096;
  }

  event(regarding: KubernetesObject, type: EventType, reason: string, message: string): void {
    try {
      const ref = referenceTo(regarding);
      if (!ref.name) {
        this.opts.log?.warn({ reason }, 'cannot record an event about an object without metadata.name');
        return;
      }
      const objectId = [ref.kind, ref.namespace, ref.name, ref.uid].join('|');
      if (!this.allow(objectId)) {
        this.opts.log?.debug({ object: describeRef(ref), reason }, 'event dropped by the per-object rate limit');
        return;
      }
      const note = message.length > MAX_MESSAGE_LENGTH ? `${message.slice(0, MAX_MESSAGE_LENGTH - 3)}...` : message;
      const id = [objectId, type, reason, note].join('|');
      const at = this.clock.now();
      const write = (): Promise<void> => this.write(at, id, ref, type, reason, note);
      this.pending = this.pending.then(write).catch((err: unknown) => {
        this.opts.log?.warn({ err, object: describeRef(ref), reason }, 'could not record event');
      });
    } catch (err) {
      this.opts.log?.warn({ err, reason }, 'could not record event');
    }
  }

  /** Resolves once every Event recorded so far has been written (or has failed). */
  flush(): Promise<void> {
    return this.pending;
  }

  private async write(at: number, id: string, ref: ObjectReference, type: EventType, reason: string, message: string): Promise<void> {
    const now = new Date(at).toISOString();
    const seen = this.recorded.get(id);
    if (seen) {
      try {
        await this.opts.sink.bump(seen.namespace, seen.name, seen.count + 1, now);
        seen.count++;
        this.touch(id, seen);
        return;
      } catch (err) {
        // Events expire (1 h by default); start a new one.
        if (!isNotFound(err)) throw err;
        this.recorded.delete(id);
      }
    }
    const namespace = ref.namespace || 'default';
    const name = `${ref.name}.${(BigInt(at) * 1_000_000n + BigInt(this.seq++ % 1_000_000)).toString(16)}`;
    await this.opts.sink.create({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace },
      involvedObject: ref,
      reason,
      message,
      type,
      source: { component: this.component },
      reportingComponent: this.component,
      reportingInstance: this.opts.instance ?? '',
      count: 1,
      firstTimestamp: now,
      lastTimestamp: now,
    });
    this.touch(id, { namespace, name, count: 1 });
  }

  /** Marks `id` most recently used and forgets the least recently used beyond the cache size. */
  private touch(id: string, rec: Recorded): void {
    this.recorded.delete(id);
    this.recorded.set(id, rec);
    if (this.recorded.size > this.cacheSize) this.recorded.delete(this.recorded.keys().next().value as string);
  }

  private allow(objectId: string): boolean {
    let bucket = this.buckets.get(objectId);
    if (!bucket) {
      bucket = new TokenBucket(1000 / (this.opts.refillMsPerObject ?? 300_000), this.opts.burstPerObject ?? 25, this.clock);
      this.buckets.set(objectId, bucket);
      if (this.buckets.size > this.cacheSize) this.buckets.delete(this.buckets.keys().next().value as string);
    }
    return bucket.tryTake();
  }
}

function referenceTo(obj: KubernetesObject): ObjectReference {
  const m = obj.metadata ?? {};
  return { apiVersion: obj.apiVersion, kind: obj.kind, namespace: m.namespace, name: m.name, uid: m.uid, resourceVersion: m.resourceVersion };
}

function describeRef(ref: ObjectReference): string {
  return describeObject(ref.kind, { namespace: ref.namespace ?? '', name: ref.name ?? '' });
}
