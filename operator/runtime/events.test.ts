import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubernetesObject } from '@kubernetes/client-node';
import { FakeClock } from '../../lib/clock.js';
import { ApiError } from '../../lib/kube/api-error.js';
import { KubeEventRecorder, type CoreEvent, type EventSink } from './events.js';

/** Keeps Events in memory the way the API server would. */
class MemorySink implements EventSink {
  readonly events = new Map<string, CoreEvent>();
  writes = 0;
  failNext?: Error;

  async create(event: CoreEvent): Promise<void> {
    this.writes++;
    this.throwIfFailing();
    this.events.set(`${event.metadata.namespace}/${event.metadata.name}`, structuredClone(event));
  }

  async bump(namespace: string, name: string, count: number, lastTimestamp: string): Promise<void> {
    this.writes++;
    this.throwIfFailing();
    const ev = this.events.get(`${namespace}/${name}`);
    if (!ev) throw new ApiError(404, 'NotFound', `Event ${namespace}/${name}`, `events "${name}" not found`);
    Object.assign(ev, { count, lastTimestamp });
  }

  all(): CoreEvent[] {
    return [...this.events.values()];
  }

  private throwIfFailing(): void {
    const err = this.failNext;
    this.failNext = undefined;
    if (err) throw err;
  }
}

const vizier: KubernetesObject = {
  apiVersion: 'loupe.dev/v1alpha1',
  kind: 'Vizier',
  metadata: { name: 'vz', namespace: 'pl', uid: 'uid-1', resourceVersion: '7' },
};

function setup(opts: { burstPerObject?: number; refillMsPerObject?: number } = {}) {
  const clock = new FakeClock(Date.parse('2024-05-01T10:00:00Z'));
  const sink = new MemorySink();
  const recorder = new KubeEventRecorder({ sink, clock, instance: 'op-1', ...opts });
  return { clock, sink, recorder };
}

describe('KubeEventRecorder', () => {
  it('creates a core/v1 Event about the object', async () => {
    const { sink, recorder } = setup();
    recorder.event(vizier, 'Warning', 'PEMOOMKilled', 'PEM pods were OOMKilled');
    await recorder.flush();
    const [ev] = sink.all();
    assert.equal(ev.metadata.namespace, 'pl');
    assert.match(ev.metadata.name, /^vz\.[0-9a-f]+$/);
    assert.deepEqual(ev.involvedObject, { apiVersion: 'loupe.dev/v1alpha1', kind: 'Vizier', namespace: 'pl', name: 'vz', uid: 'uid-1', resourceVersion: '7' });
    assert.equal(ev.type, 'Warning');
    assert.equal(ev.reason, 'PEMOOMKilled');
    assert.equal(ev.message, 'PEM pods were OOMKilled');
    assert.deepEqual(ev.source, { component: 'loupe-operator' });
    assert.equal(ev.reportingInstance, 'op-1');
    assert.equal(ev.count, 1);
    assert.equal(ev.firstTimestamp, '2024-05-01T10:00:00.000Z');
    assert.equal(ev.lastTimestamp, ev.firstTimestamp);
  });

  it('bumps the count of a repeated event instead of creating another', async () => {
    const { clock, sink, recorder } = setup();
    recorder.event(vizier, 'Normal', 'Deployed', 'all children applied');
    clock.advance(60_000);
    recorder.event(vizier, 'Normal', 'Deployed', 'all children applied');
    recorder.event(vizier, 'Normal', 'Deployed', 'all children applied');
    await recorder.flush();
    assert.equal(sink.events.size, 1);
    const [ev] = sink.all();
    assert.equal(ev.count, 3);
    assert.equal(ev.firstTimestamp, '2024-05-01T10:00:00.000Z');
    assert.equal(ev.lastTimestamp, '2024-05-01T10:01:00.000Z');
  });

  it('keeps events with a different reason, message, type or object apart', async () => {
    const { sink, recorder } = setup();
    recorder.event(vizier, 'Normal', 'Deployed', 'a');
    recorder.event(vizier, 'Normal', 'Deployed', 'b');
    recorder.event(vizier, 'Normal', 'Updated', 'a');
    recorder.event(vizier, 'Warning', 'Deployed', 'a');
    recorder.event({ ...vizier, metadata: { ...vizier.metadata, name: 'vz2', uid: 'uid-2' } }, 'Normal', 'Deployed', 'a');
    await recorder.flush();
    assert.equal(sink.events.size, 5);
    assert.ok(sink.all().every((e) => e.count === 1));
  });

  it('creates a new event when the one being counted has expired', async () => {
    const { sink, recorder } = setup();
    recorder.event(vizier, 'Normal', 'Deployed', 'a');
    await recorder.flush();
    sink.events.clear();
    recorder.event(vizier, 'Normal', 'Deployed', 'a');
    await recorder.flush();
    assert.equal(sink.events.size, 1);
    assert.equal(sink.all()[0].count, 1);
  });

  it('drops events beyond the per-object burst until the bucket refills', async () => {
    const { clock, sink, recorder } = setup({ burstPerObject: 2, refillMsPerObject: 10_000 });
    for (let i = 0; i < 5; i++) recorder.event(vizier, 'Normal', 'Step', `step ${i}`);
    await recorder.flush();
    assert.equal(sink.writes, 2);
    clock.advance(10_000);
    recorder.event(vizier, 'Normal', 'Step', 'step 5');
    recorder.event(vizier, 'Normal', 'Step', 'step 6');
    await recorder.flush();
    assert.deepEqual(sink.all().map((e) => e.message).sort(), ['step 0', 'step 1', 'step 5']);
  });

  it('never throws, and keeps recording after a failed write', async () => {
    const { sink, recorder } = setup();
    sink.failNext = new ApiError(403, 'Forbidden', 'Event pl/vz.1', 'events is forbidden');
    assert.doesNotThrow(() => recorder.event(vizier, 'Normal', 'Deployed', 'a'));
    assert.doesNotThrow(() => recorder.event({} as KubernetesObject, 'Normal', 'Deployed', 'a'));
    recorder.event(vizier, 'Normal', 'Deployed', 'b');
    await recorder.flush();
    assert.deepEqual(sink.all().map((e) => e.message), ['b']);
  });

  it('puts events about cluster-scoped objects in the default namespace', async () => {
    const { sink, recorder } = setup();
    recorder.event({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-1', uid: 'n1' } }, 'Warning', 'NoBTF', 'kernel has no BTF');
    await recorder.flush();
    assert.equal(sink.all()[0].metadata.namespace, 'default');
  });

  it('truncates messages the API server would reject', async () => {
    const { sink, recorder } = setup();
    recorder.event(vizier, 'Warning', 'Failed', 'x'.repeat(5000));
    await recorder.flush();
    assert.equal(sink.all()[0].message.length, 1024);
  });
});
