// Decides whether a server-side apply would change anything, from the informer's copy, so a
// reconcile with nothing to change sends no request at all (a no-op apply does not write on a
// current server, but it still costs a PATCH per child per reconcile).
import { quantitiesEqual } from '../../lib/quantity.js';

/** Top-level fields apply does not compare: identity, and status (ignored by apply). */
const IGNORED_TOP_LEVEL = new Set(['apiVersion', 'kind', 'status']);

/**
 * False when every field present in `desired` already has the same value in `live`
 * (recursively; arrays must have equal length and match element-wise by the same rule).
 * Quantities compare by amount, so '1Gi' matches the server's '1024Mi' and 1 matches '1'.
 */
export function needsApply(desired: object, live: object | undefined): boolean {
  if (live === undefined) return true;
  const d = desired as Record<string, unknown>;
  const l = live as Record<string, unknown>;
  return Object.keys(d).some((k) => !IGNORED_TOP_LEVEL.has(k) && !isSubset(d[k], l[k]));
}

function isSubset(desired: unknown, live: unknown): boolean {
  if (desired === undefined) return true;
  if (desired === null) return live === null || live === undefined;
  if (Array.isArray(desired)) {
    return Array.isArray(live) && live.length === desired.length && desired.every((d, i) => isSubset(d, live[i]));
  }
  if (typeof desired === 'object') {
    if (typeof live !== 'object' || live === null || Array.isArray(live)) return false;
    const l = live as Record<string, unknown>;
    return Object.entries(desired).every(([k, v]) => isSubset(v, l[k]));
  }
  return desired === live || scalarQuantitiesEqual(desired, live);
}

function scalarQuantitiesEqual(a: unknown, b: unknown): boolean {
  const scalar = (v: unknown): v is string | number => typeof v === 'string' || typeof v === 'number';
  return scalar(a) && scalar(b) && quantitiesEqual(a, b);
}
