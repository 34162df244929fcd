// Decides whether a rendered child must be applied. Server-side apply removes the fields a
// manager stops sending, but only if it is sent at all: a subset comparison never notices a
// removed field, so every rendered object carries a hash of itself and a changed hash applies.
import { createHash } from 'node:crypto';
import type { KubernetesObject } from '@kubernetes/client-node';
import { needsApply } from '../../operator/runtime/diff.js';

export const APPLIED_HASH = 'loupe.dev/applied-hash';

export function stampHash<T extends KubernetesObject>(obj: T): T {
  const hash = createHash('sha256').update(JSON.stringify(obj)).digest('hex').slice(0, 20);
  return { ...obj, metadata: { ...obj.metadata, annotations: { ...(obj.metadata?.annotations ?? {}), [APPLIED_HASH]: hash } } };
}

/** True when `live` already holds this exact rendering and nobody changed a field we own. */
export function upToDate(stamped: KubernetesObject, live: KubernetesObject | undefined): boolean {
  return !!live && live.metadata?.annotations?.[APPLIED_HASH] === stamped.metadata?.annotations?.[APPLIED_HASH] && !needsApply(stamped, live);
}
