// Step "requeue": when to look again for what no watch event announces: a rollout deadline,
// the end of the NATS restart backoff, findings that may have changed (OOM kills age out, an
// image pull reaches its deadline), and TLS rotation.
import type { Vizier } from '../../../crds/kinds/vizier.js';
import { ROTATE_BEFORE_DAYS } from '../../common/tls.js';
import { NATS_RESTART_BACKOFF_MS, type Assessment } from '../assess.js';

/** Findings are looked at again this often while there are any. */
export const FINDINGS_RECHECK_MS = 60_000;
/** A certificate already due (its Secret could not be written) is looked at again at most this often. */
const TLS_RECHECK_FLOOR_MS = 60_000;
/** setTimeout's limit. */
const MAX_DELAY_MS = 2 ** 31 - 1;
const DAY_MS = 86_400_000;

export interface RequeueInput {
  vizier: Vizier;
  assessment: Assessment;
  natsRestartedAt?: string;
  /** Whether NATS has pods (a restarted one may still be failing). */
  natsPods: boolean;
  tlsNotAfter?: string;
  now: Date;
}

/** Milliseconds until the next reconcile no event would trigger, or undefined for none. */
export function requeueAfterMs(input: RequeueInput): number | undefined {
  const { vizier: vz, assessment: a, now } = input;
  const waits: number[] = [];
  if (a.status.rollout) {
    const left = new Date(a.status.rollout.startedAt).getTime() + vz.spec.updateTimeoutSeconds * 1000 - now.getTime();
    // Just past the deadline, so the timeout is seen.
    if (left > 0) waits.push(left + 1000);
  }
  if (a.findings.length) waits.push(FINDINGS_RECHECK_MS);
  if (input.natsRestartedAt && input.natsPods && a.phase !== 'Healthy') {
    const left = new Date(input.natsRestartedAt).getTime() + NATS_RESTART_BACKOFF_MS - now.getTime();
    if (left > 0) waits.push(left + 500);
  }
  if (input.tlsNotAfter) waits.push(Math.max(TLS_RECHECK_FLOOR_MS, new Date(input.tlsNotAfter).getTime() - ROTATE_BEFORE_DAYS * DAY_MS - now.getTime()));
  return waits.length ? Math.min(...waits.map((w) => Math.min(w, MAX_DELAY_MS))) : undefined;
}
