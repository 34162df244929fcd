// An in-memory stand-in for the API server and the informer caches, for unit tests of
// reconcile steps: listers read what the client wrote, every write is logged, and Events are
// kept. (The e2e tests run the same reconcilers against a real API server.)
import pino from 'pino';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { ApplyClient, EventType, Lister, ObjectKey, ReconcileContext, ResourceType } from '../../operator/runtime/types.js';
import { mergePatch } from './patches.js';

export interface RecordedEvent {
  type: EventType;
  reason: string;
  message: string;
}

export class MemoryCluster {
  readonly objects = new Map<string, KubernetesObject>();
  /** "apply Kind/name", "status name", "metadata name", "delete Kind/name", in order. */
  writes: string[] = [];
  events: RecordedEvent[] = [];
  /** Writes that fail once with this error instead of happening, by write ("apply Kind/name"). */
  readonly failures = new Map<string, Error>();
  now = new Date('2026-11-22T10:00:00Z');
  readonly aborter = new AbortController();
  private id = (t: { kind: string }, ns: string, name: string) => `${t.kind}/${ns}/${name}`;

  put(o: KubernetesObject): void {
    this.objects.set(this.id({ kind: o.kind! }, o.metadata?.namespace ?? '', o.metadata!.name!), structuredClone(o));
  }
  find(kind: string, ns: string, name: string): KubernetesObject | undefined {
    return this.objects.get(this.id({ kind }, ns, name));
  }
  lister(t: ResourceType): Lister {
    const all = () => [...this.objects.values()].filter((o) => o.kind === t.kind);
    return {
      get: (ns, name) => this.find(t.kind, ns, name),
      list: (ns, sel) => all().filter((o) => (!ns || o.metadata?.namespace === ns) && Object.entries(sel ?? {}).every(([k, v]) => o.metadata?.labels?.[k] === v)),
    };
  }
  private write(what: string): void {
    const failure = this.failures.get(what);
    if (failure) {
      this.failures.delete(what);
      throw failure;
    }
    this.writes.push(what);
  }
  client(): ApplyClient {
    const key = (t: ResourceType, k: ObjectKey) => this.id(t, k.namespace, k.name);
    return {
      apply: async <T extends KubernetesObject>(obj: T) => {
        this.write(`apply ${obj.kind}/${obj.metadata!.name}`);
        const prev = this.find(obj.kind!, obj.metadata?.namespace ?? '', obj.metadata!.name!);
        this.put({ ...obj, metadata: { ...obj.metadata, uid: prev?.metadata?.uid ?? `uid-${obj.metadata!.name}` } });
        return obj;
      },
      patchStatus: async (t, k, status) => {
        this.write(`status ${k.name}`);
        const o = this.objects.get(key(t, k)) as KubernetesObject & { status?: unknown };
        this.objects.set(key(t, k), { ...o, status: mergePatch(o.status ?? {}, status) } as KubernetesObject);
      },
      patchMetadata: async (t, k, metadata) => {
        this.write(`metadata ${k.name}`);
        const o = this.objects.get(key(t, k))!;
        const rest = { ...metadata };
        delete rest['resourceVersion'];
        this.objects.set(key(t, k), { ...o, metadata: { ...o.metadata, ...rest } });
      },
      delete: async (t, k) => {
        this.write(`delete ${t.kind}/${k.name}`);
        this.objects.delete(key(t, k));
      },
      get: async <T extends KubernetesObject>(t: ResourceType, k: ObjectKey) => this.objects.get(key(t, k)) as T | undefined,
    };
  }
  ctx(): ReconcileContext {
    return {
      log: pino({ level: 'silent' }),
      client: this.client(),
      events: { event: (_regarding, type, reason, message) => void this.events.push({ type, reason, message }) },
      lister: <T extends KubernetesObject>(t: ResourceType) => this.lister(t) as Lister<T>,
      now: () => this.now,
      signal: this.aborter.signal,
    };
  }
  /** Plays the workload controllers: every workload fully ready at what its spec says. */
  settle(): void {
    for (const o of this.objects.values()) {
      const w = o as KubernetesObject & { spec?: { replicas?: number }; status?: Record<string, unknown> };
      if (o.kind === 'Deployment') w.status = { observedGeneration: 0, replicas: w.spec?.replicas ?? 1, readyReplicas: w.spec?.replicas ?? 1, updatedReplicas: w.spec?.replicas ?? 1 };
      if (o.kind === 'StatefulSet') w.status = { observedGeneration: 0, readyReplicas: w.spec?.replicas ?? 1 };
      if (o.kind === 'DaemonSet') w.status = { observedGeneration: 0, desiredNumberScheduled: 2, numberReady: 2, updatedNumberScheduled: 2 };
    }
  }
}
