// Observed workload state, and the version each component should run during a rollout.
import type { V1DaemonSet, V1Deployment, V1StatefulSet } from '@kubernetes/client-node';
import { VERSION_LABEL } from '../common/labels.js';
import { TIERS, type Component, type WorkloadKind } from './components.js';

export interface WorkloadObservation {
  kind: WorkloadKind;
  version: string | undefined;
  desired: number;
  ready: number;
  /** The workload controller has caught up with the latest spec and replaced every old pod. */
  settled: boolean;
}

type Workload = V1Deployment | V1StatefulSet | V1DaemonSet;

export function observeWorkload(obj: Workload): WorkloadObservation {
  const generation = obj.metadata?.generation ?? 0;
  const version = obj.metadata?.labels?.[VERSION_LABEL];
  const caughtUp = (obj.status?.observedGeneration ?? 0) >= generation;
  if (obj.kind === 'DaemonSet') {
    const s = (obj as V1DaemonSet).status;
    const desired = s?.desiredNumberScheduled ?? 0;
    return { kind: 'DaemonSet', version, desired, ready: s?.numberReady ?? 0, settled: caughtUp && (s?.updatedNumberScheduled ?? 0) >= desired };
  }
  if (obj.kind === 'StatefulSet') {
    const st = obj as V1StatefulSet;
    const desired = st.spec?.replicas ?? 1;
    const s = st.status;
    const revisionsMatch = !s?.updateRevision || s.currentRevision === s.updateRevision || (s.updatedReplicas ?? 0) >= desired;
    return { kind: 'StatefulSet', version, desired, ready: s?.readyReplicas ?? 0, settled: caughtUp && revisionsMatch };
  }
  const d = obj as V1Deployment;
  const desired = d.spec?.replicas ?? 1;
  const s = d.status;
  return {
    kind: 'Deployment',
    version,
    desired,
    ready: s?.readyReplicas ?? 0,
    settled: caughtUp && (s?.updatedReplicas ?? 0) >= desired && (s?.replicas ?? 0) <= desired,
  };
}

export function readyAt(obs: WorkloadObservation | undefined, version: string): boolean {
  return !!obs && obs.version === version && obs.settled && obs.desired > 0 && obs.ready >= obs.desired;
}

/**
 * The version each component gets now. A component moves to `target` only when every
 * component of every earlier tier already runs `target` and is ready; a component that
 * does not exist yet starts at `target` (a fresh install deploys everything at once).
 */
export function planVersions(target: string, present: Map<Component, WorkloadKind>, observed: Map<Component, WorkloadObservation>): Partial<Record<Component, string>> {
  const versions: Partial<Record<Component, string>> = {};
  let earlierReady = true;
  for (const tier of TIERS) {
    const members = tier.filter((c) => present.has(c));
    for (const c of members) {
      const obs = observed.get(c);
      versions[c] = !obs || !obs.version || earlierReady ? target : obs.version;
    }
    earlierReady = earlierReady && members.every((c) => readyAt(observed.get(c), target));
  }
  return versions;
}
