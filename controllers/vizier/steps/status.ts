// Step "status": the next status from the assessment, written as a merge patch of what
// changed, and only when something did (an idle operator makes no writes); an Event when the
// phase changes.
import type { KubernetesObject } from '@kubernetes/client-node';
import { isDeepStrictEqual } from 'node:util';
import type { Vizier, VizierStatus } from '../../../crds/kinds/vizier.js';
import type { ReconcileContext } from '../../../operator/runtime/types.js';
import { mergeConditions } from '../../common/conditions.js';
import { diffMergePatch } from '../../common/patches.js';
import type { Assessment } from '../assess.js';
import { VIZIER } from '../kind.js';

export interface StatusExtras {
  natsRestartedAt?: string;
  tlsNotAfter?: string;
}

/** The status to store, as it will read back (undefined fields dropped, dates as strings). */
export function nextStatus(vz: Vizier, a: Assessment, extras: StatusExtras, now: Date): VizierStatus {
  const next: VizierStatus = {
    observedGeneration: vz.metadata.generation,
    phase: a.phase,
    message: a.message,
    conditions: mergeConditions(vz.status?.conditions, a.conditions, vz.metadata.generation, now),
    ...a.status,
    ...(extras.natsRestartedAt ? { natsRestartedAt: extras.natsRestartedAt } : {}),
    ...(extras.tlsNotAfter ? { tlsNotAfter: extras.tlsNotAfter } : {}),
  };
  return JSON.parse(JSON.stringify(next)) as VizierStatus;
}

/** Writes `next` when it differs from the stored status; returns whether it wrote. */
export async function writeStatus(ctx: ReconcileContext, vz: Vizier, next: VizierStatus, a: Assessment): Promise<boolean> {
  const stored = JSON.parse(JSON.stringify(vz.status ?? {})) as VizierStatus;
  if (isDeepStrictEqual(next, stored)) return false;
  await ctx.client.patchStatus(VIZIER, { namespace: vz.metadata.namespace!, name: vz.metadata.name! }, diffMergePatch(stored, next));
  if (stored.phase !== next.phase) ctx.events.event(vz as KubernetesObject, a.phase === 'Degraded' || a.phase === 'Failed' ? 'Warning' : 'Normal', a.reason, a.message);
  return true;
}
