// The RBAC rules the operator needs, derived from what its controllers declare (for, owns,
// watches, extraPermissions) and from what the runtime itself does (Events, the leader Lease).
// controllers/generate-rbac.ts writes them to operator/deploy/base/rbac.yaml.
import { apiVersionOf } from './paths.js';
import { EVENTS, LEASES } from './resources.js';
import type { Controller, ExtraPermission, PolicyRule, ResourceType, Verb } from './types.js';

/** The primary kind: its cache, live reads, and metadata patches (the reconciler's finalizer). */
export const PRIMARY_VERBS: readonly Verb[] = ['get', 'list', 'watch', 'patch'];
/** Children: their cache, live reads, server-side apply (a PATCH that creates what is missing), pruning. */
export const OWNED_VERBS: readonly Verb[] = ['get', 'list', 'watch', 'create', 'patch', 'delete'];
/** Watched types: their cache; `Watch.verbs` adds to it. */
export const WATCHED_VERBS: readonly Verb[] = ['list', 'watch'];

const VERB_ORDER: readonly Verb[] = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'];

/** Cluster-wide: what the KubeEventRecorder writes. */
export const RUNTIME_PERMISSIONS: readonly ExtraPermission[] = [
  { reason: 'runtime: Events about the objects it reconciles (created once, then their count is patched)', rules: [rule(EVENTS, ['create', 'patch'])] },
];

/** In the lease namespace only: the LeaderElector reads, creates once and renews one Lease. */
export const LEADER_ELECTION_PERMISSIONS: ExtraPermission = {
  reason: 'leader election: one Lease in the operator\'s namespace, read, created once and renewed (the namespace must exist: the operator does not create namespaces)',
  rules: [rule(LEASES, ['get', 'create', 'update'])],
};

function rule(type: Pick<ResourceType, 'group' | 'plural'>, verbs: readonly Verb[], subresource?: string): PolicyRule {
  return { apiGroups: [type.group], resources: [subresource ? `${type.plural}/${subresource}` : type.plural], verbs: [...verbs] };
}

const kinds = (types: readonly ResourceType[]) => types.map((t) => t.kind).join(', ');

/** What one controller needs, each group of rules with the reason it is needed. */
export function controllerPermissions(c: Controller): ExtraPermission[] {
  const out: ExtraPermission[] = [
    {
      reason: `${c.name}: reconciles ${c.for.kind} (${apiVersionOf(c.for)}): cache, finalizer, status`,
      rules: [rule(c.for, PRIMARY_VERBS), rule(c.for, ['patch'], 'status'), rule(c.for, ['update'], 'finalizers')],
    },
  ];
  if (c.owns.length) {
    out.push({ reason: `${c.name}: applies, prunes and watches its children (${kinds(c.owns)})`, rules: c.owns.map((t) => rule(t, OWNED_VERBS)) });
  }
  const watches = c.watches ?? [];
  if (watches.length) {
    out.push({
      reason: `${c.name}: watches ${kinds(watches.map((w) => w.type))}`,
      rules: watches.map((w) => rule(w.type, [...WATCHED_VERBS, ...(w.verbs ?? [])])),
    });
  }
  return [...out, ...(c.extraPermissions ?? [])];
}

/** The operator's cluster-wide permissions: every controller's, then the runtime's. */
export function clusterPermissions(controllers: readonly Controller[]): ExtraPermission[] {
  return [...controllers.flatMap(controllerPermissions), ...RUNTIME_PERMISSIONS].map((p) => ({ reason: p.reason, rules: compactRules(p.rules) }));
}

/**
 * Merges rules that differ only in resources, dedupes and orders verbs and resources, so the
 * generated RBAC is short and stable.
 */
export function compactRules(rules: readonly PolicyRule[]): PolicyRule[] {
  // One verb set per (apiGroups, resource) first, so a resource named twice gets the union.
  const byResource = new Map<string, { apiGroups: string[]; resource: string; verbs: Set<Verb> }>();
  for (const r of rules) {
    const groups = [...new Set(r.apiGroups)].sort();
    for (const resource of r.resources) {
      const id = JSON.stringify([groups, resource]);
      const entry = byResource.get(id) ?? { apiGroups: groups, resource, verbs: new Set<Verb>() };
      for (const v of r.verbs) entry.verbs.add(v);
      byResource.set(id, entry);
    }
  }
  const merged = new Map<string, PolicyRule>();
  for (const { apiGroups, resource, verbs } of byResource.values()) {
    const ordered = VERB_ORDER.filter((v) => verbs.has(v));
    const id = JSON.stringify([apiGroups, ordered]);
    const into = merged.get(id) ?? { apiGroups, resources: [], verbs: ordered };
    into.resources.push(resource);
    merged.set(id, into);
  }
  return [...merged.values()].map((r) => ({ ...r, resources: r.resources.sort() }));
}
