// Thin glue: read -> render -> apply what differs -> prune -> assess -> write status if changed.
import { isDeepStrictEqual } from 'node:util';
import type { KubernetesObject, V1Pod, V1Secret, V1Node } from '@kubernetes/client-node';
import { VizierDefinition, type Vizier, type VizierSpec, type VizierStatus } from '../../crds/kinds/vizier.js';
import { applyDefaults, crdSchema } from '../../crds/definition.js';
import type { Controller, ObjectKey, ReconcileContext, ReconcileResult, ResourceType } from '../../operator/runtime/types.js';
import { OWNER_ANNOTATION } from '../../operator/runtime/types.js';
import { ApiError } from '../../lib/kube/api-error.js';
import { stampHash, upToDate } from '../common/apply.js';
import { Types, loupeType, typeOf } from '../common/resources.js';
import { ownedSelector, childName } from '../common/labels.js';
import { mergeConditions } from '../common/conditions.js';
import { PatchError, diffMergePatch } from '../common/patches.js';
import { checkTls, issueTls, notAfter, ROTATE_BEFORE_DAYS, type TlsMaterial } from '../common/tls.js';
import { APP, componentsOf, tlsDnsNames, type Component } from './components.js';
import { renderVizier, tlsSecretName, metadataClusterRoleName } from './render.js';
import { observeWorkload, planVersions, type WorkloadObservation } from './rollout.js';
import { assessVizier, NATS_RESTART_BACKOFF_MS } from './assess.js';

export const VIZIER = loupeType('Vizier');
export const CLEANUP_FINALIZER = 'loupe.dev/cluster-resources';
const INSTANCE = 'app.kubernetes.io/instance';
const SPEC_SCHEMA = crdSchema(VizierDefinition.spec);

const NAMESPACED_CHILDREN: ResourceType[] = [Types.ConfigMap, Types.Secret, Types.ServiceAccount, Types.Service, Types.Deployment, Types.StatefulSet, Types.DaemonSet];
const CLUSTER_CHILDREN: ResourceType[] = [Types.ClusterRole, Types.ClusterRoleBinding];

export function withDefaults(vz: Vizier): Vizier {
  return { ...vz, spec: applyDefaults(SPEC_SCHEMA, vz.spec ?? {}) as VizierSpec };
}

const b64decode = (s: string | undefined) => (s ? Buffer.from(s, 'base64').toString() : undefined);

/** The stored TLS material; read live when the cache has none yet, so a cache lag never reissues it. */
async function existingTls(ctx: ReconcileContext, ns: string, name: string): Promise<Partial<TlsMaterial> | undefined> {
  const secrets = ctx.lister<V1Secret>(Types.Secret);
  const read = async (secretName: string) => secrets.get(ns, secretName) ?? (await ctx.client.get<V1Secret>(Types.Secret, { namespace: ns, name: secretName }));
  const tls = await read(tlsSecretName(name));
  const ca = await read(childName(name, 'tls-ca'));
  if (!tls && !ca) return undefined;
  return { caCrt: b64decode(ca?.data?.['ca.crt']), caKey: b64decode(ca?.data?.['ca.key']), crt: b64decode(tls?.data?.['tls.crt']), key: b64decode(tls?.data?.['tls.key']) };
}

const objKey = (o: KubernetesObject) => `${o.kind}/${o.metadata?.namespace ?? ''}/${o.metadata?.name}`;

function ownedBy(o: KubernetesObject, vz: Vizier): boolean {
  if (o.metadata?.labels?.[INSTANCE] !== vz.metadata.name) return false;
  if (o.metadata?.namespace) return !!o.metadata.ownerReferences?.some((r) => r.uid === vz.metadata.uid);
  return o.metadata?.annotations?.[OWNER_ANNOTATION] === `${vz.metadata.namespace}/${vz.metadata.name}`;
}

/** What garbage collection cannot reach: cluster-scoped children, and the volume claims StatefulSets made. */
async function cleanUp(ctx: ReconcileContext, vz: Vizier): Promise<void> {
  for (const pvc of ctx.lister(Types.PersistentVolumeClaim).list(vz.metadata.namespace, { [INSTANCE]: vz.metadata.name!, 'app.kubernetes.io/name': APP })) {
    await ctx.client.delete(Types.PersistentVolumeClaim, { namespace: vz.metadata.namespace!, name: pvc.metadata!.name! });
  }
  await cleanUpClusterScoped(ctx, vz);
}

async function cleanUpClusterScoped(ctx: ReconcileContext, vz: Vizier): Promise<void> {
  // The known names first, straight to the API server: the cache may not have seen them yet.
  const known = metadataClusterRoleName(vz.metadata.namespace!, vz.metadata.name!);
  for (const t of CLUSTER_CHILDREN) await ctx.client.delete(t, { namespace: '', name: known });
  for (const t of CLUSTER_CHILDREN) {
    for (const o of ctx.lister(t).list()) {
      if (ownedBy(o, vz)) await ctx.client.delete(t, { namespace: '', name: o.metadata!.name! });
    }
  }
}

/** Who else controls an existing object of the same name, if anyone: never take over another owner's child. */
function foreignOwner(live: KubernetesObject | undefined, vz: Vizier): string | undefined {
  if (!live) return undefined;
  if (live.metadata?.namespace) {
    const ref = live.metadata.ownerReferences?.find((r) => r.controller);
    return ref && ref.uid !== vz.metadata.uid ? `${ref.kind} ${ref.name}` : undefined;
  }
  const owner = live.metadata?.annotations?.[OWNER_ANNOTATION];
  return owner && owner !== `${vz.metadata.namespace}/${vz.metadata.name}` ? `Vizier ${owner}` : undefined;
}

const IMMUTABLE_STATEFULSET = /updates to statefulset spec for fields other than/;

/** Applies one child; returns a one-line failure instead of throwing so the other children still get applied. */
async function applyChild(ctx: ReconcileContext, t: ResourceType, obj: KubernetesObject): Promise<string | undefined> {
  const what = `${obj.kind} ${obj.metadata?.name}`;
  try {
    await ctx.client.apply(obj);
    return undefined;
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    if (t.kind === 'StatefulSet' && err.status === 422 && IMMUTABLE_STATEFULSET.test(err.serverMessage)) {
      // Volume claim templates and selectors cannot change in place: replace the StatefulSet, keeping its pods until the new one adopts them.
      ctx.log.info({ child: obj.metadata?.name }, 'recreating StatefulSet to change an immutable field');
      await ctx.client.delete(t, { namespace: obj.metadata!.namespace!, name: obj.metadata!.name! }, 'Orphan');
      try {
        await ctx.client.apply(obj);
        return undefined;
      } catch (again) {
        if (!(again instanceof ApiError)) throw again;
        return `${what}: ${again.serverMessage}`;
      }
    }
    if (err.status === 409 || err.status >= 500 || err.status === 429) throw err;
    return `${what}: ${err.serverMessage}`;
  }
}

export async function reconcileVizier(key: ObjectKey, ctx: ReconcileContext): Promise<ReconcileResult | void> {
  const cached = ctx.lister<Vizier & KubernetesObject>(VIZIER).get(key.namespace, key.name);
  if (!cached) return;
  const vz = withDefaults(cached as Vizier);
  const now = ctx.now();

  if (vz.metadata.deletionTimestamp) {
    if (vz.metadata.finalizers?.includes(CLEANUP_FINALIZER)) {
      await cleanUp(ctx, vz);
      await ctx.client.patchMetadata(VIZIER, key, { finalizers: vz.metadata.finalizers.filter((f) => f !== CLEANUP_FINALIZER), resourceVersion: vz.metadata.resourceVersion });
      ctx.log.info('removed cluster-scoped children, volume claims and the cleanup finalizer');
    }
    return;
  }
  if (!vz.metadata.finalizers?.includes(CLEANUP_FINALIZER)) {
    await ctx.client.patchMetadata(VIZIER, key, { finalizers: [...(vz.metadata.finalizers ?? []), CLEANUP_FINALIZER], resourceVersion: vz.metadata.resourceVersion });
  }

  const ns = key.namespace;
  const name = key.name;
  const present = componentsOf(vz.spec);
  const selector = { [INSTANCE]: name, 'app.kubernetes.io/name': APP };
  const observed = new Map<Component, WorkloadObservation>();
  for (const t of [Types.Deployment, Types.StatefulSet, Types.DaemonSet]) {
    for (const w of ctx.lister(t).list(ns, selector)) {
      const c = w.metadata?.labels?.['app.kubernetes.io/component'] as Component | undefined;
      if (c && present.get(c) === t.kind && ownedBy(w, vz)) observed.set(c, observeWorkload(w));
    }
  }

  let invalidSpec: string | undefined;
  const applyErrors: string[] = [];
  let tlsNotAfter = vz.status?.tlsNotAfter;
  if (!vz.spec.paused) {
    const dnsNames = tlsDnsNames(name, ns);
    const existing = await existingTls(ctx, ns, name);
    const verdict = checkTls(existing, dnsNames, now);
    const tls = verdict.ok ? (existing as TlsMaterial) : await issueTls(existing, dnsNames, now, verdict.regenerateCA);
    if (!verdict.ok && verdict.reason !== 'Missing') {
      ctx.events.event(cached, 'Normal', 'TLSRotated', `internal TLS certificate reissued (${verdict.reason}${verdict.regenerateCA ? ', new CA' : ''})`);
    }
    if (verdict.ok) tlsNotAfter = notAfter(tls.crt).toISOString();

    let desired: KubernetesObject[] = [];
    try {
      desired = renderVizier({ vizier: vz, tls, versions: planVersions(vz.spec.version, present, observed) });
    } catch (err) {
      if (!(err instanceof PatchError)) throw err;
      invalidSpec = err.message;
    }
    if (!invalidSpec) {
      let applied = 0;
      for (const rendered of desired) {
        const obj = stampHash(rendered);
        const t = typeOf(obj);
        const live = ctx.lister(t).get(obj.metadata?.namespace ?? '', obj.metadata!.name!);
        if (upToDate(obj, live)) continue;
        const foreign = foreignOwner(live, vz);
        if (foreign) {
          applyErrors.push(`${obj.kind} ${obj.metadata!.name} already belongs to ${foreign}; rename one of the two so their children's names differ`);
          continue;
        }
        const failure = await applyChild(ctx, t, obj);
        if (failure) applyErrors.push(failure);
        else applied++;
      }
      if (!applyErrors.some((e) => e.startsWith('Secret '))) tlsNotAfter = notAfter(tls.crt).toISOString();
      const wanted = new Set(desired.map(objKey));
      for (const t of [...NAMESPACED_CHILDREN, ...CLUSTER_CHILDREN]) {
        const objs = t.namespaced ? ctx.lister(t).list(ns, selector) : ctx.lister(t).list(undefined, selector);
        for (const o of objs) {
          if (ownedBy(o, vz) && !wanted.has(objKey({ ...o, kind: t.kind }))) {
            await ctx.client.delete(t, { namespace: o.metadata?.namespace ?? '', name: o.metadata!.name! });
            ctx.log.info({ kind: t.kind, child: o.metadata?.name }, 'pruned child no longer rendered');
          }
        }
      }
      if (applied) ctx.log.info({ applied }, 'applied children');
    }
  }

  const pods = ctx.lister<V1Pod>(Types.Pod).list(ns, selector);
  const nodes = ctx.lister<V1Node>(Types.Node).list();
  const a = assessVizier({ vizier: vz, present, observed, pods, nodes, now, invalidSpec, applyErrors });

  let natsRestartedAt = vz.status?.natsRestartedAt;
  for (const pod of a.natsPodsToRestart) {
    await ctx.client.delete(Types.Pod, { namespace: ns, name: pod });
    natsRestartedAt = now.toISOString();
    ctx.events.event(cached, 'Warning', 'NATSRestarted', `restarted failing NATS pod ${pod}`);
  }

  const prev = vz.status;
  const next: VizierStatus = {
    observedGeneration: vz.metadata.generation,
    phase: a.phase,
    message: a.message,
    conditions: mergeConditions(prev?.conditions, a.conditions, vz.metadata.generation, now),
    ...a.status,
    ...(natsRestartedAt ? { natsRestartedAt } : {}),
    ...(tlsNotAfter ? { tlsNotAfter } : {}),
  };
  // Compared as stored JSON: undefined fields vanish, dates are strings.
  const normalized = JSON.parse(JSON.stringify(next)) as VizierStatus;
  const stored = JSON.parse(JSON.stringify(prev ?? {})) as VizierStatus;
  if (!isDeepStrictEqual(normalized, stored)) {
    await ctx.client.patchStatus(VIZIER, key, diffMergePatch(stored, normalized));
    if (prev?.phase !== a.phase) ctx.events.event(cached, a.phase === 'Degraded' || a.phase === 'Failed' ? 'Warning' : 'Normal', a.reason, a.message);
  }

  if (applyErrors.length) throw new Error(`could not apply ${applyErrors.length} children (reported in status): ${applyErrors.join('; ')}`);

  // Wake up for what no watch event announces: rollout deadlines, backoffs, expiring findings, TLS rotation.
  const waits: number[] = [];
  if (a.status.rollout) {
    const left = new Date(a.status.rollout.startedAt).getTime() + vz.spec.updateTimeoutSeconds * 1000 - now.getTime();
    if (left > 0) waits.push(left + 1000);
  }
  if (a.findings.length) waits.push(60_000);
  if (natsRestartedAt && pods.some((p) => p.metadata?.labels?.['app.kubernetes.io/component'] === 'nats')) {
    const left = new Date(natsRestartedAt).getTime() + NATS_RESTART_BACKOFF_MS - now.getTime();
    if (left > 0 && a.phase !== 'Healthy') waits.push(left + 500);
  }
  if (tlsNotAfter) waits.push(Math.max(60_000, new Date(tlsNotAfter).getTime() - ROTATE_BEFORE_DAYS * 86_400_000 - now.getTime()));
  const requeueAfterMs = Math.min(...waits.map((w) => Math.min(w, 2 ** 31 - 1)));
  return Number.isFinite(requeueAfterMs) ? { requeueAfterMs } : undefined;
}

export function vizierController(): Controller {
  return {
    name: 'vizier',
    for: VIZIER,
    owns: [...NAMESPACED_CHILDREN, ...CLUSTER_CHILDREN],
    ownedLabelSelector: ownedSelector(APP),
    watches: [
      {
        type: Types.Pod,
        labelSelector: ownedSelector(APP),
        map: (pod) => {
          const instance = pod.metadata?.labels?.[INSTANCE];
          return instance && pod.metadata?.namespace ? [{ namespace: pod.metadata.namespace, name: instance }] : [];
        },
      },
      // Volume claims are cached so deletion can remove them; they wake nothing.
      { type: Types.PersistentVolumeClaim, labelSelector: ownedSelector(APP), map: () => [] },
      // Nodes are cached for the kernel check but wake nothing: their heartbeats would
      // reconcile every Vizier every few seconds. A new node shows up through its PEM pod.
      { type: Types.Node, map: () => [] },
    ],
    reconcile: reconcileVizier,
  };
}
