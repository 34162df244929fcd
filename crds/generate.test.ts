import { test } from 'node:test';
import assert from 'node:assert/strict';
import { staleFiles, repoRoot, renderGeneratedFiles } from './generate.js';
import { ALL_KINDS, toCRD } from './index.js';

test('generated CRD YAML under crds/generated is current with crds/kinds', () => {
  assert.deepEqual(staleFiles(repoRoot()), [], 'run `npm run build && npm run gen` and commit crds/generated');
});

test('every kind is generated once, with a status subresource, short names and the loupe category', () => {
  const files = renderGeneratedFiles();
  assert.equal(files.size, ALL_KINDS.length + 3);
  for (const def of ALL_KINDS) {
    const crd = toCRD(def) as { spec: { names: { categories: string[]; shortNames: string[] }; versions: { subresources: unknown; additionalPrinterColumns: unknown[] }[] } };
    assert.deepEqual(crd.spec.names.categories, ['loupe']);
    assert.ok(crd.spec.names.shortNames.length > 0);
    assert.deepEqual(crd.spec.versions[0]!.subresources, { status: {} });
    assert.ok(crd.spec.versions[0]!.additionalPrinterColumns.length >= 2);
  }
});

function walk(node: unknown, path: string, visit: (n: Record<string, unknown>, path: string) => void): void {
  if (!node || typeof node !== 'object') return;
  const n = node as Record<string, unknown>;
  visit(n, path);
  for (const [k, v] of Object.entries((n['properties'] as Record<string, unknown>) ?? {})) walk(v, `${path}.${k}`, visit);
  if (n['items']) walk(n['items'], `${path}[]`, visit);
  if (n['additionalProperties'] && typeof n['additionalProperties'] === 'object') walk(n['additionalProperties'], `${path}{}`, visit);
}

test('schemas are structural: every node has a type (or preserves unknown fields), a description, and no anyOf/const/patternProperties', () => {
  for (const def of ALL_KINDS) {
    const root = (toCRD(def) as { spec: { versions: { schema: { openAPIV3Schema: unknown } }[] } }).spec.versions[0]!.schema.openAPIV3Schema;
    walk(root, def.kind, (n, path) => {
      if (!n['x-kubernetes-preserve-unknown-fields']) assert.ok(typeof n['type'] === 'string', `${path} has no type`);
      for (const banned of ['anyOf', 'oneOf', 'allOf', 'const', 'patternProperties', 'uniqueItems', '$id', '$ref']) assert.ok(!(banned in n), `${path} uses ${banned}`);
      if (path.split('.').length > 2 && !path.endsWith('.metadata') && !path.endsWith('.apiVersion') && !path.endsWith('.kind')) {
        assert.ok(typeof n['description'] === 'string' && n['description'].length > 0 || path.endsWith('[]') || path.endsWith('{}'), `${path} has no description`);
      }
    });
  }
});
