// CEL as the API server sets it up for a CRD's validation rules, on @marcbachmann/cel-js: the
// Kubernetes library functions the rules call (backed by lib/quantity.ts and lib/cidr.ts), the
// CEL type the server derives from each schema node (apiserver/pkg/cel/common SchemaDeclType:
// a node without a type is hidden, format date-time is a timestamp, integers are int), and
// values converted to those types.
import { Environment } from '@marcbachmann/cel-js';
import { isPrefixText } from '../lib/cidr.js';
import { compareQuantities, parseQuantity } from '../lib/quantity.js';

export type Schema = Record<string, unknown>;

/** What CEL's quantity() returns: Kubernetes' Quantity, compared with compareTo(). */
export class Quantity {
  constructor(readonly text: string) {}
}

/** The Kubernetes CEL library functions the rules use; a rule calling any other fails its type check. */
function withKubernetesLibrary(env: Environment): Environment {
  return env
    .registerType('Quantity', Quantity)
    .registerFunction('quantity(string): Quantity', (text: string) => {
      parseQuantity(text);
      return new Quantity(text);
    })
    .registerFunction('Quantity.compareTo(Quantity): int', (a: Quantity, b: Quantity) => BigInt(compareQuantities(a.text, b.text)))
    .registerFunction('isCIDR(string): bool', (text: string) => isPrefixText(text));
}

/** Evaluates rules with `self` untyped: their types were checked once, against the schema, by checkingEnvironment. */
export const evaluationEnvironment = withKubernetesLibrary(new Environment()).registerVariable('self', 'dyn');

const props = (schema: Schema) => schema['properties'] as Record<string, Schema> | undefined;
const itemsOf = (schema: Schema) => schema['items'] as Schema | undefined;
function mapValues(schema: Schema): Schema | undefined {
  const addl = schema['additionalProperties'];
  return addl && typeof addl === 'object' ? (addl as Schema) : undefined;
}

/** Whether the API server exposes this node to CEL (a node without a type is not). */
export function visibleToCel(schema: Schema): boolean {
  if (schema['x-kubernetes-int-or-string']) return true;
  switch (schema['type']) {
    case 'array': {
      const items = itemsOf(schema);
      return items !== undefined && visibleToCel(items);
    }
    case 'object': {
      const values = mapValues(schema);
      return values === undefined || visibleToCel(values);
    }
    case 'string':
    case 'boolean':
    case 'number':
    case 'integer':
      return true;
    default:
      return false;
  }
}

/** The property a field name selects in CEL: a map's value schema, or a visible property; undefined otherwise. */
export function celField(schema: Schema, name: string): Schema | undefined {
  const values = mapValues(schema);
  if (schema['type'] === 'object' && values) return values;
  const child = props(schema)?.[name];
  return child && visibleToCel(child) ? child : undefined;
}

const STRING_FORMATS: Record<string, string> = { 'date-time': 'google.protobuf.Timestamp', date: 'google.protobuf.Timestamp' };

/** Registers the node's object types in env and returns its CEL type name (the node must be visible). */
function declareType(env: Environment, schema: Schema, name: string): string {
  if (schema['x-kubernetes-int-or-string']) return 'dyn';
  switch (schema['type']) {
    case 'array':
      return `list<${declareType(env, itemsOf(schema)!, `${name}_item`)}>`;
    case 'object': {
      const values = mapValues(schema);
      if (values) return `map<string, ${declareType(env, values, `${name}_value`)}>`;
      const fields: Record<string, string> = {};
      for (const [key, sub] of Object.entries(props(schema) ?? {})) if (visibleToCel(sub)) fields[key] = declareType(env, sub, `${name}_${key}`);
      env.registerType(name, { fields });
      return name;
    }
    case 'string': {
      const format = schema['format'] as string | undefined;
      if (format === 'duration' || format === 'byte') throw new Error(`format ${format} is not supported by crds/cel-env.ts; add its CEL type and value conversion`);
      return (format && STRING_FORMATS[format]) ?? 'string';
    }
    case 'boolean':
      return 'bool';
    case 'number':
      return 'double';
    case 'integer':
      return 'int';
    default:
      throw new Error(`a node of type ${JSON.stringify(schema['type'])} is hidden from CEL`);
  }
}

/** An environment where `self` has the type the API server gives `schema`, for type-checking that node's rules. */
export function checkingEnvironment(schema: Schema): Environment {
  const env = withKubernetesLibrary(new Environment());
  return env.registerVariable('self', declareType(env, schema, 'Self'));
}

/** A JSON value as CEL sees it under `schema`: integers as int (bigint), date-time strings as timestamps. */
export function toCel(schema: Schema, value: unknown): unknown {
  if (value === null || value === undefined) return value;
  if (schema['x-kubernetes-int-or-string']) return typeof value === 'number' && Number.isInteger(value) ? BigInt(value) : value;
  switch (schema['type']) {
    case 'array': {
      const items = itemsOf(schema);
      return Array.isArray(value) && items ? value.map((v) => toCel(items, v)) : value;
    }
    case 'object': {
      if (typeof value !== 'object' || Array.isArray(value)) return value;
      const values = mapValues(schema);
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        const sub = values ?? props(schema)?.[k];
        out[k] = sub ? toCel(sub, v) : v;
      }
      return out;
    }
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value) ? BigInt(value) : value;
    case 'string': {
      const format = schema['format'] as string | undefined;
      if (typeof value !== 'string' || !format || !STRING_FORMATS[format]) return value;
      const time = new Date(value);
      return Number.isNaN(time.getTime()) ? value : time;
    }
    default:
      return value;
  }
}
