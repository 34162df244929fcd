// The statuses the Vizier reconciler writes, one per situation it tells apart, made by its own
// pure steps (assessVizier, then nextStatus: what the status step writes), with the health Argo
// CD must read from each and kstatus's verdict. `make gen` writes them as the Vizier's
// health_test.yaml cases; the tests also run them live, so a reconciler change that the health
// check misreads fails a test.
import type { V1ContainerStatus, V1Node, V1Pod, V1PodCondition } from '@kubernetes/client-node';
import type { Condition } from '../../../crds/schema.js';
import type { Vizier, VizierStatus } from '../../../crds/kinds/vizier.js';
import { API_VERSION } from '../../../crds/index.js';
import { assessVizier, type AssessInput } from '../../../controllers/vizier/assess.js';
import { componentsOf, type Component } from '../../../controllers/vizier/components.js';
import { withDefaults } from '../../../controllers/vizier/kind.js';
import type { WorkloadObservation } from '../../../controllers/vizier/rollout.js';
import { nextStatus } from '../../../controllers/vizier/steps/status.js';
import type { HealthCode } from './customizations.js';

/** kstatus's results (sigs.k8s.io/cli-utils pkg/kstatus/status); NotFound and Unknown need no object. */
export type KstatusCode = 'InProgress' | 'Failed' | 'Current' | 'Terminating';

export interface VizierCase {
  /** The testdata file name (without .yaml) and the test name. */
  readonly name: string;
  /** The Vizier as the API server returns it: defaulted spec, the status the reconciler wrote. */
  readonly object: Vizier;
  readonly health: HealthCode;
  /** The message Argo CD must show, taken from where the rule says (a condition, status.message). */
  readonly message: string;
  readonly kstatus: KstatusCode;
}

/** A fixed clock, so the generated files change only when the reconciler does. */
const NOW = new Date('2026-11-22T10:00:00Z');
const ago = (ms: number) => new Date(NOW.getTime() - ms);

function vizier(spec: Record<string, unknown>, generation = 1, status?: VizierStatus): Vizier {
  return withDefaults({
    apiVersion: API_VERSION,
    kind: 'Vizier',
    metadata: { name: 'vz', namespace: 'loupe', uid: '6f1f7a52-3c1e-4a55-9f0e-1d2b3c4d5e6f', generation, creationTimestamp: ago(3_600_000).toISOString() },
    spec: spec as Vizier['spec'],
    ...(status ? { status } : {}),
  });
}

/** Every component of `vz` observed at `version`, ready, except as `over` says. */
function workloads(vz: Vizier, version: string, over: Partial<Record<Component, Partial<WorkloadObservation>>> = {}): Map<Component, WorkloadObservation> {
  const m = new Map<Component, WorkloadObservation>();
  for (const [c, kind] of componentsOf(vz.spec)) {
    const desired = c === 'pem' ? 3 : c === 'kelvin' ? vz.spec.kelvin.replicas : 1;
    m.set(c, { kind, version, desired, ready: desired, settled: true, ...over[c] });
  }
  return m;
}

interface PodShape {
  container?: Partial<V1ContainerStatus>;
  phase?: string;
  conditions?: V1PodCondition[];
  age?: number;
}

function pod(component: Component, name: string, shape: PodShape): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'loupe', creationTimestamp: ago(shape.age ?? 0), labels: { 'app.kubernetes.io/component': component, 'app.kubernetes.io/instance': 'vz' } },
    spec: { containers: [{ name: component, image: `ghcr.io/loupe-dev/${component}:0.1.0`, resources: { requests: { memory: '2Gi' }, limits: { memory: '2Gi' } } }] },
    status: {
      phase: shape.phase ?? 'Running',
      conditions: shape.conditions ?? [],
      containerStatuses: shape.container ? [{ name: component, image: '', imageID: '', ready: false, restartCount: 0, ...shape.container }] : [],
    },
  };
}

function node(name: string, kernelVersion: string): V1Node {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/os': 'linux' } }, status: { nodeInfo: { kernelVersion } as NonNullable<V1Node['status']>['nodeInfo'] } };
}

const NODES = [node('node-1', '6.1.0-13-amd64')];
const crashLoop: PodShape = { container: { restartCount: 5, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { reason: 'Error', exitCode: 2 } } } };
const oomKilled: PodShape = { container: { restartCount: 4, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { reason: 'OOMKilled', exitCode: 137, finishedAt: ago(60_000) } } } };
const pullBackOff = (age: number): PodShape => ({ age, container: { state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image' } } } });
const unschedulable: PodShape = { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/3 nodes are available: 3 Insufficient memory.' }] };

/** The Vizier with the status the reconciler writes after assessing what `input` observes. */
function reconciled(vz: Vizier, observed: Map<Component, WorkloadObservation>, input: Partial<AssessInput> = {}): Vizier {
  const assessment = assessVizier({ vizier: vz, present: componentsOf(vz.spec), observed, pods: [], nodes: NODES, now: NOW, ...input });
  return { ...vz, status: nextStatus(vz, assessment, {}, NOW) };
}

/** The same object after a spec change the operator has not seen yet. */
function specChanged(vz: Vizier, spec: Record<string, unknown>): Vizier {
  return vizier(spec, (vz.metadata.generation ?? 1) + 1, vz.status);
}

const conditionOf = (vz: Vizier, type: string): Condition => {
  const c = vz.status?.conditions?.find((x) => x.type === type);
  if (!c) throw new Error(`the reconciler wrote no ${type} condition for this case; status: ${JSON.stringify(vz.status)}`);
  return c;
};
const messageOf = (vz: Vizier, type: string) => conditionOf(vz, type).message;
const statusMessage = (vz: Vizier) => vz.status?.message ?? '';

type Case = Omit<VizierCase, 'message'> & { message: (vz: Vizier) => string };

function cases(): Case[] {
  const fresh = vizier({});
  const healthy = reconciled(fresh, workloads(fresh, '0.1.0'));
  const rollout = (startedAgo: number) => vizier({ version: '0.2.0', updateTimeoutSeconds: 60 }, 2, { version: '0.1.0', rollout: { targetVersion: '0.2.0', fromVersion: '0.1.0', startedAt: ago(startedAgo).toISOString() } });
  const natsAtNewVersion = (vz: Vizier) => workloads(vz, '0.1.0', { nats: { version: '0.2.0' } });
  const short = vizier({ updateTimeoutSeconds: 60 });
  const paused = vizier({ paused: true });
  const cloud = vizier({ cloud: { address: 'cloud.example:443', deployKeySecretRef: { name: 'vz-deploy-key' } } });
  return [
    { name: 'no-status-yet', object: fresh, health: 'Progressing', message: () => 'waiting for the operator to observe generation 1 (no status yet)', kstatus: 'Current' },
    { name: 'deploying', object: reconciled(fresh, new Map()), health: 'Progressing', message: statusMessage, kstatus: 'InProgress' },
    { name: 'control-plane-not-ready', object: reconciled(fresh, workloads(fresh, '0.1.0', { kelvin: { ready: 0 }, metadata: { ready: 0 } })), health: 'Progressing', message: statusMessage, kstatus: 'InProgress' },
    { name: 'no-node-runs-a-pem', object: reconciled(fresh, workloads(fresh, '0.1.0', { pem: { desired: 0, ready: 0 } })), health: 'Progressing', message: statusMessage, kstatus: 'InProgress' },
    { name: 'healthy', object: healthy, health: 'Healthy', message: (vz) => messageOf(vz, 'Ready'), kstatus: 'Current' },
    { name: 'spec-changed-not-observed', object: specChanged(healthy, { kelvin: { replicas: 2 } }), health: 'Progressing', message: () => 'waiting for the operator to observe generation 2 (its status is of generation 1)', kstatus: 'InProgress' },
    { name: 'rolling-out', object: reconciled(rollout(0), natsAtNewVersion(rollout(0))), health: 'Progressing', message: statusMessage, kstatus: 'InProgress' },
    { name: 'rollout-timed-out', object: reconciled(rollout(61_000), natsAtNewVersion(rollout(61_000))), health: 'Degraded', message: (vz) => messageOf(vz, 'Stalled'), kstatus: 'Failed' },
    { name: 'invalid-spec', object: reconciled(fresh, workloads(fresh, '0.1.0'), { invalidSpec: 'spec.patches[0].operations[0]: path /spec/nope does not exist in Deployment vz-kelvin' }), health: 'Degraded', message: (vz) => messageOf(vz, 'Stalled'), kstatus: 'Failed' },
    { name: 'child-refused', object: reconciled(fresh, workloads(fresh, '0.1.0'), { applyErrors: ['Deployment vz-kelvin: spec.template.spec.containers[0].resources.requests: Invalid value: "3Gi": must be less than or equal to memory limit of 2Gi'] }), health: 'Degraded', message: (vz) => messageOf(vz, 'Stalled'), kstatus: 'Failed' },
    { name: 'pems-crash-looping', object: reconciled(fresh, workloads(fresh, '0.1.0', { pem: { ready: 2 } }), { pods: [pod('pem', 'vz-pem-x1', crashLoop)] }), health: 'Progressing', message: statusMessage, kstatus: 'InProgress' },
    { name: 'pems-oomkilled', object: reconciled(fresh, workloads(fresh, '0.1.0', { pem: { ready: 2 } }), { pods: [pod('pem', 'vz-pem-x1', oomKilled)] }), health: 'Progressing', message: statusMessage, kstatus: 'InProgress' },
    { name: 'pems-unschedulable', object: reconciled(fresh, workloads(fresh, '0.1.0', { pem: { ready: 2 } }), { pods: [pod('pem', 'vz-pem-x3', unschedulable)] }), health: 'Progressing', message: statusMessage, kstatus: 'InProgress' },
    { name: 'nats-crash-looping', object: reconciled(fresh, workloads(fresh, '0.1.0', { nats: { ready: 0 } }), { pods: [pod('nats', 'vz-nats-0', crashLoop)] }), health: 'Progressing', message: statusMessage, kstatus: 'InProgress' },
    { name: 'image-pull-retrying', object: reconciled(fresh, workloads(fresh, '0.1.0', { kelvin: { ready: 0 } }), { pods: [pod('kelvin', 'vz-kelvin-a1', pullBackOff(60_000))] }), health: 'Progressing', message: statusMessage, kstatus: 'InProgress' },
    { name: 'image-pull-past-timeout', object: reconciled(short, workloads(short, '0.1.0', { kelvin: { ready: 0 } }), { pods: [pod('kelvin', 'vz-kelvin-a1', pullBackOff(61_000))] }), health: 'Degraded', message: (vz) => messageOf(vz, 'Stalled'), kstatus: 'Failed' },
    { name: 'invalid-image-name', object: reconciled(fresh, workloads(fresh, '0.1.0', { pem: { ready: 2 } }), { pods: [pod('pem', 'vz-pem-x1', { container: { state: { waiting: { reason: 'InvalidImageName' } } } })] }), health: 'Degraded', message: (vz) => messageOf(vz, 'Stalled'), kstatus: 'Failed' },
    { name: 'ready-but-old-kernels', object: reconciled(fresh, workloads(fresh, '0.1.0'), { nodes: [...NODES, node('node-2', '4.19.0-17-amd64')] }), health: 'Degraded', message: (vz) => messageOf(vz, 'Degraded'), kstatus: 'Current' },
    { name: 'cloud-connector-not-available', object: reconciled(cloud, workloads(cloud, '0.1.0', { 'cloud-connector': { desired: 0, ready: 0 } })), health: 'Degraded', message: (vz) => messageOf(vz, 'Degraded'), kstatus: 'Current' },
    { name: 'paused', object: reconciled(paused, workloads(paused, '0.1.0', { kelvin: { ready: 0 } })), health: 'Suspended', message: statusMessage, kstatus: 'InProgress' },
    { name: 'pause-not-observed', object: specChanged(healthy, { paused: true }), health: 'Progressing', message: () => 'waiting for the operator to observe generation 2 (its status is of generation 1)', kstatus: 'InProgress' },
  ];
}

export function vizierCases(): VizierCase[] {
  return cases().map((c) => ({ ...c, message: c.message(c.object) }));
}
