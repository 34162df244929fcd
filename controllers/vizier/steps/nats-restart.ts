// Step "NATS restart": deletes the failing NATS pods the assessment named, so their
// StatefulSet recreates them (the assessment keeps NATS_RESTART_BACKOFF_MS between restarts).
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Vizier } from '../../../crds/kinds/vizier.js';
import type { ReconcileContext } from '../../../operator/runtime/types.js';
import { Types } from '../../common/resources.js';
import { VizierEventReason } from '../reasons.js';

/** Returns when NATS was last restarted: now if a pod was deleted, else what status says. */
export async function restartNatsPods(ctx: ReconcileContext, vz: Vizier, pods: readonly string[], now: Date): Promise<string | undefined> {
  let restartedAt = vz.status?.natsRestartedAt;
  for (const pod of pods) {
    await ctx.client.delete(Types.Pod, { namespace: vz.metadata.namespace!, name: pod });
    restartedAt = now.toISOString();
    ctx.events.event(vz as KubernetesObject, 'Warning', VizierEventReason.NATSRestarted, `restarted failing NATS pod ${pod}`);
  }
  return restartedAt;
}
