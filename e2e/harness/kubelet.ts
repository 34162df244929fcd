// A fake kubelet (and scheduler) for the e2e control plane of kube.ts, which has neither:
// registers Nodes and keeps them alive, binds unbound pods to them, and writes pod status the
// way a real kubelet does, in a state chosen per pod by a policy. No container ever runs; IPs
// are strings in status and never receive traffic. With the `runner` option, pods whose images
// the runner can run (pod-runner.ts: Loupe's image, NATS) run for real and report what they do.
import { createHash } from 'node:crypto';
import {
  ApiException,
  CoordinationV1Api,
  CoreV1Api,
  PatchStrategy,
  V1MicroTime,
  Watch,
  setHeaderOptions,
  type KubeConfig,
  type V1Container,
  type V1Node,
  type V1NodeCondition,
  type V1NodeSelectorRequirement,
  type V1NodeSelectorTerm,
  type V1Pod,
  type V1Taint,
  type V1Toleration,
} from '@kubernetes/client-node';
import { microTime, sleep } from '../../lib/clock.js';
import { KUBE_VERSION } from './kube.js';
import type { ContainerState, PodRunner } from './pod-runner.js';

/**
 * What the fake kubelet reports for a pod.
 * - 'Running': phase Running, every container running and ready (the default).
 * - 'NotReady': phase Running, containers running but not ready (a failing readiness probe).
 * - 'Pending': bound, phase Pending, containers waiting in ContainerCreating.
 * - crashLoop: waiting CrashLoopBackOff, lastState.terminated reason Error (exitCode, default 1).
 * - oomKilled: waiting CrashLoopBackOff, lastState.terminated reason OOMKilled, exitCode 137.
 *   For both, `container` limits the crash to one container (default: every container).
 * - unschedulable: the pod is not bound; PodScheduled=False reason Unschedulable with the
 *   message, like the scheduler writes it. A pod that is already bound gets 'Pending' instead.
 */
export type PodState =
  | 'Running'
  | 'NotReady'
  | 'Pending'
  | { crashLoop: { restarts: number; exitCode?: number; container?: string } }
  | { oomKilled: { restarts: number; container?: string } }
  | { unschedulable: { message: string } };

export type PodPolicy = (pod: V1Pod) => PodState | undefined;

export interface AddNodeOptions {
  kernelVersion?: string;
  osImage?: string;
  memory?: string;
  cpu?: string;
  pods?: string;
  containerRuntimeVersion?: string;
  labels?: Record<string, string>;
  taints?: V1Taint[];
}

export interface FakeKubeletOptions {
  /** Lease renewal and Ready heartbeat period (default 10 s). */
  heartbeatIntervalMs?: number;
  /** Unexpected API errors (default: printed to stderr). */
  onError?: (err: Error) => void;
  /** Runs the pods it can run for real instead of writing their status by policy. */
  runner?: PodRunner;
}

export const KUBELET_VERSION = `v${KUBE_VERSION}`;
const NODE_LEASE_NS = 'kube-node-lease';
const MERGE_PATCH = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

interface NodeEntry {
  name: string;
  ip: string;
  node: V1Node;
  timer: NodeJS.Timeout;
  readySince: Date;
}

interface PodRecord {
  uid: string;
  key: string;
  startTime: string;
  podIP: string | undefined;
  conditions: Map<string, { status: string; time: string }>;
}

/** RFC 3339 with second precision, as Kubernetes writes metav1.Time. */
export function kubeTime(d = new Date()): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function hex(s: string, len = 64): string {
  return createHash('sha256').update(s).digest('hex').slice(0, len);
}

function statusCode(err: unknown): number | undefined {
  if (err instanceof ApiException) return err.code;
  return undefined;
}

function isUnschedulable(s: PodState): s is { unschedulable: { message: string } } {
  return typeof s === 'object' && 'unschedulable' in s;
}

/** Go's time.Duration formatting for the CrashLoopBackOff message ("10s", "2m40s", "5m0s"). */
function goDuration(seconds: number): string {
  const m = Math.floor(seconds / 60);
  const s = seconds % 60;
  return m > 0 ? `${m}m${s}s` : `${s}s`;
}

function tolerates(tolerations: V1Toleration[] | undefined, taint: V1Taint): boolean {
  return (tolerations ?? []).some((t) => {
    if (t.effect && t.effect !== taint.effect) return false;
    if (t.key && t.key !== taint.key) return false;
    if (!t.key && t.operator !== 'Exists') return false;
    if (t.operator === 'Exists') return true;
    return (t.value ?? '') === (taint.value ?? '');
  });
}

function matchRequirement(req: V1NodeSelectorRequirement, value: string | undefined): boolean {
  const values = req.values ?? [];
  switch (req.operator) {
    case 'In': return value !== undefined && values.includes(value);
    case 'NotIn': return value === undefined || !values.includes(value);
    case 'Exists': return value !== undefined;
    case 'DoesNotExist': return value === undefined;
    case 'Gt': return value !== undefined && Number(value) > Number(values[0]);
    case 'Lt': return value !== undefined && Number(value) < Number(values[0]);
    default: return false;
  }
}

function matchTerm(term: V1NodeSelectorTerm, node: V1Node): boolean {
  const labels = node.metadata?.labels ?? {};
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return false;
  return exprs.every((r) => matchRequirement(r, labels[r.key]))
    && fields.every((r) => r.key === 'metadata.name' && matchRequirement(r, node.metadata?.name));
}

function qosClass(pod: V1Pod): string {
  const containers = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];
  let any = false;
  let guaranteed = true;
  for (const c of containers) {
    const req = c.resources?.requests ?? {};
    const lim = c.resources?.limits ?? {};
    if (Object.keys(req).length || Object.keys(lim).length) any = true;
    for (const r of ['cpu', 'memory']) {
      if (lim[r] === undefined || (req[r] !== undefined && String(req[r]) !== String(lim[r]))) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

export class FakeKubelet {
  private readonly kc: KubeConfig;
  private readonly core: CoreV1Api;
  private readonly coord: CoordinationV1Api;
  private readonly heartbeatMs: number;
  private readonly onError: (err: Error) => void;
  private readonly runner: PodRunner | undefined;
  private readonly nodeEntries = new Map<string, NodeEntry>();
  private readonly pods = new Map<string, V1Pod>();
  private readonly records = new Map<string, PodRecord>();
  private readonly overrides = new Map<string, PodState>();
  private readonly dirty = new Set<string>();
  private readonly running = new Map<string, Promise<void>>();
  private readonly aborts = new Set<AbortController>();
  private readonly loops: Promise<void>[] = [];
  private policy: PodPolicy = () => undefined;
  private started = false;
  private stopped = false;
  private roundRobin = 0;
  private nextPodIp = 0;

  constructor(kc: KubeConfig, opts: FakeKubeletOptions = {}) {
    this.kc = kc;
    this.core = kc.makeApiClient(CoreV1Api);
    this.coord = kc.makeApiClient(CoordinationV1Api);
    this.heartbeatMs = opts.heartbeatIntervalMs ?? 10_000;
    this.onError = opts.onError ?? ((err) => console.error(`[fake-kubelet] ${err.message}`));
    this.runner = opts.runner;
  }

  /** Names of the nodes this kubelet serves. */
  get nodeNames(): string[] {
    return [...this.nodeEntries.keys()];
  }

  /** Registers a Ready node with a Lease and keeps both fresh until stop(). */
  async addNode(name: string, opts: AddNodeOptions = {}): Promise<V1Node> {
    if (this.nodeEntries.has(name)) throw new Error(`node ${name} is already served by this fake kubelet`);
    const ip = `127.0.0.${(this.nodeEntries.size % 250) + 2}`;
    const now = new Date();
    const resources = {
      cpu: opts.cpu ?? '4',
      memory: opts.memory ?? '16Gi',
      pods: opts.pods ?? '110',
      'ephemeral-storage': '100Gi',
      'hugepages-2Mi': '0',
    };
    const body: V1Node = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name,
        labels: {
          'kubernetes.io/hostname': name,
          'kubernetes.io/os': 'linux',
          'kubernetes.io/arch': 'amd64',
          'beta.kubernetes.io/os': 'linux',
          'beta.kubernetes.io/arch': 'amd64',
          ...opts.labels,
        },
        annotations: { 'node.alpha.kubernetes.io/ttl': '0', 'volumes.kubernetes.io/controller-managed-attach-detach': 'true' },
      },
      spec: { taints: opts.taints },
      status: {
        capacity: resources,
        allocatable: resources,
        addresses: [{ type: 'InternalIP', address: ip }, { type: 'Hostname', address: name }],
        daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
        nodeInfo: {
          machineID: hex(`machine-${name}`, 32),
          systemUUID: hex(`uuid-${name}`, 32),
          bootID: hex(`boot-${name}-${Date.now()}`, 32),
          kernelVersion: opts.kernelVersion ?? '6.1.0-loupe',
          osImage: opts.osImage ?? 'Debian GNU/Linux 12 (bookworm)',
          containerRuntimeVersion: opts.containerRuntimeVersion ?? 'containerd://1.6.20',
          kubeletVersion: KUBELET_VERSION,
          kubeProxyVersion: KUBELET_VERSION,
          operatingSystem: 'linux',
          architecture: 'amd64',
        },
        conditions: this.nodeConditions(now, now),
      },
    };
    let node: V1Node;
    try {
      node = await this.core.createNode({ body });
    } catch (err) {
      if (statusCode(err) !== 409) throw err;
      node = await this.core.patchNodeStatus({ name, body: { status: body.status } }, MERGE_PATCH);
    }
    await this.ensureLease(name, node.metadata?.uid);
    const entry: NodeEntry = { name, ip, node, readySince: now, timer: setInterval(() => void this.heartbeat(name), this.heartbeatMs) };
    entry.timer.unref();
    this.nodeEntries.set(name, entry);
    this.requeueUnbound();
    return node;
  }

  /** Stops serving a node and deletes it and its Lease. Its pods are left to the pod GC. */
  async removeNode(name: string): Promise<void> {
    const entry = this.nodeEntries.get(name);
    if (!entry) return;
    clearInterval(entry.timer);
    this.nodeEntries.delete(name);
    await this.ignoreCodes(this.coord.deleteNamespacedLease({ name, namespace: NODE_LEASE_NS }), 404);
    await this.ignoreCodes(this.core.deleteNode({ name }), 404);
  }

  /** Decides the state of every pod without a per-pod override. Call refresh() to re-apply. */
  setPolicy(fn: PodPolicy): void {
    this.policy = fn;
  }

  /** Per-pod override (undefined clears it). Call refresh() to apply to an existing pod. */
  setPodState(namespace: string, name: string, state: PodState | undefined): void {
    const key = `${namespace}/${name}`;
    if (state === undefined) this.overrides.delete(key);
    else this.overrides.set(key, state);
  }

  /** Watches pods and nodes cluster-wide; resolves once the initial lists are processed. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await this.runner?.start(this.core, (key) => this.enqueue(key));
    const podsListed = this.watchLoop('/api/v1/pods', async () => {
      const list = await this.core.listPodForAllNamespaces();
      for (const pod of list.items) this.upsertPod(pod);
      return list.metadata?.resourceVersion;
    }, (type, pod: V1Pod) => {
      if (type === 'DELETED') this.deletePod(pod);
      else this.upsertPod(pod);
    });
    const nodesListed = this.watchLoop('/api/v1/nodes', async () => {
      const list = await this.core.listNode();
      for (const node of list.items) this.upsertNode(node);
      return list.metadata?.resourceVersion;
    }, (type, node: V1Node) => {
      if (type !== 'DELETED') this.upsertNode(node);
    });
    await Promise.all([podsListed, nodesListed]);
    await this.idle();
  }

  /** Re-lists every pod and re-applies the policy and overrides; resolves when written. */
  async refresh(): Promise<void> {
    const list = await this.core.listPodForAllNamespaces();
    for (const pod of list.items) this.upsertPod(pod);
    await this.idle();
  }

  /** Resolves when no pod work is queued or in flight. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running.values()]);
  }

  /** Ends the watches and heartbeats. Nodes stay registered (and Ready until the node monitor grace period). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const e of this.nodeEntries.values()) clearInterval(e.timer);
    for (const ac of this.aborts) ac.abort();
    this.aborts.clear();
    await Promise.allSettled(this.loops);
    await this.idle();
    await this.runner?.stop();
  }

  // -------------------------------------------------------------------------------------------
  // Watches

  /** List + watch until stop(); relists after the watch ends for any reason. Resolves its
   * return value after the first list. */
  private watchLoop<T>(path: string, list: () => Promise<string | undefined>, onEvent: (type: string, obj: T) => void): Promise<void> {
    let firstListed!: () => void;
    let firstFailed!: (err: Error) => void;
    const listed = new Promise<void>((resolve, reject) => { firstListed = resolve; firstFailed = reject; });
    let first = true;
    const loop = (async () => {
      while (!this.stopped) {
        let resourceVersion: string | undefined;
        try {
          resourceVersion = await list();
        } catch (err) {
          if (first) { firstFailed(err as Error); return; }
          this.report(err);
          await sleep(500);
          continue;
        }
        if (first) { first = false; firstListed(); }
        await new Promise<void>((resolve) => {
          const watch = new Watch(this.kc);
          watch.watch(path, { resourceVersion, allowWatchBookmarks: true }, (type, obj: T) => {
            if (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED') onEvent(type, obj);
          }, () => resolve()).then((ac) => {
            this.aborts.add(ac);
            if (this.stopped) ac.abort();
          }, (err: unknown) => {
            if (!this.stopped) this.report(err);
            resolve();
          });
        });
        if (!this.stopped) await sleep(100);
      }
    })();
    this.loops.push(loop);
    return listed;
  }

  private upsertNode(node: V1Node): void {
    const entry = this.nodeEntries.get(node.metadata?.name ?? '');
    if (!entry) return;
    entry.node = node;
    this.requeueUnbound();
  }

  private upsertPod(pod: V1Pod): void {
    const key = `${pod.metadata?.namespace}/${pod.metadata?.name}`;
    this.pods.set(key, pod);
    this.enqueue(key);
  }

  private deletePod(pod: V1Pod): void {
    const key = `${pod.metadata?.namespace}/${pod.metadata?.name}`;
    const cur = this.pods.get(key);
    if (cur?.metadata?.uid === pod.metadata?.uid) this.pods.delete(key);
    if (pod.metadata?.uid) {
      this.records.delete(pod.metadata.uid);
      void this.runner?.remove(pod.metadata.uid).catch((err: unknown) => this.report(err));
    }
  }

  private requeueUnbound(): void {
    for (const [key, pod] of this.pods) if (!pod.spec?.nodeName) this.enqueue(key);
  }

  /** Per-pod serialisation with coalescing: the latest seen object is processed once. */
  private enqueue(key: string): void {
    if (this.stopped) return;
    this.dirty.add(key);
    if (this.running.has(key)) return;
    const run = (async () => {
      while (this.dirty.has(key) && !this.stopped) {
        this.dirty.delete(key);
        try {
          await this.process(key);
        } catch (err) {
          this.report(err);
        }
      }
    })().finally(() => this.running.delete(key));
    this.running.set(key, run);
  }

  // -------------------------------------------------------------------------------------------
  // Pods

  private desiredState(pod: V1Pod): PodState {
    const key = `${pod.metadata?.namespace}/${pod.metadata?.name}`;
    return this.overrides.get(key) ?? this.policy(pod) ?? 'Running';
  }

  private async process(key: string): Promise<void> {
    let pod = this.pods.get(key);
    if (!pod?.metadata?.name || !pod.metadata.namespace) return;
    const { name, namespace, uid } = pod.metadata;
    const nodeName = pod.spec?.nodeName;

    if (pod.metadata.deletionTimestamp) {
      // A kubelet finalises graceful deletion of the pods on its node once containers stopped.
      if (nodeName && this.nodeEntries.has(nodeName)) {
        await this.runner?.remove(uid ?? '');
        // With a body, the API server ignores query parameters: the grace period goes in the body.
        await this.ignoreCodes(this.core.deleteNamespacedPod({ name, namespace, body: { gracePeriodSeconds: 0, preconditions: { uid } } }), 404, 409);
      }
      return;
    }
    if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return;

    let state = this.desiredState(pod);
    if (!nodeName) {
      if (isUnschedulable(state)) {
        await this.writeUnschedulable(pod, state.unschedulable.message);
        return;
      }
      const pick = this.pickNode(pod);
      if ('message' in pick) {
        await this.writeUnschedulable(pod, pick.message);
        return;
      }
      try {
        await this.core.createNamespacedPodBinding({
          name,
          namespace,
          body: { apiVersion: 'v1', kind: 'Binding', metadata: { name, namespace, uid }, target: { apiVersion: 'v1', kind: 'Node', name: pick.node } },
        });
      } catch (err) {
        const code = statusCode(err);
        if (code === 404 || code === 409) return; // gone, or bound meanwhile: the watch brings it back
        throw err;
      }
      pod = { ...pod, spec: { ...pod.spec, containers: pod.spec?.containers ?? [], nodeName: pick.node } };
      this.pods.set(key, pod);
    } else if (isUnschedulable(state)) {
      state = 'Pending';
    }
    const entry = this.nodeEntries.get(pod.spec?.nodeName ?? '');
    if (!entry) return; // bound to a node this kubelet does not serve
    if (this.runner?.runs(pod)) await this.writeRunningStatus(pod, this.runner);
    else await this.writeStatus(pod, state, entry);
  }

  private pickNode(pod: V1Pod): { node: string } | { message: string } {
    const entries = [...this.nodeEntries.values()];
    if (entries.length === 0) return { message: 'no nodes available to schedule pods' };
    const reasons = new Map<string, number>();
    const fit: string[] = [];
    for (const e of entries) {
      const reason = this.misfit(pod, e.node);
      if (reason) reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
      else fit.push(e.name);
    }
    if (fit.length === 0) {
      const parts = [...reasons].map(([r, n]) => `${n} ${r}`).sort();
      const n = entries.length;
      return { message: `0/${n} nodes are available: ${parts.join(', ')}. preemption: 0/${n} nodes are available: ${n} Preemption is not helpful for scheduling.` };
    }
    return { node: fit[this.roundRobin++ % fit.length] };
  }

  /** Why the scheduler would not place the pod on the node (in its words), or undefined. */
  private misfit(pod: V1Pod, node: V1Node): string | undefined {
    const labels = node.metadata?.labels ?? {};
    for (const [k, v] of Object.entries(pod.spec?.nodeSelector ?? {})) {
      if (labels[k] !== v) return "node(s) didn't match Pod's node affinity/selector";
    }
    const terms = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
    if (terms && !terms.some((t) => matchTerm(t, node))) return "node(s) didn't match Pod's node affinity/selector";
    const taints = [...(node.spec?.taints ?? [])];
    if (node.spec?.unschedulable) taints.push({ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' });
    for (const taint of taints) {
      if (taint.effect !== 'NoSchedule' && taint.effect !== 'NoExecute') continue;
      if (!tolerates(pod.spec?.tolerations, taint)) {
        if (taint.key === 'node.kubernetes.io/unschedulable') return 'node(s) were unschedulable';
        return `node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`;
      }
    }
    return undefined;
  }

  private record(pod: V1Pod): PodRecord {
    const uid = pod.metadata?.uid ?? '';
    let rec = this.records.get(uid);
    if (!rec) {
      rec = { uid, key: '', startTime: kubeTime(), podIP: undefined, conditions: new Map() };
      this.records.set(uid, rec);
    }
    return rec;
  }

  /** lastTransitionTime moves only when the condition's status changes. */
  private condition(rec: PodRecord, type: string, status: 'True' | 'False', reason?: string, message?: string) {
    const now = kubeTime();
    const prev = rec.conditions.get(type);
    const time = prev && prev.status === status ? prev.time : now;
    rec.conditions.set(type, { status, time });
    return { type, status, lastProbeTime: null, lastTransitionTime: time, ...(reason ? { reason } : {}), ...(message ? { message } : {}) };
  }

  private async writeUnschedulable(pod: V1Pod, message: string): Promise<void> {
    const rec = this.record(pod);
    const key = JSON.stringify(['unschedulable', message]);
    if (rec.key === key) return;
    const status = {
      phase: 'Pending',
      conditions: [this.condition(rec, 'PodScheduled', 'False', 'Unschedulable', message)],
    };
    await this.patchPodStatus(pod, status);
    rec.key = key;
  }

  private async writeStatus(pod: V1Pod, state: PodState, node: NodeEntry): Promise<void> {
    const rec = this.record(pod);
    const spec = pod.spec;
    const containers: V1Container[] = spec?.containers ?? [];
    const inits: V1Container[] = spec?.initContainers ?? [];
    const key = JSON.stringify([state, node.name, containers.map((c) => [c.name, c.image]), inits.map((c) => [c.name, c.image])]);
    if (rec.key === key) return;

    const name = pod.metadata?.name ?? '';
    const namespace = pod.metadata?.namespace ?? '';
    const uid = pod.metadata?.uid ?? '';
    const now = kubeTime();
    const pending = state === 'Pending' || isUnschedulable(state);
    if (!pending && rec.podIP === undefined) {
      rec.podIP = spec?.hostNetwork ? node.ip : this.allocatePodIp();
    }
    const crash = typeof state === 'object' && 'crashLoop' in state ? { ...state.crashLoop, reason: 'Error', exitCode: state.crashLoop.exitCode ?? 1 }
      : typeof state === 'object' && 'oomKilled' in state ? { ...state.oomKilled, reason: 'OOMKilled', exitCode: 137 }
        : undefined;

    const imageID = (image: string) => `${image.split('@')[0].replace(/:[^/:]+$/, '')}@sha256:${hex(`image-${image}`)}`;
    const containerID = (c: string, restart: number) => `containerd://${hex(`${uid}/${c}/${restart}`)}`;

    const initStatuses = inits.map((c) => pending
      ? { name: c.name, image: c.image, imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'PodInitializing' } }, lastState: {} }
      : {
        name: c.name, image: c.image, imageID: imageID(c.image ?? ''), containerID: containerID(c.name, 0), ready: true, restartCount: 0,
        state: { terminated: { exitCode: 0, reason: 'Completed', startedAt: rec.startTime, finishedAt: rec.startTime, containerID: containerID(c.name, 0) } },
        lastState: {},
      });

    const unready: string[] = [];
    const statuses = containers.map((c) => {
      const image = c.image ?? '';
      if (pending) {
        unready.push(c.name);
        return { name: c.name, image, imageID: '', ready: false, started: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } }, lastState: {} };
      }
      if (crash && (crash.container === undefined || crash.container === c.name)) {
        unready.push(c.name);
        const restarts = Math.max(0, crash.restarts);
        const backoff = Math.min(10 * 2 ** Math.max(0, restarts - 1), 300);
        return {
          name: c.name, image, imageID: imageID(image), containerID: containerID(c.name, restarts), ready: false, started: false, restartCount: restarts,
          state: { waiting: { reason: 'CrashLoopBackOff', message: `back-off ${goDuration(backoff)} restarting failed container=${c.name} pod=${name}_${namespace}(${uid})` } },
          lastState: { terminated: { exitCode: crash.exitCode, reason: crash.reason, startedAt: rec.startTime, finishedAt: now, containerID: containerID(c.name, restarts) } },
        };
      }
      const ready = state !== 'NotReady';
      if (!ready) unready.push(c.name);
      return {
        name: c.name, image, imageID: imageID(image), containerID: containerID(c.name, 0), ready, started: true, restartCount: 0,
        state: { running: { startedAt: rec.startTime } }, lastState: {},
      };
    });

    const notReadyMsg = `containers with unready status: [${unready.join(' ')}]`;
    const initialized = !pending || inits.length === 0;
    const status = {
      phase: pending ? 'Pending' : 'Running',
      conditions: [
        initialized ? this.condition(rec, 'Initialized', 'True')
          : this.condition(rec, 'Initialized', 'False', 'ContainersNotInitialized', `containers with incomplete status: [${inits.map((c) => c.name).join(' ')}]`),
        unready.length ? this.condition(rec, 'Ready', 'False', 'ContainersNotReady', notReadyMsg) : this.condition(rec, 'Ready', 'True'),
        unready.length ? this.condition(rec, 'ContainersReady', 'False', 'ContainersNotReady', notReadyMsg) : this.condition(rec, 'ContainersReady', 'True'),
        this.condition(rec, 'PodScheduled', 'True'),
      ],
      hostIP: node.ip,
      podIP: pending ? null : rec.podIP,
      podIPs: pending ? null : [{ ip: rec.podIP }],
      startTime: rec.startTime,
      initContainerStatuses: inits.length ? initStatuses : null,
      containerStatuses: statuses,
      qosClass: pod.status?.qosClass ?? qosClass(pod),
      reason: null,
      message: null,
      nominatedNodeName: null,
    };
    await this.patchPodStatus(pod, status);
    rec.key = key;
  }

  /** Status from the runner: containers' real states, Ready from their readiness probes. */
  private async writeRunningStatus(pod: V1Pod, runner: PodRunner): Promise<void> {
    const rec = this.record(pod);
    const uid = pod.metadata?.uid ?? '';
    if (!runner.status(uid)) await runner.resolveKeyRefs(pod);
    await runner.ensure(pod);
    const now = runner.status(uid)!;
    const statuses = now.containers.map((c: ContainerState) => ({
      name: c.name, image: c.image, imageID: c.image, containerID: c.containerID, ready: c.ready, started: c.running !== undefined, restartCount: c.restartCount,
      state: c.running ? { running: c.running } : { waiting: c.waiting },
      lastState: c.lastTerminated ? { terminated: c.lastTerminated } : {},
    }));
    const unready = now.containers.filter((c) => !c.ready).map((c) => c.name);
    const notReadyMsg = `containers with unready status: [${unready.join(' ')}]`;
    const status = {
      phase: 'Running',
      conditions: [
        this.condition(rec, 'Initialized', 'True'),
        unready.length ? this.condition(rec, 'Ready', 'False', 'ContainersNotReady', notReadyMsg) : this.condition(rec, 'Ready', 'True'),
        unready.length ? this.condition(rec, 'ContainersReady', 'False', 'ContainersNotReady', notReadyMsg) : this.condition(rec, 'ContainersReady', 'True'),
        this.condition(rec, 'PodScheduled', 'True'),
      ],
      hostIP: runner.gateway,
      podIP: now.podIP,
      podIPs: [{ ip: now.podIP }],
      startTime: rec.startTime,
      containerStatuses: statuses,
      qosClass: pod.status?.qosClass ?? qosClass(pod),
    };
    const key = JSON.stringify(['running', status]);
    if (rec.key === key) return;
    await this.patchPodStatus(pod, status);
    rec.key = key;
  }

  private allocatePodIp(): string {
    const n = this.nextPodIp++;
    return `10.244.${Math.floor(n / 254) % 256}.${(n % 254) + 1}`;
  }

  private async patchPodStatus(pod: V1Pod, status: Record<string, unknown>): Promise<void> {
    const name = pod.metadata?.name ?? '';
    const namespace = pod.metadata?.namespace ?? '';
    await this.ignoreCodes(this.core.patchNamespacedPodStatus({ name, namespace, body: { status } }, MERGE_PATCH), 404);
  }

  // -------------------------------------------------------------------------------------------
  // Nodes

  private nodeConditions(heartbeat: Date, since: Date): V1NodeCondition[] {
    const c = (type: string, status: string, reason: string, message: string): V1NodeCondition => ({ type, status, reason, message, lastHeartbeatTime: heartbeat, lastTransitionTime: since });
    return [
      c('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
      c('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
      c('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
      c('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
    ];
  }

  private async ensureLease(name: string, nodeUid: string | undefined): Promise<void> {
    try {
      await this.coord.createNamespacedLease({
        namespace: NODE_LEASE_NS,
        body: {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: {
            name,
            namespace: NODE_LEASE_NS,
            ownerReferences: nodeUid ? [{ apiVersion: 'v1', kind: 'Node', name, uid: nodeUid }] : undefined,
          },
          spec: { holderIdentity: name, leaseDurationSeconds: 40, renewTime: new V1MicroTime() },
        },
      });
    } catch (err) {
      if (statusCode(err) !== 409) throw err;
      await this.renewLease(name);
    }
  }

  private async renewLease(name: string): Promise<void> {
    await this.coord.patchNamespacedLease({ name, namespace: NODE_LEASE_NS, body: { spec: { holderIdentity: name, renewTime: microTime(Date.now()) } } }, MERGE_PATCH);
  }

  private async heartbeat(name: string): Promise<void> {
    const entry = this.nodeEntries.get(name);
    if (!entry || this.stopped) return;
    try {
      await this.renewLease(name);
      const conditions = this.nodeConditions(new Date(), entry.readySince);
      await this.core.patchNodeStatus({ name, body: { status: { conditions } } }, MERGE_PATCH);
    } catch (err) {
      if (!this.stopped && this.nodeEntries.has(name)) this.report(err);
    }
  }

  // -------------------------------------------------------------------------------------------

  private async ignoreCodes(p: Promise<unknown>, ...codes: number[]): Promise<void> {
    try {
      await p;
    } catch (err) {
      if (!codes.includes(statusCode(err) ?? 0)) throw err;
    }
  }

  private report(err: unknown): void {
    this.onError(err instanceof Error ? err : new Error(String(err)));
  }
}
