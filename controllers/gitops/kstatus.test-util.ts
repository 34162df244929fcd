// kstatus's computation for a custom resource, as sigs.k8s.io/cli-utils pkg/kstatus/status
// computes it (Compute: the generic properties, then the Ready fallback): what Flux's health
// checks, `kubectl wait --for=jsonpath` users following kstatus, and cli-utils appliers see.
import type { KstatusCode } from './argocd/vizier-cases.js';

interface Conditioned {
  kind?: string;
  metadata?: { generation?: number; deletionTimestamp?: unknown };
  status?: { observedGeneration?: number; conditions?: { type: string; status: string; reason?: string; message?: string }[] };
}

export interface KstatusResult {
  status: KstatusCode;
  message: string;
}

export function computeKstatus(obj: Conditioned): KstatusResult {
  if (obj.metadata?.deletionTimestamp) return { status: 'Terminating', message: 'Resource scheduled for deletion' };
  const generation = obj.metadata?.generation;
  const observed = obj.status?.observedGeneration;
  // Only when both are there: without observedGeneration kstatus cannot tell, and goes on.
  if (generation !== undefined && observed !== undefined && observed !== generation) {
    return { status: 'InProgress', message: `${obj.kind} generation is ${generation}, but latest observed generation is ${observed}` };
  }
  const conditions = obj.status?.conditions ?? [];
  // Abnormal-true: whichever of the two comes first in the list, True, decides.
  for (const c of conditions) {
    if (c.type === 'Reconciling' && c.status === 'True') return { status: 'InProgress', message: c.message ?? '' };
    if (c.type === 'Stalled' && c.status === 'True') return { status: 'Failed', message: c.message ?? '' };
  }
  // Not a built-in type, so no type-specific rules: a Ready condition if there is one, else Current.
  const ready = conditions.find((c) => c.type === 'Ready');
  if (ready?.status === 'True') return { status: 'Current', message: 'Resource is Ready' };
  if (ready?.status === 'False' || ready?.status === 'Unknown') return { status: 'InProgress', message: ready.message ?? '' };
  return { status: 'Current', message: 'Resource is current' };
}
