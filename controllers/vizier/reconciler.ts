// The Vizier reconcile, as named steps: finalizer -> TLS -> render -> apply -> prune ->
// assess -> NATS restart -> status -> requeue. Each step is a small function in steps/; this
// file only orders them and passes what one step found to the next.
import type { KubernetesObject, V1Node, V1Pod } from '@kubernetes/client-node';
import { DEFAULT_REGISTRY, type Vizier } from '../../crds/kinds/vizier.js';
import type { Controller, ControllerSettings, ObjectKey, ReconcileContext, ReconcileResult, ExtraPermission } from '../../operator/runtime/types.js';
import { ownedSelector } from '../common/labels.js';
import { PatchError } from '../common/patches.js';
import { Types } from '../common/resources.js';
import type { TlsMaterial } from '../common/tls.js';
import { assessVizier } from './assess.js';
import { APP, componentsOf, type Component, type WorkloadKind } from './components.js';
import { VIZIER, brokenRules, withDefaults, type DefaultedVizier } from './kind.js';
import { CLUSTER_CHILD_TYPES, COMPONENT_LABEL, INSTANCE_LABEL, NAMESPACED_CHILD_TYPES, childSelector, ownedBy } from './ownership.js';
import { METADATA_READ_RULES, renderVizier, InvalidSpecError } from './render.js';
import { observeWorkload, planVersions, type WorkloadObservation } from './rollout.js';
import { applyChildren, describeFailure, type ApplyFailure } from './steps/apply.js';
import { ensureFinalizer, finalize } from './steps/finalizer.js';
import { restartNatsPods } from './steps/nats-restart.js';
import { pruneChildren } from './steps/prune.js';
import { requeueAfterMs } from './steps/requeue.js';
import { nextStatus, writeStatus } from './steps/status.js';
import { ensureTls, reportedTlsNotAfter, type TlsStep } from './steps/tls.js';

/** The workloads of the components this spec runs, as their controllers report them. */
function observeWorkloads(ctx: ReconcileContext, vz: Vizier, present: Map<Component, WorkloadKind>): Map<Component, WorkloadObservation> {
  const observed = new Map<Component, WorkloadObservation>();
  for (const t of [Types.Deployment, Types.StatefulSet, Types.DaemonSet]) {
    for (const w of ctx.lister(t).list(vz.metadata.namespace, childSelector(vz))) {
      const c = w.metadata?.labels?.[COMPONENT_LABEL] as Component | undefined;
      if (c && present.get(c) === t.kind && ownedBy(w, vz)) observed.set(c, observeWorkload(w));
    }
  }
  return observed;
}

type Rendered = { desired: KubernetesObject[] } | { invalidSpec: string };

function render(vz: DefaultedVizier, tls: TlsMaterial, present: Map<Component, WorkloadKind>, observed: Map<Component, WorkloadObservation>): Rendered {
  const broken = brokenRules(vz);
  if (broken) return { invalidSpec: broken };
  try {
    return { desired: renderVizier({ vizier: vz, tls, versions: planVersions(vz.spec.version, present, observed) }) };
  } catch (err) {
    if (err instanceof PatchError || err instanceof InvalidSpecError) return { invalidSpec: err.message };
    throw err;
  }
}

export async function reconcileVizier(key: ObjectKey, ctx: ReconcileContext, settings: ControllerSettings = { registry: DEFAULT_REGISTRY }): Promise<ReconcileResult | void> {
  const cached = ctx.lister<Vizier & KubernetesObject>(VIZIER).get(key.namespace, key.name);
  if (!cached) return;
  const vz = withDefaults(cached as Vizier, settings.registry);
  const now = ctx.now();

  if (vz.metadata.deletionTimestamp) return finalize(ctx, vz);
  await ensureFinalizer(ctx, vz);

  const present = componentsOf(vz.spec);
  const observed = observeWorkloads(ctx, vz, present);
  let tls: TlsStep | undefined;
  let invalidSpec: string | undefined;
  let failures: ApplyFailure[] = [];
  if (!vz.spec.paused) {
    tls = await ensureTls(ctx, vz, now);
    const rendered = render(vz, tls.material, present, observed);
    if ('invalidSpec' in rendered) invalidSpec = rendered.invalidSpec;
    else {
      failures = (await applyChildren(ctx, vz, rendered.desired)).failures;
      await pruneChildren(ctx, vz, rendered.desired);
    }
  }
  const secretsApplied = !invalidSpec && !failures.some((f) => f.kind === Types.Secret.kind);
  const tlsNotAfter = reportedTlsNotAfter(vz.status?.tlsNotAfter, tls, secretsApplied);

  const pods = ctx.lister<V1Pod>(Types.Pod).list(vz.metadata.namespace, childSelector(vz));
  const nodes = ctx.lister<V1Node>(Types.Node).list();
  const assessment = assessVizier({ vizier: vz, present, observed, pods, nodes, now, invalidSpec, applyErrors: failures.map(describeFailure) });

  const natsRestartedAt = await restartNatsPods(ctx, vz, assessment.natsPodsToRestart, now);
  await writeStatus(ctx, vz, nextStatus(vz, assessment, { natsRestartedAt, tlsNotAfter }, now), assessment);

  if (failures.length) throw new Error(`could not apply ${failures.length} children (reported in status): ${failures.map(describeFailure).join('; ')}`);
  const natsPods = pods.some((p) => p.metadata?.labels?.[COMPONENT_LABEL] === 'nats');
  const requeue = requeueAfterMs({ vizier: vz, assessment, natsRestartedAt, natsPods, tlsNotAfter, now });
  return requeue === undefined ? undefined : { requeueAfterMs: requeue };
}

/** The read-only ClusterRole a Vizier creates for its metadata service: RBAC lets the operator grant only what it holds. */
const METADATA_GRANTS: ExtraPermission = { reason: 'vizier: the read-only ClusterRole it creates (and binds) for the metadata service', rules: METADATA_READ_RULES };

export function vizierController(settings: ControllerSettings): Controller {
  return {
    name: 'vizier',
    for: VIZIER,
    owns: [...NAMESPACED_CHILD_TYPES, ...CLUSTER_CHILD_TYPES],
    ownedLabelSelector: ownedSelector(APP),
    watches: [
      {
        type: Types.Pod,
        labelSelector: ownedSelector(APP),
        map: (pod) => {
          const instance = pod.metadata?.labels?.[INSTANCE_LABEL];
          return instance && pod.metadata?.namespace ? [{ namespace: pod.metadata.namespace, name: instance }] : [];
        },
        // Failing NATS pods are deleted so their StatefulSet recreates them.
        verbs: ['delete'],
      },
      // Volume claims are cached so deletion can remove them; they wake nothing.
      { type: Types.PersistentVolumeClaim, labelSelector: ownedSelector(APP), map: () => [], verbs: ['delete'] },
      // Nodes are cached for the kernel check but wake nothing: their heartbeats would
      // reconcile every Vizier every few seconds. A new node shows up through its PEM pod.
      { type: Types.Node, map: () => [] },
    ],
    extraPermissions: [METADATA_GRANTS],
    reconcile: (key, ctx) => reconcileVizier(key, ctx, settings),
  };
}
