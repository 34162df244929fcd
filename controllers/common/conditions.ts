// Kubernetes-convention conditions: lastTransitionTime moves only when status changes.
import type { Condition } from '../../crds/schema.js';

/**
 * The condition types every Loupe kind reports. Ready, Progressing and Degraded follow the
 * Kubernetes API conventions; Reconciling and Stalled are kstatus's (Flux, Argo CD, `kubectl
 * wait`, cli-utils): Reconciling=True while the controller is still making progress towards
 * the spec, Stalled=True only when it cannot make progress until the user changes something.
 */
export const ConditionType = {
  Ready: 'Ready',
  Progressing: 'Progressing',
  Degraded: 'Degraded',
  Reconciling: 'Reconciling',
  Stalled: 'Stalled',
} as const;

export type ConditionInput = Omit<Condition, 'lastTransitionTime' | 'observedGeneration'>;

export function mergeConditions(previous: Condition[] | undefined, next: ConditionInput[], generation: number | undefined, now: Date): Condition[] {
  return next.map((c) => {
    const prev = previous?.find((p) => p.type === c.type);
    const lastTransitionTime = prev && prev.status === c.status ? prev.lastTransitionTime : now.toISOString();
    return { ...c, ...(generation !== undefined ? { observedGeneration: generation } : {}), lastTransitionTime };
  });
}
