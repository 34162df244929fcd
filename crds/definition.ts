// A kind's single source of truth: names, spec and status schemas, printer columns.
// The CRD object (and from it the YAML, OLM manifests and docs) is derived from this.
import type { TSchema } from '@sinclair/typebox';

export const GROUP = 'loupe.dev';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;

export interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  jsonPath: string;
  description?: string;
  priority?: number;
}

export interface KindDefinition {
  kind: string;
  plural: string;
  singular: string;
  shortNames: string[];
  description: string;
  spec: TSchema;
  status: TSchema;
  printerColumns: PrinterColumn[];
  /** The spec may be omitted or empty: every field has a default. */
  emptySpecAllowed?: boolean;
  /** Fields `kubectl get --field-selector` (and list/watch) can select on, as JSON paths (".spec.type"). */
  selectableFields?: string[];
}

export interface ObjectMeta {
  name?: string;
  namespace?: string;
  uid?: string;
  generation?: number;
  resourceVersion?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  deletionTimestamp?: Date | string;
  creationTimestamp?: Date | string;
}

export interface CustomResource<Spec, Status> {
  apiVersion: typeof API_VERSION;
  kind: string;
  metadata: ObjectMeta;
  spec: Spec;
  status?: Status;
}

/** JSON form of a TypeBox schema: drops TypeBox's symbol keys. */
export function plainSchema(schema: TSchema): Record<string, unknown> {
  return JSON.parse(JSON.stringify(schema)) as Record<string, unknown>;
}

/**
 * The schema as the CRD carries it. TypeBox marks defaulted fields required (their static
 * type is complete after defaulting); the API server defaults before it validates, but
 * `kubectl explain` would call them required, so they are left out of `required` here.
 */
export function crdSchema(schema: TSchema): Record<string, unknown> {
  const strip = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(strip);
    if (!node || typeof node !== 'object') return node;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node as Record<string, unknown>)) out[k] = k === 'default' ? v : strip(v);
    const props = out['properties'] as Record<string, Record<string, unknown>> | undefined;
    if (Array.isArray(out['required']) && props) {
      const req = (out['required'] as string[]).filter((r) => props[r]?.['default'] === undefined);
      if (req.length > 0) out['required'] = req;
      else delete out['required'];
    }
    return out;
  };
  return strip(plainSchema(schema)) as Record<string, unknown>;
}

export function toCRD(def: KindDefinition): Record<string, unknown> {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: `${def.plural}.${GROUP}`,
      labels: { 'app.kubernetes.io/part-of': 'loupe', 'app.kubernetes.io/managed-by': 'loupe-crdgen' },
    },
    spec: {
      group: GROUP,
      names: {
        kind: def.kind,
        listKind: `${def.kind}List`,
        plural: def.plural,
        singular: def.singular,
        shortNames: def.shortNames,
        categories: ['loupe'],
      },
      scope: 'Namespaced',
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          ...(def.selectableFields ? { selectableFields: def.selectableFields.map((jsonPath) => ({ jsonPath })) } : {}),
          additionalPrinterColumns: [
            ...def.printerColumns,
            { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
          ],
          schema: {
            openAPIV3Schema: {
              type: 'object',
              description: def.description,
              ...(def.emptySpecAllowed ? {} : { required: ['spec'] }),
              properties: {
                apiVersion: { type: 'string', description: 'APIVersion of this representation of the object.' },
                kind: { type: 'string', description: 'Kind of this object.' },
                // Names end up in label values (app.kubernetes.io/instance), which allow 63 characters.
                metadata: { type: 'object', properties: { name: { type: 'string', maxLength: 63, description: 'At most 63 characters: the name becomes a label value.' } } },
                spec: { ...crdSchema(def.spec), ...(def.emptySpecAllowed ? { default: {} } : {}) },
                status: crdSchema(def.status),
              },
            },
          },
        },
      ],
    },
  };
}

/**
 * Fills defaults exactly the way the API server does for a structural schema: a missing
 * property with a `default` gets a copy of it, then defaulting recurses into objects,
 * array items and map values. Used where an object may not have passed through a server
 * that defaults (unit tests, standalone manifests) so rendering always sees full specs.
 */
export function applyDefaults(schema: Record<string, unknown>, value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = schema['items'] as Record<string, unknown> | undefined;
    return items ? value.map((v) => applyDefaults(items, v)) : value;
  }
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  const props = schema['properties'] as Record<string, Record<string, unknown>> | undefined;
  if (props) {
    for (const [k, sub] of Object.entries(props)) {
      if (out[k] === undefined && sub['default'] !== undefined) out[k] = structuredClone(sub['default']);
      if (out[k] !== undefined) out[k] = applyDefaults(sub, out[k]);
    }
  }
  const addl = schema['additionalProperties'];
  if (addl && typeof addl === 'object') {
    for (const k of Object.keys(out)) out[k] = applyDefaults(addl as Record<string, unknown>, out[k]);
  }
  return out;
}
