// Schema building blocks for the CRDs. Every helper emits a *structural* OpenAPI v3 schema
// (what apiextensions.k8s.io/v1 accepts: a type on every node, no anyOf/const for enums,
// maps as additionalProperties) and carries the matching static TypeScript type.
import { Type, type TSchema, type Static, type TUnsafe, type ObjectOptions, type TProperties } from '@sinclair/typebox';
import { MANIFEST_DURATION_PATTERN } from '../lib/duration.js';

export { Type, type Static, type TSchema };

interface Doc {
  description: string;
}

/** A string enum (TypeBox's Union of Literals would emit anyOf/const, which CRDs reject). */
export function Enum<const T extends readonly string[]>(values: T, opts: Doc & { default?: T[number] }): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...opts });
}

/** map[string]T as Kubernetes writes it. */
export function MapOf<S extends TSchema>(value: S, opts: Doc): TUnsafe<Record<string, Static<S>>> {
  return Type.Unsafe<Record<string, Static<S>>>({ type: 'object', additionalProperties: value, ...opts });
}

export const StringMap = (description: string) => MapOf(Type.String(), { description });

/** A struct whose nested fields are Kubernetes core types we pass through unchanged. */
export function Opaque(description: string): TUnsafe<Record<string, unknown>> {
  return Type.Unsafe<Record<string, unknown>>({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true, description });
}

// Non-negative resource quantity ("2Gi", "500m", "1.5"): a leading sign is rejected.
const QUANTITY_PATTERN = '^([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([KMGTPE]i|[mkMGTPE]|[eE][0-9]+)?$';
export function Quantity(opts: Doc & { default?: string }) {
  return Type.String({ pattern: QUANTITY_PATTERN, ...opts });
}

// A duration as users write it in manifests ("30s", "5m", "1h30m", "14d" for retention): the
// forms of lib/duration.ts's grammar that the API server admits; that grammar parses them.
export function Duration(opts: Doc & { default?: string }) {
  return Type.String({ pattern: MANIFEST_DURATION_PATTERN, ...opts });
}

// DNS-1123 subdomain, the rule for most object names.
export const NAME_PATTERN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';
export function ObjectName(description: string) {
  return Type.String({ pattern: NAME_PATTERN, maxLength: 253, description });
}

/** How the API server words a failed rule: `Invalid value` (the default), `Required value` or `Forbidden`. */
export type RuleReason = 'FieldValueInvalid' | 'FieldValueRequired' | 'FieldValueForbidden';

/**
 * One `x-kubernetes-validations` entry: a CEL expression over `self` (the value of the node it
 * sits on) that must be true. The API server (1.25+) evaluates it on create and update;
 * crds/rules.ts evaluates the same expression where no server does. `fieldPath` (relative to
 * the node, `.field`) is the field the error names; `message` says what to do, and
 * `messageExpression` may add the values (the server falls back to `message` if it fails).
 */
export interface ValidationRule {
  readonly rule: string;
  readonly message: string;
  readonly messageExpression?: string;
  readonly fieldPath?: string;
  readonly reason?: RuleReason;
}

/** Schema options carrying validation rules: `Obj({...}, { description, ...Rules(a, b) })`. */
export function Rules(...rules: ValidationRule[]): { 'x-kubernetes-validations': ValidationRule[] } {
  return { 'x-kubernetes-validations': rules };
}

export function Obj<P extends TProperties>(props: P, opts: ObjectOptions & Doc) {
  return Type.Object(props, opts);
}

export const SecretKeyRef = (description: string, defaultKey: string) =>
  Obj(
    {
      name: ObjectName('Name of a Secret in the same namespace as this resource.'),
      key: Type.String({ minLength: 1, default: defaultKey, description: `Key inside the Secret (default "${defaultKey}").` }),
    },
    { description },
  );

/**
 * A store that is either deployed in-cluster (`deploy`, default true) or reached at `endpoint`:
 * deploy false needs an endpoint, and an endpoint with deploy true would be ignored. The node's
 * own default must spell out `deploy: true`: the API server checks a default against the rules
 * as written, without the defaults below it.
 */
export function EndpointRules(what: string): ValidationRule[] {
  return [
    {
      rule: 'self.deploy || has(self.endpoint)',
      message: `deploy is false, so set endpoint to the address of your ${what}, or set deploy true to run one in-cluster`,
      fieldPath: '.endpoint',
      reason: 'FieldValueRequired',
    },
    {
      rule: '!self.deploy || !has(self.endpoint)',
      message: `endpoint is set but deploy is true (the default), which runs an in-cluster ${what} and ignores endpoint: set deploy false to use endpoint, or remove endpoint`,
      fieldPath: '.endpoint',
      reason: 'FieldValueForbidden',
    },
  ];
}

export const LocalRef = (description: string) => Obj({ name: ObjectName('Name of the referenced object in the same namespace.') }, { description });

export const Toleration = Obj(
  {
    key: Type.Optional(Type.String({ description: 'Taint key the toleration applies to; empty matches all keys with operator Exists.' })),
    operator: Type.Optional(Enum(['Exists', 'Equal'] as const, { description: 'How key and value are compared (default Equal).' })),
    value: Type.Optional(Type.String({ description: 'Taint value to match when operator is Equal.' })),
    effect: Type.Optional(Enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute'] as const, { description: 'Taint effect to match; empty matches all effects.' })),
    tolerationSeconds: Type.Optional(Type.Integer({ minimum: 0, description: 'For NoExecute: how long the pod stays bound after the taint appears.' })),
  },
  { description: 'A toleration, as in a Pod spec.' },
);
export const Tolerations = (description: string) => Type.Array(Toleration, { description });

/**
 * Request at most the limit, for memory and CPU, when both are set: a pod asking for more than
 * its limit is refused by the API server, so the resource is refused at once instead of failing
 * later in a DaemonSet or Deployment. `defaults` are the block's defaulted requests, named in the
 * message because a user who only lowered the limit never wrote the request.
 */
export function ResourceRules(defaults: { memoryRequest?: string; cpuRequest?: string }): ValidationRule[] {
  return (['memory', 'cpu'] as const).map((r) => {
    const request = `${r}Request`;
    const limit = `${r}Limit`;
    const fallback = defaults[`${r}Request`];
    const advice = `lower ${request}${fallback ? ` (default ${fallback})` : ''} or raise ${limit}`;
    return {
      rule: `!has(self.${request}) || !has(self.${limit}) || quantity(self.${request}).compareTo(quantity(self.${limit})) <= 0`,
      message: `${request} is above ${limit}; a container cannot request more than its limit: ${advice}`,
      messageExpression: `'${request} ' + self.${request} + ' is above ${limit} ' + self.${limit} + '; a container cannot request more than its limit: ${advice}'`,
      fieldPath: `.${request}`,
    };
  });
}

export const Resources = (what: string, d: { memoryRequest?: string; memoryLimit?: string; cpuRequest?: string; cpuLimit?: string }) =>
  Obj(
    {
      memoryRequest: d.memoryRequest ? Quantity({ default: d.memoryRequest, description: `Memory request of ${what}.` }) : Type.Optional(Quantity({ description: `Memory request of ${what}.` })),
      memoryLimit: d.memoryLimit ? Quantity({ default: d.memoryLimit, description: `Memory limit of ${what}.` }) : Type.Optional(Quantity({ description: `Memory limit of ${what}.` })),
      cpuRequest: d.cpuRequest ? Quantity({ default: d.cpuRequest, description: `CPU request of ${what}.` }) : Type.Optional(Quantity({ description: `CPU request of ${what}.` })),
      cpuLimit: d.cpuLimit ? Quantity({ default: d.cpuLimit, description: `CPU limit of ${what}.` }) : Type.Optional(Quantity({ description: `CPU limit of ${what} (unset: no CPU limit).` })),
    },
    { description: `Resources of ${what}; each request at most its limit.`, default: {}, ...Rules(...ResourceRules(d)) },
  );

export const Condition = Obj(
  {
    type: Type.String({ description: 'Condition type, CamelCase (Ready, Progressing, Degraded, ...).' }),
    status: Enum(['True', 'False', 'Unknown'] as const, { description: 'Status of the condition.' }),
    reason: Type.String({ description: 'CamelCase reason for the last transition.' }),
    message: Type.String({ description: 'What happened and what to do about it.' }),
    observedGeneration: Type.Optional(Type.Integer({ minimum: 0, description: 'The .metadata.generation the condition was computed from.' })),
    lastTransitionTime: Type.String({ format: 'date-time', description: 'When status last changed.' }),
  },
  { description: 'A Kubernetes-style status condition.' },
);
export type Condition = Static<typeof Condition>;

/** The status fields every Loupe kind shares. */
export const statusBase = <P extends TProperties>(phases: readonly string[], extra: P) =>
  Obj(
    {
      observedGeneration: Type.Optional(Type.Integer({ minimum: 0, description: 'The .metadata.generation this status describes.' })),
      phase: Type.Optional(Enum(phases, { description: 'Coarse lifecycle phase.' })),
      message: Type.Optional(Type.String({ description: 'Human-readable summary with the reason for the phase.' })),
      conditions: Type.Optional(
        Type.Array(Condition, {
          description: 'Conditions in Kubernetes API convention (Ready, Progressing, Degraded, and kind-specific ones).',
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-list-map-keys': ['type'],
        }),
      ),
      ...extra,
    },
    { description: 'Observed state, written by the operator.' },
  );

export const PodPolicy = Obj(
  {
    labels: Type.Optional(StringMap('Extra labels for every pod (and object) the operator creates.')),
    annotations: Type.Optional(StringMap('Extra annotations for every pod the operator creates.')),
    nodeSelector: Type.Optional(StringMap('Node selector added to every pod.')),
    tolerations: Type.Optional(Tolerations('Tolerations added to every pod.')),
    securityContext: Type.Optional(Opaque('Pod-level securityContext (core/v1 PodSecurityContext) for every non-privileged pod.')),
    priorityClassName: Type.Optional(Type.String({ description: 'PriorityClass for every pod.' })),
    imagePullSecrets: Type.Optional(Type.Array(LocalRef('A Secret holding registry credentials.'), { description: 'Pull secrets added to every pod.' })),
    resources: Type.Optional(Resources('components without their own resources section', {})),
  },
  { description: 'Pod settings applied to every pod the operator creates.', default: {} },
);
export type PodPolicy = Static<typeof PodPolicy>;

export const Patch = Obj(
  {
    target: Obj(
      {
        kind: Type.String({ minLength: 1, description: 'Kind of the rendered object to patch (Deployment, DaemonSet, StatefulSet, Service, ConfigMap, ...).' }),
        component: Type.Optional(Type.String({ description: 'Component name (pem, kelvin, query-broker, metadata, nats, cloud-connector, etcd); empty matches every object of the kind.' })),
      },
      { description: 'Which rendered objects the patch applies to.' },
    ),
    type: Enum(['merge', 'json'] as const, { default: 'merge', description: 'merge: RFC 7386 JSON merge patch given in `merge`; json: RFC 6902 operations given in `operations`.' }),
    merge: Type.Optional(Opaque('JSON merge patch applied to the rendered object (type merge).')),
    operations: Type.Optional(
      Type.Array(
        Obj(
          {
            op: Enum(['add', 'remove', 'replace', 'move', 'copy', 'test'] as const, { description: 'RFC 6902 operation.' }),
            path: Type.String({ pattern: '^(/[^/]*)*$', description: 'JSON pointer into the rendered object.' }),
            from: Type.Optional(Type.String({ description: 'Source pointer for move and copy.' })),
            // Any JSON value: a schema without a type, which CEL rules cannot see, so "add, replace
            // and test need value" stays with the operator (controllers/common/patches.ts).
            value: Type.Optional(Type.Unsafe<unknown>({ 'x-kubernetes-preserve-unknown-fields': true, description: 'Value for add, replace and test.' })),
          },
          {
            description: 'One RFC 6902 operation.',
            ...Rules({
              rule: "!(self.op in ['move', 'copy']) || has(self.from)",
              message: 'op move and copy need from, the JSON pointer of the value to take',
              messageExpression: "'op ' + self.op + ' needs from, the JSON pointer of the value to ' + self.op",
              fieldPath: '.from',
              reason: 'FieldValueRequired',
            }),
          },
        ),
        { maxItems: 64, description: 'RFC 6902 operations (type json), at most 64.' },
      ),
    ),
  },
  {
    description: 'A patch applied to rendered objects after every other field, for settings the spec does not model.',
    ...Rules(
      {
        rule: "self.type != 'merge' || has(self.merge)",
        message: 'type is merge (the default), so give the JSON merge patch in merge; for RFC 6902 operations set type json',
        fieldPath: '.merge',
        reason: 'FieldValueRequired',
      },
      {
        rule: "self.type != 'merge' || !has(self.operations)",
        message: 'operations are read only with type json: set type json, or give the change as a JSON merge patch in merge',
        fieldPath: '.operations',
        reason: 'FieldValueForbidden',
      },
      {
        rule: "self.type != 'json' || (has(self.operations) && size(self.operations) > 0)",
        message: 'type is json, so list the RFC 6902 operations in operations',
        fieldPath: '.operations',
        reason: 'FieldValueRequired',
      },
      {
        rule: "self.type != 'json' || !has(self.merge)",
        message: 'merge is read only with type merge: set type merge, or give the change as RFC 6902 operations',
        fieldPath: '.merge',
        reason: 'FieldValueForbidden',
      },
    ),
  },
);
export type Patch = Static<typeof Patch>;
