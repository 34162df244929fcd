// The contract between the controller runtime (operator/runtime) and the reconcilers
// (controllers/*). Reconcilers see only these types, so they can be driven by the real
// manager in the operator and by a bare loop in tests.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';

/** A kind the runtime can list/watch: core group uses group ''. */
export interface ResourceType {
  group: string;
  version: string;
  kind: string;
  /** Lower-case plural used in the REST path, e.g. 'deployments'. */
  plural: string;
  namespaced: boolean;
}

export interface ObjectKey {
  namespace: string; // '' for cluster-scoped
  name: string;
}

export function keyToString(k: ObjectKey): string {
  return k.namespace ? `${k.namespace}/${k.name}` : k.name;
}

export function keyFromString(s: string): ObjectKey {
  const i = s.indexOf('/');
  return i < 0 ? { namespace: '', name: s } : { namespace: s.slice(0, i), name: s.slice(i + 1) };
}

/** Read-only view of an informer's cache. */
export interface Lister<T extends KubernetesObject = KubernetesObject> {
  get(namespace: string, name: string): T | undefined;
  list(namespace?: string, labelSelector?: Record<string, string>): T[];
}

export type EventType = 'Normal' | 'Warning';

export interface EventRecorder {
  /** Records (or bumps the count of) a core/v1 Event about `regarding`. Never throws. */
  event(regarding: KubernetesObject, type: EventType, reason: string, message: string): void;
}

export interface ApplyClient {
  /** Server-side apply under the manager's field manager with force. Returns the applied object. */
  apply<T extends KubernetesObject>(obj: T): Promise<T>;
  /** Merge-patches the status subresource of a custom resource. */
  patchStatus(type: ResourceType, key: ObjectKey, status: unknown): Promise<void>;
  /** Deletes an object; absent objects are not an error. */
  delete(type: ResourceType, key: ObjectKey, propagation?: 'Background' | 'Foreground' | 'Orphan'): Promise<void>;
  /** JSON-merge-patches metadata (finalizers, annotations) of any object. */
  patchMetadata(type: ResourceType, key: ObjectKey, metadata: Record<string, unknown>): Promise<void>;
  /** Live GET bypassing caches; undefined when absent. */
  get<T extends KubernetesObject>(type: ResourceType, key: ObjectKey): Promise<T | undefined>;
}

export interface ReconcileContext {
  log: Logger;
  /** Every request it makes carries `signal`. */
  client: ApplyClient;
  /** Drops what is recorded once `signal` has fired. */
  events: EventRecorder;
  /**
   * Fires when this instance stops leading or the manager stops: requests in flight fail with
   * an AbortError and later ones fail before they are sent, so an ended term writes nothing
   * more. Long pure steps may check it too.
   */
  signal: AbortSignal;
  /** Cached view of any type the controller declared in `for`, `owns` or `watches`. */
  lister<T extends KubernetesObject>(type: ResourceType): Lister<T>;
  /** Now, injectable for tests. */
  now(): Date;
}

export interface ReconcileResult {
  /** Reconcile this key again after this many ms even if nothing changes (e.g. a timeout to check). */
  requeueAfterMs?: number;
}

/** An RBAC verb the operator may need. */
export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete';

/** An RBAC PolicyRule (rbac.authorization.k8s.io/v1). */
export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: Verb[];
}

/** Rules a controller needs beyond what its for/owns/watches imply, and why. */
export interface ExtraPermission {
  /** Why the operator holds these rules; a comment above them in the generated RBAC. */
  reason: string;
  rules: readonly PolicyRule[];
}

/** How events on a watched (non-owned) type map to keys of the primary type. */
export interface Watch {
  type: ResourceType;
  map(obj: KubernetesObject, lister: Lister): ObjectKey[];
  /** Optional server-side label selector for the watch, e.g. 'app.kubernetes.io/managed-by=loupe-operator'. */
  labelSelector?: string;
  /** Verbs beyond list and watch the reconciler uses on this type, e.g. delete for pods it restarts. */
  verbs?: Verb[];
}

/** What the operator's flags tell its controllers. */
export interface ControllerSettings {
  /** Registry (and path) of every image a controller renders when its object names none (--registry). */
  registry: string;
}

export interface Controller {
  name: string;
  /** The primary kind; its events enqueue its own key. */
  for: ResourceType;
  /**
   * Children: an event on an owned object enqueues the owner named by its controller
   * ownerReference (namespaced children) or by the `loupe.dev/owner` annotation
   * ("<namespace>/<name>", for cluster-scoped children that cannot carry an ownerReference
   * to a namespaced owner).
   */
  owns: ResourceType[];
  watches?: Watch[];
  /** Label selector applied to the owned types' list/watch, to keep the caches small. */
  ownedLabelSelector?: string;
  /**
   * The operator's RBAC is generated from for, owns and watches (operator/runtime/rbac.ts);
   * anything else the reconciler reads or writes, or grants to others, is declared here.
   */
  extraPermissions?: ExtraPermission[];
  reconcile(key: ObjectKey, ctx: ReconcileContext): Promise<ReconcileResult | void>;
}

export const OWNER_ANNOTATION = 'loupe.dev/owner';
export const FIELD_MANAGER = 'loupe-operator';
