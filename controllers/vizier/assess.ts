// Observed children, pods and nodes -> phase, conditions and actionable reasons. Pure.
//
// kstatus semantics: Stalled=True (phase Failed) only when the operator cannot make progress
// until the user changes something: a spec that cannot be rendered, a child the API server
// refuses, a rollout past spec.updateTimeoutSeconds, an image that cannot be pulled (an
// invalid name at once, any other pull failure once it lasted spec.updateTimeoutSeconds). A
// Vizier that is degraded but may still get there (crash-looping or OOMKilled pods, pods that
// cannot be scheduled yet, NATS down) is Degraded with Stalled=False, and Reconciling=True
// while components are not ready.
import type { V1Node, V1Pod, V1ContainerStatus } from '@kubernetes/client-node';
import type { Vizier, VizierPhase, VizierStatus } from '../../crds/kinds/vizier.js';
import { VIZIER_ROLE_CONTRACTS } from '../../crds/contract/index.js';
import { ConditionType, kstatusConditions, type ConditionInput } from '../common/conditions.js';
import { MEMORY_FIELD, REASON_PREFIX, TIERS, type Component, type WorkloadKind } from './components.js';
import { PodProblem, VizierReason, componentReason } from './reasons.js';
import { readyAt, type WorkloadObservation } from './rollout.js';

/** PEMs need BPF ring buffers (5.8) and BTF for CO-RE. */
export const MIN_KERNEL: readonly [number, number] = [5, 8];
export const OOM_WINDOW_MS = 10 * 60_000;
export const NATS_RESTART_BACKOFF_MS = 60_000;
export const NATS_NOT_READY_GRACE_MS = 120_000;

export interface AssessInput {
  vizier: Vizier;
  present: Map<Component, WorkloadKind>;
  observed: Map<Component, WorkloadObservation>;
  pods: V1Pod[];
  nodes: V1Node[];
  now: Date;
  /** A spec problem found while rendering (e.g. a patch that does not apply). */
  invalidSpec?: string;
  /** Children the API server refused, as "Kind name: server message". */
  applyErrors?: string[];
}

export interface Finding {
  reason: string;
  message: string;
  /** The operator cannot make progress until the user changes something (kstatus Stalled). */
  stalls: boolean;
}

export interface Assessment {
  /** Failed exactly when Stalled=True; Degraded when something is wrong that may still recover. */
  phase: VizierPhase;
  /** Why the Vizier is in this phase, CamelCase: the reason of Ready when Failed, of Degraded when Degraded, else the phase. */
  reason: string;
  conditions: ConditionInput[];
  message: string;
  findings: Finding[];
  status: Pick<VizierStatus, 'version' | 'pems' | 'components' | 'rollout'>;
  /** NATS pods the reconciler should delete so their StatefulSet recreates them. */
  natsPodsToRestart: string[];
}

const componentOf = (p: V1Pod) => p.metadata?.labels?.['app.kubernetes.io/component'] as Component | undefined;

function statuses(p: V1Pod): V1ContainerStatus[] {
  return [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])];
}

function oomKilled(p: V1Pod, now: Date): boolean {
  return statuses(p).some((cs) => {
    const t = cs.state?.terminated?.reason === 'OOMKilled' ? cs.state.terminated : cs.lastState?.terminated?.reason === 'OOMKilled' ? cs.lastState.terminated : undefined;
    if (!t) return false;
    const at = t.finishedAt ? new Date(t.finishedAt).getTime() : now.getTime();
    return now.getTime() - at <= OOM_WINDOW_MS || !cs.ready;
  });
}

const waitingReason = (p: V1Pod) => statuses(p).map((cs) => cs.state?.waiting?.reason).find((r) => !!r);
const restarts = (p: V1Pod) => statuses(p).reduce((n, cs) => n + (cs.restartCount ?? 0), 0);
const unschedulable = (p: V1Pod) => p.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False' && c.reason === 'Unschedulable');
const podReady = (p: V1Pod) => p.status?.conditions?.find((c) => c.type === 'Ready');

function limitOf(pods: V1Pod[], resource: 'limits' | 'requests'): string | undefined {
  return pods.map((p) => p.spec?.containers?.[0]?.resources?.[resource]?.['memory']).find((m) => !!m);
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

const IMAGE_PULL_WAITING = ['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName'];

/** How long `p` has existed; a pod without a creation time counts as new. */
function ageMs(p: V1Pod, now: Date): number {
  const created = p.metadata?.creationTimestamp;
  return created ? now.getTime() - new Date(created).getTime() : 0;
}

/** Problems visible on the pods of one component, each with what to do about it. */
function podFindings(c: Component, pods: V1Pod[], now: Date, progressDeadlineMs: number): Finding[] {
  const out: Finding[] = [];
  const oom = pods.filter((p) => oomKilled(p, now));
  if (oom.length) {
    const limit = limitOf(oom, 'limits') ?? 'none';
    out.push({
      reason: componentReason(c, PodProblem.OOMKilled),
      message: `${plural(oom.length, `${c} pod`)} of ${pods.length} OOMKilled (${plural(oom.reduce((n, p) => n + restarts(p), 0), 'restart')}) with memory limit ${limit}; raise ${MEMORY_FIELD[c]}`,
      stalls: false,
    });
  }
  const looping = pods.filter((p) => !oom.includes(p) && waitingReason(p) === 'CrashLoopBackOff');
  if (looping.length) {
    const exit = statuses(looping[0]!).map((cs) => cs.lastState?.terminated?.exitCode).find((e) => e !== undefined);
    out.push({
      reason: componentReason(c, PodProblem.CrashLooping),
      message: `${plural(looping.length, `${c} pod`)} of ${pods.length} in CrashLoopBackOff${exit !== undefined ? ` (last exit code ${exit})` : ''}; see \`kubectl logs --previous ${looping[0]!.metadata?.name}\``,
      stalls: false,
    });
  }
  const pulls = pods.filter((p) => IMAGE_PULL_WAITING.includes(waitingReason(p) ?? ''));
  if (pulls.length) {
    const image = pulls[0]!.spec?.containers?.[0]?.image;
    // The kubelet retries pulls on its own, so a registry hiccup heals; a malformed name or a
    // pull failing for the whole progress deadline (no such image, no access) needs the user.
    const invalid = pulls.some((p) => waitingReason(p) === 'InvalidImageName');
    const stuck = pulls.some((p) => ageMs(p, now) > progressDeadlineMs);
    const why = invalid ? ' (invalid image name)' : stuck ? ` for over ${progressDeadlineMs / 1000}s (spec.updateTimeoutSeconds)` : '';
    out.push({
      reason: componentReason(c, PodProblem.ImagePullFailed),
      message: `${plural(pulls.length, `${c} pod`)} cannot pull ${image}${why}; check spec.registry, spec.version and spec.podPolicy.imagePullSecrets`,
      stalls: invalid || stuck,
    });
  }
  const pending = pods.map((p) => ({ p, cond: unschedulable(p) })).filter((x) => !!x.cond);
  if (pending.length) {
    const request = limitOf(pending.map((x) => x.p), 'requests');
    out.push({
      reason: componentReason(c, PodProblem.Unschedulable),
      message: `${plural(pending.length, `${c} pod`)} cannot be scheduled: ${pending[0]!.cond!.message ?? 'no node fits'}${request ? ` (memory request ${request})` : ''}; lower the request, add capacity or adjust node selectors and tolerations`,
      stalls: false,
    });
  }
  return out;
}

function kernelTooOld(version: string | undefined): boolean {
  const m = /^(\d+)\.(\d+)/.exec(version ?? '');
  if (!m) return false;
  const major = Number(m[1]);
  const minor = Number(m[2]);
  return major < MIN_KERNEL[0] || (major === MIN_KERNEL[0] && minor < MIN_KERNEL[1]);
}

function matchesSelector(node: V1Node, selector: Record<string, string>): boolean {
  return Object.entries(selector).every(([k, v]) => node.metadata?.labels?.[k] === v);
}

function kernelFindings(vz: Vizier, nodes: V1Node[]): Finding[] {
  const selector = { ...(vz.spec.podPolicy.nodeSelector ?? {}), ...(vz.spec.pem.nodeSelector ?? {}) };
  const old = nodes.filter((n) => matchesSelector(n, selector) && kernelTooOld(n.status?.nodeInfo?.kernelVersion));
  if (!old.length) return [];
  const list = old.slice(0, 5).map((n) => `${n.metadata?.name} (${n.status?.nodeInfo?.kernelVersion})`).join(', ');
  return [
    {
      reason: VizierReason.KernelUnsupported,
      message: `PEMs need Linux ${MIN_KERNEL.join('.')} or newer (BPF ring buffers, BTF); ${plural(old.length, 'node')} ${old.length === 1 ? 'runs an older kernel and collects' : 'run older kernels and collect'} nothing: ${list}${old.length > 5 ? ', ...' : ''}. Upgrade them or exclude them with spec.pem.nodeSelector`,
      stalls: false,
    },
  ];
}

function natsRestarts(vz: Vizier, pods: V1Pod[], now: Date): string[] {
  const last = vz.status?.natsRestartedAt ? new Date(vz.status.natsRestartedAt).getTime() : 0;
  if (now.getTime() - last < NATS_RESTART_BACKOFF_MS) return [];
  return pods
    .filter((p) => componentOf(p) === 'nats' && !p.metadata?.deletionTimestamp)
    .filter((p) => {
      const ready = podReady(p);
      if (ready?.status === 'True') return false;
      if (waitingReason(p) === 'CrashLoopBackOff' || oomKilled(p, now)) return true;
      const since = ready?.lastTransitionTime ? new Date(ready.lastTransitionTime).getTime() : now.getTime();
      return p.status?.phase === 'Running' && ready?.status === 'False' && now.getTime() - since > NATS_NOT_READY_GRACE_MS;
    })
    .map((p) => p.metadata!.name!);
}

/** Components whose role this build does not have yet: rendered at 0 replicas, reported, not waited for. */
export function unbuiltComponents(present: ReadonlyMap<Component, WorkloadKind>): Component[] {
  return [...present.keys()].filter((c) => c in VIZIER_ROLE_CONTRACTS && !VIZIER_ROLE_CONTRACTS[c as keyof typeof VIZIER_ROLE_CONTRACTS].built);
}

export function assessVizier(input: AssessInput): Assessment {
  const { vizier: vz, observed, now } = input;
  const unbuilt = unbuiltComponents(input.present);
  const present = new Map([...input.present].filter(([c]) => !unbuilt.includes(c)));
  const target = vz.spec.version;
  const components: NonNullable<VizierStatus['components']> = {};
  for (const c of present.keys()) {
    const o = observed.get(c);
    components[c] = { ready: o?.ready ?? 0, desired: o?.desired ?? 0, ...(o?.version ? { version: o.version } : {}) };
  }
  const pem = observed.get('pem');
  const pems = `${pem?.ready ?? 0}/${pem?.desired ?? 0}`;

  const allReady = [...present.keys()].every((c) => readyAt(observed.get(c), target));
  const previous = vz.status?.version;
  // A rollout is under way while any component runs another version than the target: after a
  // version change, and also after a change back mid-rollout. Paused Viziers run no clock.
  const strayVersion = [...observed.values()].map((o) => o.version).find((v) => v && v !== target);
  let rollout: VizierStatus['rollout'];
  if (!vz.spec.paused && !allReady && ((previous && previous !== target) || strayVersion)) {
    rollout = vz.status?.rollout?.targetVersion === target ? vz.status.rollout : { targetVersion: target, fromVersion: previous && previous !== target ? previous : strayVersion!, startedAt: now.toISOString() };
  }

  const progressDeadlineMs = vz.spec.updateTimeoutSeconds * 1000;
  const timedOut = !!rollout && now.getTime() - new Date(rollout.startedAt).getTime() > progressDeadlineMs;

  const findings: Finding[] = unbuilt.map((c) => ({
    reason: `${REASON_PREFIX[c]}NotAvailable`,
    message: c === 'cloud-connector'
      ? 'spec.cloud is set, but this Loupe build has no cloud connector yet (`loupe cloud-connector` comes with Loupe Cloud), so its Deployment is kept at 0 replicas and the Vizier runs disconnected: queries work through the query broker; remove spec.cloud to clear this'
      : `this Loupe build has no \`loupe ${c}\` yet; its workload is kept at 0 replicas`,
    stalls: false,
  }));
  if (input.invalidSpec) findings.push({ reason: VizierReason.InvalidSpec, message: input.invalidSpec, stalls: true });
  if (input.applyErrors?.length) {
    const message = `the API server refused ${plural(input.applyErrors.length, 'child', 'children')}: ${input.applyErrors.join('; ')}`;
    findings.push({ reason: VizierReason.ApplyFailed, message, stalls: true });
  }
  const nats = observed.get('nats');
  if (nats && nats.desired > 0 && nats.ready === 0 && input.pods.some((p) => componentOf(p) === 'nats' && (waitingReason(p) || oomKilled(p, now)))) {
    findings.push({ reason: VizierReason.NATSUnavailable, message: 'NATS has no ready pod and every component depends on it; the operator restarts failing NATS pods', stalls: false });
  }
  for (const tier of TIERS) {
    for (const c of tier) {
      if (!present.has(c)) continue;
      findings.push(...podFindings(c, input.pods.filter((p) => componentOf(p) === c), now, progressDeadlineMs));
    }
  }
  findings.push(...kernelFindings(vz, input.nodes));

  const notReady = [...present.keys()].filter((c) => !readyAt(observed.get(c), target));
  const describe = (cs: Component[]) =>
    cs
      .map((c) => {
        const o = observed.get(c);
        const state = !o ? ' missing' : o.version !== target ? ` at ${o.version ?? 'unknown version'}` : !o.settled ? ' updating' : '';
        return `${c} ${components[c]!.ready}/${components[c]!.desired}${state}`;
      })
      .join(', ');
  const controlPlane = notReady.filter((c) => c !== 'pem' && c !== 'nats');

  // What keeps the operator from making progress without a change from the user, if anything.
  const stall: Omit<Finding, 'stalls'> | undefined =
    findings.find((f) => f.stalls) ??
    (timedOut
      ? { reason: VizierReason.UpdateFailed, message: `update from ${rollout!.fromVersion} to ${target} did not finish within ${vz.spec.updateTimeoutSeconds}s; not ready: ${describe(notReady)}` }
      : undefined);

  let phase: VizierPhase;
  let ready: ConditionInput;
  if (vz.spec.paused) {
    phase = 'Paused';
    ready = { type: ConditionType.Ready, status: 'Unknown', reason: VizierReason.Paused, message: 'spec.paused is true: the operator does not touch the children' };
  } else if (stall) {
    phase = 'Failed';
    ready = { type: ConditionType.Ready, status: 'False', reason: stall.reason, message: stall.message };
  } else if (allReady) {
    phase = findings.length ? 'Degraded' : 'Healthy';
    ready = { type: ConditionType.Ready, status: 'True', reason: VizierReason.AllComponentsReady, message: `all ${present.size} components ready at ${target} (${pems} PEMs)` };
  } else {
    phase = findings.length ? 'Degraded' : rollout ? 'Updating' : 'Pending';
    if (notReady.includes('nats')) ready = { type: ConditionType.Ready, status: 'False', reason: VizierReason.NATSUnavailable, message: `NATS is not ready (${describe(['nats'])})` };
    else if (controlPlane.length) ready = { type: ConditionType.Ready, status: 'False', reason: VizierReason.ControlPlaneNotReady, message: `not ready: ${describe(controlPlane)}` };
    else {
      const message = pem && pem.desired === 0 ? 'no node runs a PEM: check spec.pem.nodeSelector and tolerations' : `PEMs ready: ${pems}`;
      ready = { type: ConditionType.Ready, status: 'False', reason: VizierReason.PEMsNotReady, message };
    }
  }

  const progressing: ConditionInput = vz.spec.paused
    ? { type: ConditionType.Progressing, status: 'False', reason: VizierReason.Paused, message: 'reconciliation is paused' }
    : phase === 'Failed'
      ? { type: ConditionType.Progressing, status: 'False', reason: ready.reason, message: ready.message }
      : rollout
        ? { type: ConditionType.Progressing, status: 'True', reason: VizierReason.RollingOut, message: `rolling out ${target} from ${rollout.fromVersion} in dependency order; waiting for: ${describe(notReady)}` }
        : !allReady
          ? { type: ConditionType.Progressing, status: 'True', reason: VizierReason.Deploying, message: `waiting for: ${describe(notReady)}` }
          : { type: ConditionType.Progressing, status: 'False', reason: VizierReason.Complete, message: `running ${target}` };
  const degraded: ConditionInput = findings.length
    ? { type: ConditionType.Degraded, status: 'True', reason: findings[0]!.reason, message: findings.map((f) => f.message).join('; ') }
    : { type: ConditionType.Degraded, status: 'False', reason: VizierReason.NoProblems, message: 'no problems found' };
  const conditions: ConditionInput[] = [ready, progressing, degraded, ...kstatusConditions(progressing, phase === 'Failed' ? ready : undefined)];

  const message = phase === 'Degraded' ? degraded.message : phase === 'Healthy' ? ready.message : phase === 'Updating' || phase === 'Pending' ? progressing.message : ready.message;
  return {
    phase,
    reason: phase === 'Failed' ? ready.reason : phase === 'Degraded' ? degraded.reason : phase,
    conditions,
    message,
    findings,
    status: { ...(allReady ? { version: target } : previous ? { version: previous } : {}), pems, components, ...(rollout ? { rollout } : {}) },
    natsPodsToRestart: vz.spec.paused ? [] : natsRestarts(vz, input.pods, now),
  };
}
