import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DescriptorError, specDescriptors, statusDescriptors, X } from './descriptors.js';

const str = (description = 'A field.') => ({ type: 'string', description });
const obj = (properties: Record<string, unknown>) => ({ type: 'object', description: 'An object.', properties });

const PLUGIN_SPEC = obj({
  type: { type: 'string', enum: ['otlp', 'clickhouse'], description: 'Kind of destination.' },
  endpoint: str(),
  headersSecretRef: obj({ name: str('Secret name.') }),
  insecure: { type: 'boolean', description: 'Plaintext.' },
  exportInterval: str(),
});

test('widgets follow the field: a select per enum value, a switch for a boolean, a Secret picker for a Secret reference, a group for nested fields', () => {
  const byPath = new Map(specDescriptors('Plugin', PLUGIN_SPEC).map((d) => [d.path, d]));
  assert.deepEqual(byPath.get('type')!['x-descriptors'], [X.select('otlp'), X.select('clickhouse')]);
  assert.deepEqual(byPath.get('insecure')!['x-descriptors'], [X.booleanSwitch]);
  assert.deepEqual(byPath.get('headersSecretRef.name')!['x-descriptors'], [X.fieldGroup('headersSecretRef'), X.object('Secret')]);
  assert.equal(byPath.get('type')!.description, 'Kind of destination.', 'the description is the schema\'s');
});

test('a picked field the schema lacks, one without a description, or one of a type the form cannot edit stops the generator, naming it', () => {
  const withoutInsecure: Record<string, unknown> = { ...PLUGIN_SPEC.properties };
  delete withoutInsecure['insecure'];
  assert.throws(() => specDescriptors('Plugin', obj(withoutInsecure)), (e: Error) => e instanceof DescriptorError && /Plugin has no field spec.insecure: update the spec descriptors/.test(e.message));
  assert.throws(() => specDescriptors('Plugin', obj({ ...PLUGIN_SPEC.properties, endpoint: { type: 'string' } })), /Plugin spec.endpoint has no description in crds\/kinds\//);
  assert.throws(() => specDescriptors('Plugin', obj({ ...PLUGIN_SPEC.properties, endpoint: { type: 'array', description: 'x' } })), /Plugin spec.endpoint is of type array/);
  assert.throws(() => specDescriptors('Widget', PLUGIN_SPEC), /picks no spec fields of Widget: add the ones the console should show/);
});

test('status: phase, its reason and conditions get the console\'s status widgets, a URL a link', () => {
  const status = obj({ phase: { type: 'string', enum: ['Pending'], description: 'Phase.' }, message: str(), conditions: { type: 'array', description: 'Conditions.' }, consoleURL: str() });
  assert.deepEqual(
    statusDescriptors('Cloud', status).map((d) => [d.path, d['x-descriptors']]),
    [
      ['phase', [X.phase]],
      ['message', [X.phaseReason]],
      ['conditions', [X.conditions]],
      ['consoleURL', [X.link]],
    ],
  );
});
