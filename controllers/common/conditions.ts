// Kubernetes-convention conditions: lastTransitionTime moves only when status changes.
import type { Condition } from '../../crds/schema.js';

export type ConditionInput = Omit<Condition, 'lastTransitionTime' | 'observedGeneration'>;

export function mergeConditions(previous: Condition[] | undefined, next: ConditionInput[], generation: number | undefined, now: Date): Condition[] {
  return next.map((c) => {
    const prev = previous?.find((p) => p.type === c.type);
    const lastTransitionTime = prev && prev.status === c.status ? prev.lastTransitionTime : now.toISOString();
    return { ...c, ...(generation !== undefined ? { observedGeneration: generation } : {}), lastTransitionTime };
  });
}
