import { test } from 'node:test';
import type { V1Pod } from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import { assessVizier, type AssessInput } from './assess.js';
import { componentsOf, type Component } from './components.js';
import type { WorkloadObservation } from './rollout.js';
import { vizier, pod, node } from './fixtures.test-util.js';
import type { Vizier } from '../../crds/kinds/vizier.js';

const NOW = new Date('2026-11-22T10:00:00Z');

function observed(version: string, over: Partial<Record<Component, Partial<WorkloadObservation>>> = {}, spec = vizier().spec): Map<Component, WorkloadObservation> {
  const m = new Map<Component, WorkloadObservation>();
  for (const [c, kind] of componentsOf(spec)) {
    const desired = c === 'pem' ? 3 : c === 'kelvin' ? spec.kelvin.replicas : 1;
    m.set(c, { kind, version, desired, ready: desired, settled: true, ...over[c] });
  }
  return m;
}

function assess(vz: Vizier, o: Map<Component, WorkloadObservation>, extra: Partial<AssessInput> = {}) {
  return assessVizier({ vizier: vz, present: componentsOf(vz.spec), observed: o, pods: [], nodes: [node('n1', '6.1.0')], now: NOW, ...extra });
}
const cond = (a: ReturnType<typeof assess>, type: string) => a.conditions.find((c) => c.type === type)!;
const createdAgo = (p: V1Pod, ms: number): V1Pod => ({ ...p, metadata: { ...p.metadata, creationTimestamp: new Date(NOW.getTime() - ms) } });

const crashLoop = { ready: false, restartCount: 5, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { reason: 'Error', exitCode: 2 } } };
const oomLoop = { ready: false, restartCount: 4, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { reason: 'OOMKilled', exitCode: 137, finishedAt: new Date(NOW.getTime() - 60_000) } } };
const pullBackOff = { ready: false, state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image' } } };
const unschedulablePod = pod('pem', 'p3', {}, { phase: 'Pending', containerStatuses: [], conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/3 nodes are available: 3 Insufficient memory.' }] });
const rollingOut = vizier({ version: '0.2.0', updateTimeoutSeconds: 60 }, {}, { version: '0.1.0', rollout: { targetVersion: '0.2.0', fromVersion: '0.1.0', startedAt: NOW.toISOString() } });
const rolloutStartedAgo = (ms: number) =>
  vizier({ version: '0.2.0', updateTimeoutSeconds: 60 }, {}, { version: '0.1.0', rollout: { targetVersion: '0.2.0', fromVersion: '0.1.0', startedAt: new Date(NOW.getTime() - ms).toISOString() } });

interface KstatusCase {
  name: string;
  vizier?: Vizier;
  observed: Map<Component, WorkloadObservation>;
  extra?: Partial<AssessInput>;
  phase: string;
  ready: [string, string];
  reconciling: string;
  stalled: [string, string];
}

// kstatus: Stalled=True only when nothing but a change from the user lets the operator go on;
// Reconciling=True while it is still getting there (kstatus reads Reconciling first).
const KSTATUS: KstatusCase[] = [
  { name: 'all ready', observed: observed('0.1.0'), phase: 'Healthy', ready: ['True', 'AllComponentsReady'], reconciling: 'False', stalled: ['False', 'NotStalled'] },
  { name: 'a fresh install', observed: new Map(), phase: 'Pending', ready: ['False', 'NATSUnavailable'], reconciling: 'True', stalled: ['False', 'NotStalled'] },
  { name: 'a rollout under way', vizier: rollingOut, observed: observed('0.1.0', { nats: { version: '0.2.0' } }), phase: 'Updating', ready: ['False', 'ControlPlaneNotReady'], reconciling: 'True', stalled: ['False', 'NotStalled'] },
  { name: 'a rollout past spec.updateTimeoutSeconds', vizier: rolloutStartedAgo(61_000), observed: observed('0.1.0', { nats: { version: '0.2.0' } }), phase: 'Failed', ready: ['False', 'UpdateFailed'], reconciling: 'False', stalled: ['True', 'UpdateFailed'] },
  { name: 'a spec that cannot be rendered', observed: observed('0.1.0'), extra: { invalidSpec: 'spec.patches[0]: bad' }, phase: 'Failed', ready: ['False', 'InvalidSpec'], reconciling: 'False', stalled: ['True', 'InvalidSpec'] },
  { name: 'a child the API server refuses', observed: observed('0.1.0'), extra: { applyErrors: ['Deployment vz-kelvin: bad'] }, phase: 'Failed', ready: ['False', 'ApplyFailed'], reconciling: 'False', stalled: ['True', 'ApplyFailed'] },
  { name: 'crash-looping PEMs', observed: observed('0.1.0', { pem: { ready: 2 } }), extra: { pods: [pod('pem', 'p1', crashLoop)] }, phase: 'Degraded', ready: ['False', 'PEMsNotReady'], reconciling: 'True', stalled: ['False', 'NotStalled'] },
  { name: 'OOMKilled PEMs', observed: observed('0.1.0', { pem: { ready: 2 } }), extra: { pods: [pod('pem', 'p1', oomLoop)] }, phase: 'Degraded', ready: ['False', 'PEMsNotReady'], reconciling: 'True', stalled: ['False', 'NotStalled'] },
  { name: 'PEMs that cannot be scheduled yet', observed: observed('0.1.0', { pem: { ready: 2 } }), extra: { pods: [unschedulablePod] }, phase: 'Degraded', ready: ['False', 'PEMsNotReady'], reconciling: 'True', stalled: ['False', 'NotStalled'] },
  { name: 'crash-looping NATS (the operator restarts it)', observed: observed('0.1.0', { nats: { ready: 0 } }), extra: { pods: [pod('nats', 'vz-nats-0', crashLoop)] }, phase: 'Degraded', ready: ['False', 'NATSUnavailable'], reconciling: 'True', stalled: ['False', 'NotStalled'] },
  { name: 'all ready, some nodes with old kernels', observed: observed('0.1.0'), extra: { nodes: [node('old', '4.19.0')] }, phase: 'Degraded', ready: ['True', 'AllComponentsReady'], reconciling: 'False', stalled: ['False', 'NotStalled'] },
  { name: 'an image pull failing for a minute', observed: observed('0.1.0', { kelvin: { ready: 0 } }), extra: { pods: [createdAgo(pod('kelvin', 'k1', pullBackOff), 60_000)] }, phase: 'Degraded', ready: ['False', 'ControlPlaneNotReady'], reconciling: 'True', stalled: ['False', 'NotStalled'] },
  { name: 'an image pull failing for longer than spec.updateTimeoutSeconds', vizier: vizier({ updateTimeoutSeconds: 60 }), observed: observed('0.1.0', { kelvin: { ready: 0 } }), extra: { pods: [createdAgo(pod('kelvin', 'k1', pullBackOff), 61_000)] }, phase: 'Failed', ready: ['False', 'KelvinImagePullFailed'], reconciling: 'False', stalled: ['True', 'KelvinImagePullFailed'] },
  { name: 'an invalid image name', observed: observed('0.1.0', { pem: { ready: 2 } }), extra: { pods: [pod('pem', 'p1', { ready: false, state: { waiting: { reason: 'InvalidImageName' } } })] }, phase: 'Failed', ready: ['False', 'PEMsImagePullFailed'], reconciling: 'False', stalled: ['True', 'PEMsImagePullFailed'] },
  { name: 'paused', vizier: vizier({ paused: true }), observed: observed('0.1.0', { kelvin: { ready: 0 } }), phase: 'Paused', ready: ['Unknown', 'Paused'], reconciling: 'False', stalled: ['False', 'NotStalled'] },
];

for (const c of KSTATUS) {
  test(`kstatus: ${c.name} -> ${c.phase}, Reconciling=${c.reconciling}, Stalled=${c.stalled[0]}`, () => {
    const a = assess(c.vizier ?? vizier(), c.observed, c.extra);
    assert.equal(a.phase, c.phase);
    assert.deepEqual([cond(a, 'Ready').status, cond(a, 'Ready').reason], c.ready);
    assert.equal(cond(a, 'Reconciling').status, c.reconciling);
    assert.deepEqual([cond(a, 'Stalled').status, cond(a, 'Stalled').reason], c.stalled);
    assert.equal(a.phase === 'Failed', cond(a, 'Stalled').status === 'True', 'Failed is exactly Stalled');
    if (c.stalled[0] === 'True') assert.equal(cond(a, 'Stalled').message, cond(a, 'Ready').message, 'Stalled says what to change');
  });
}

test('every component ready -> Healthy, Ready=True, version recorded', () => {
  const a = assess(vizier(), observed('0.1.0'));
  assert.equal(a.phase, 'Healthy');
  assert.equal(cond(a, 'Ready').status, 'True');
  assert.equal(cond(a, 'Degraded').status, 'False');
  assert.equal(cond(a, 'Stalled').status, 'False');
  assert.equal(a.status.version, '0.1.0');
  assert.equal(a.status.pems, '3/3');
  assert.deepEqual(a.status.components!['kelvin'], { ready: 1, desired: 1, version: '0.1.0' });
});

test('a fresh install with nothing ready yet is Pending and Progressing, not Degraded', () => {
  const a = assess(vizier(), new Map());
  assert.equal(a.phase, 'Pending');
  assert.equal(cond(a, 'Ready').status, 'False');
  assert.equal(cond(a, 'Ready').reason, 'NATSUnavailable');
  assert.equal(cond(a, 'Progressing').reason, 'Deploying');
  assert.equal(cond(a, 'Reconciling').status, 'True');
  assert.equal(cond(a, 'Degraded').status, 'False');
  assert.equal(a.status.version, undefined);
});

test('control plane not ready -> Ready=False ControlPlaneNotReady naming the components', () => {
  const a = assess(vizier(), observed('0.1.0', { kelvin: { ready: 0 }, metadata: { ready: 0 } }));
  assert.equal(cond(a, 'Ready').reason, 'ControlPlaneNotReady');
  assert.match(cond(a, 'Ready').message, /metadata 0\/1.*kelvin 0\/1/);
});

test('OOMKilled PEMs -> Degraded PEMsOOMKilled naming memory, the limit and the field to raise', () => {
  const oom = { ready: false, restartCount: 4, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { reason: 'OOMKilled', exitCode: 137, finishedAt: new Date(NOW.getTime() - 60_000) } } };
  const pods = [pod('pem', 'p1', oom), pod('pem', 'p2', oom), pod('pem', 'p3')];
  const a = assess(vizier(), observed('0.1.0', { pem: { ready: 1 } }), { pods });
  assert.equal(a.phase, 'Degraded');
  const d = cond(a, 'Degraded');
  assert.equal(d.status, 'True');
  assert.equal(d.reason, 'PEMsOOMKilled');
  assert.equal(a.reason, 'PEMsOOMKilled');
  assert.match(d.message, /2 pem pods of 3 OOMKilled \(8 restarts\) with memory limit 2Gi; raise spec\.pem\.resources\.memoryLimit/);
  assert.equal(cond(a, 'Stalled').status, 'False', 'OOM kills may stop under less load: degraded, not stalled');
  assert.equal(a.message, d.message);
});

test('an OOM kill long ago on a ready container is history, not a problem', () => {
  const old = { ready: true, restartCount: 1, lastState: { terminated: { reason: 'OOMKilled', exitCode: 137, finishedAt: new Date(NOW.getTime() - 3600_000) } } };
  const a = assess(vizier(), observed('0.1.0'), { pods: [pod('pem', 'p1', old)] });
  assert.equal(a.phase, 'Healthy');
});

test('crash-looping PEMs -> PEMsCrashLooping with the exit code and the pod to inspect', () => {
  const cl = { ready: false, restartCount: 5, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { reason: 'Error', exitCode: 2 } } };
  const a = assess(vizier(), observed('0.1.0', { pem: { ready: 2 } }), { pods: [pod('pem', 'p1', cl), pod('pem', 'p2'), pod('pem', 'p3')] });
  assert.equal(cond(a, 'Degraded').reason, 'PEMsCrashLooping');
  assert.match(cond(a, 'Degraded').message, /last exit code 2.*kubectl logs --previous p1/);
});

test('unschedulable PEMs -> PEMsUnschedulable quoting the scheduler and the memory request', () => {
  const p = pod('pem', 'p1', {}, { phase: 'Pending', containerStatuses: [], conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/1 nodes are available: 1 Insufficient memory.' }] });
  const a = assess(vizier(), observed('0.1.0', { pem: { ready: 2 } }), { pods: [p] });
  assert.equal(cond(a, 'Degraded').reason, 'PEMsUnschedulable');
  assert.match(cond(a, 'Degraded').message, /Insufficient memory\. \(memory request 2Gi\)/);
});

test('image pull failures name the registry and pull secrets fields, and the deadline once past it', () => {
  const p = pod('kelvin', 'k1', { ready: false, state: { waiting: { reason: 'ImagePullBackOff' } } });
  const a = assess(vizier(), observed('0.1.0', { kelvin: { ready: 0 } }), { pods: [p] });
  assert.equal(cond(a, 'Degraded').reason, 'KelvinImagePullFailed');
  assert.match(cond(a, 'Degraded').message, /1 kelvin pod cannot pull x; check spec\.registry/);
  const stuck = assess(vizier({ updateTimeoutSeconds: 60 }), observed('0.1.0', { kelvin: { ready: 0 } }), { pods: [createdAgo(p, 61_000)] });
  assert.match(cond(stuck, 'Ready').message, /1 kelvin pod cannot pull x for over 60s \(spec\.updateTimeoutSeconds\); check spec\.registry, spec\.version and spec\.podPolicy\.imagePullSecrets/);
});

test('nodes with kernels older than 5.8 -> KernelUnsupported naming them; unselected nodes are ignored', () => {
  const nodes = [node('old', '4.19.0-17-amd64'), node('new', '6.1.0-13-amd64'), node('old-gpu', '5.4.0', { pool: 'gpu' })];
  const a = assess(vizier({ pem: { nodeSelector: { 'kubernetes.io/os': 'linux' } } }), observed('0.1.0'), { nodes });
  assert.equal(cond(a, 'Degraded').reason, 'KernelUnsupported');
  assert.match(cond(a, 'Degraded').message, /old \(4\.19\.0-17-amd64\)/);
  const scoped = assess(vizier({ pem: { nodeSelector: { pool: 'gpu' } } }), observed('0.1.0'), { nodes });
  assert.match(cond(scoped, 'Degraded').message, /old-gpu/);
  assert.doesNotMatch(cond(scoped, 'Degraded').message, /old \(/);
});

test('a version change is Updating with rollout bookkeeping, then Failed after the timeout', () => {
  const vz = vizier({ version: '0.2.0', updateTimeoutSeconds: 60 }, {}, { version: '0.1.0' });
  const o = observed('0.1.0', { nats: { version: '0.2.0' } });
  const a = assess(vz, o);
  assert.equal(a.phase, 'Updating');
  assert.deepEqual(a.status.rollout, { targetVersion: '0.2.0', fromVersion: '0.1.0', startedAt: NOW.toISOString() });
  assert.equal(a.status.version, '0.1.0');
  assert.equal(cond(a, 'Progressing').reason, 'RollingOut');

  const later = vizier({ version: '0.2.0', updateTimeoutSeconds: 60 }, {}, { version: '0.1.0', rollout: a.status.rollout });
  const b = assessVizier({ vizier: later, present: componentsOf(later.spec), observed: o, pods: [], nodes: [], now: new Date(NOW.getTime() + 61_000) });
  assert.equal(b.phase, 'Failed');
  assert.equal(b.conditions[0]!.reason, 'UpdateFailed');
  assert.equal(b.reason, 'UpdateFailed');
  assert.match(b.conditions[0]!.message, /from 0\.1\.0 to 0\.2\.0 did not finish within 60s; not ready: metadata 1\/1 at 0\.1\.0, query-broker 1\/1 at 0\.1\.0/);

  const done = assess(later, observed('0.2.0'));
  assert.equal(done.phase, 'Healthy');
  assert.equal(done.status.rollout, undefined);
  assert.equal(done.status.version, '0.2.0');
});

test('crash-looping NATS -> NATSUnavailable and a restart, but not again within the backoff', () => {
  const cl = { ready: false, restartCount: 3, state: { waiting: { reason: 'CrashLoopBackOff' } } };
  const pods = [pod('nats', 'vz-nats-0', cl)];
  const a = assess(vizier(), observed('0.1.0', { nats: { ready: 0 } }), { pods });
  assert.deepEqual(a.natsPodsToRestart, ['vz-nats-0']);
  assert.equal(cond(a, 'Degraded').reason, 'NATSUnavailable');
  assert.equal(cond(a, 'Ready').reason, 'NATSUnavailable');
  const recently = vizier({}, {}, { natsRestartedAt: new Date(NOW.getTime() - 10_000).toISOString() });
  assert.deepEqual(assess(recently, observed('0.1.0', { nats: { ready: 0 } }), { pods }).natsPodsToRestart, []);
});

test('paused -> Paused, nothing restarted', () => {
  const a = assess(vizier({ paused: true }), observed('0.1.0', { nats: { ready: 0 } }), { pods: [pod('nats', 'n', { state: { waiting: { reason: 'CrashLoopBackOff' } } })] });
  assert.equal(a.phase, 'Paused');
  assert.deepEqual(a.natsPodsToRestart, []);
});

test('an invalid spec -> Failed with InvalidSpec and the message', () => {
  const a = assess(vizier(), observed('0.1.0'), { invalidSpec: 'spec.patches[0]: bad' });
  assert.equal(a.phase, 'Failed');
  assert.equal(cond(a, 'Ready').reason, 'InvalidSpec');
  assert.equal(cond(a, 'Ready').message, 'spec.patches[0]: bad');
});

test('a NATS pod that was OOMKilled but is Ready again is left alone', () => {
  const recovered = pod('nats', 'vz-nats-0', { ready: true, restartCount: 1, lastState: { terminated: { reason: 'OOMKilled', exitCode: 137, finishedAt: new Date(NOW.getTime() - 120_000) } } }, { conditions: [{ type: 'Ready', status: 'True' }] });
  assert.deepEqual(assess(vizier(), observed('0.1.0'), { pods: [recovered] }).natsPodsToRestart, []);
});

test('no rollout clock runs while paused; unpausing starts it then', () => {
  const paused = vizier({ version: '0.2.0', paused: true }, {}, { version: '0.1.0' });
  assert.equal(assess(paused, observed('0.1.0')).status.rollout, undefined);
  const resumed = vizier({ version: '0.2.0' }, {}, { version: '0.1.0' });
  assert.equal(assess(resumed, observed('0.1.0')).status.rollout?.startedAt, NOW.toISOString());
});

test('changing the version back mid-rollout is itself a rollout that can time out', () => {
  const back = vizier({ version: '0.1.0', updateTimeoutSeconds: 60 }, {}, { version: '0.1.0' });
  const a = assess(back, observed('0.1.0', { nats: { version: '0.2.0' } }));
  assert.equal(a.phase, 'Updating');
  assert.deepEqual(a.status.rollout, { targetVersion: '0.1.0', fromVersion: '0.2.0', startedAt: NOW.toISOString() });
});

test('children the API server refused -> Failed ApplyFailed with the server message', () => {
  const a = assess(vizier(), observed('0.1.0'), { applyErrors: ['Deployment vz-kelvin: spec.template.spec.containers[0].resources.requests: Invalid value'] });
  assert.equal(a.phase, 'Failed');
  assert.equal(cond(a, 'Ready').reason, 'ApplyFailed');
  assert.match(cond(a, 'Ready').message, /refused 1 child: Deployment vz-kelvin: spec\.template/);
});

test('spec.cloud while `loupe cloud-connector` is not built: CloudConnectorNotAvailable says why, the rest is Ready', () => {
  const vz = vizier({ cloud: { address: 'cloud.example:443', deployKeySecretRef: { name: 'deploy' } } });
  const a = assess(vz, observed('0.1.0', { 'cloud-connector': { desired: 0, ready: 0 } }, vz.spec));
  assert.equal(a.phase, 'Degraded');
  assert.equal(cond(a, 'Ready').status, 'True');
  assert.equal(cond(a, 'Degraded').reason, 'CloudConnectorNotAvailable');
  assert.match(cond(a, 'Degraded').message, /spec\.cloud is set, but this Loupe build has no cloud connector yet .* kept at 0 replicas and the Vizier runs disconnected.*remove spec\.cloud to clear this/);
  assert.equal(a.status.components!['cloud-connector'], undefined);
  assert.equal(cond(assess(vizier(), observed('0.1.0')), 'Degraded').status, 'False', 'no finding without spec.cloud');
});
