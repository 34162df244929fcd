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

/** Stalled=False's reason. */
export const NOT_STALLED = 'NotStalled';

export type ConditionInput = Omit<Condition, 'lastTransitionTime' | 'observedGeneration'>;

export function mergeConditions(previous: Condition[] | undefined, next: ConditionInput[], generation: number | undefined, now: Date): Condition[] {
  return next.map((c) => {
    const prev = previous?.find((p) => p.type === c.type);
    const lastTransitionTime = prev && prev.status === c.status ? prev.lastTransitionTime : now.toISOString();
    return { ...c, ...(generation !== undefined ? { observedGeneration: generation } : {}), lastTransitionTime };
  });
}

/**
 * kstatus's two conditions. Reconciling mirrors Progressing (the controller is still moving
 * towards the spec); Stalled is True only with a `stall` (what the user must change), and then
 * Reconciling is False, since kstatus reads a True Reconciling first.
 */
export function kstatusConditions(progressing: ConditionInput, stall: Pick<ConditionInput, 'reason' | 'message'> | undefined): ConditionInput[] {
  return [
    { type: ConditionType.Reconciling, status: progressing.status === 'True' && !stall ? 'True' : 'False', reason: progressing.reason, message: progressing.message },
    stall
      ? { type: ConditionType.Stalled, status: 'True', reason: stall.reason, message: stall.message }
      : { type: ConditionType.Stalled, status: 'False', reason: NOT_STALLED, message: 'not stalled' },
  ];
}
