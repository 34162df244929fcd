import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clusterPermissions, compactRules, controllerPermissions } from './rbac.js';
import type { Controller, ResourceType } from './types.js';

const type = (group: string, kind: string, plural: string, namespaced = true): ResourceType => ({ group, version: 'v1', kind, plural, namespaced });
const WIDGETS = type('example.dev', 'Widget', 'widgets');
const CONFIGMAPS = type('', 'ConfigMap', 'configmaps');
const SECRETS = type('', 'Secret', 'secrets');
const PODS = type('', 'Pod', 'pods');
const NODES = type('', 'Node', 'nodes', false);

const widgets: Controller = {
  name: 'widget',
  for: WIDGETS,
  owns: [CONFIGMAPS, SECRETS],
  watches: [
    { type: PODS, map: () => [], verbs: ['delete'] },
    { type: NODES, map: () => [] },
  ],
  extraPermissions: [{ reason: 'widget: grants read access to namespaces', rules: [{ apiGroups: [''], resources: ['namespaces'], verbs: ['get', 'list'] }] }],
  reconcile: async () => undefined,
};

test('a controller needs its primary (cache, finalizer, status), its children (apply, prune), what it watches, and its extras', () => {
  const rules = controllerPermissions(widgets).flatMap((p) => compactRules(p.rules));
  assert.deepEqual(rules, [
    { apiGroups: ['example.dev'], resources: ['widgets'], verbs: ['get', 'list', 'watch', 'patch'] },
    { apiGroups: ['example.dev'], resources: ['widgets/status'], verbs: ['patch'] },
    { apiGroups: ['example.dev'], resources: ['widgets/finalizers'], verbs: ['update'] },
    { apiGroups: [''], resources: ['configmaps', 'secrets'], verbs: ['get', 'list', 'watch', 'create', 'patch', 'delete'] },
    { apiGroups: [''], resources: ['pods'], verbs: ['list', 'watch', 'delete'] },
    { apiGroups: [''], resources: ['nodes'], verbs: ['list', 'watch'] },
    { apiGroups: [''], resources: ['namespaces'], verbs: ['get', 'list'] },
  ]);
});

test('each group of rules says why it is there; the runtime adds Events', () => {
  const reasons = clusterPermissions([widgets]).map((p) => p.reason);
  assert.deepEqual(reasons, [
    'widget: reconciles Widget (example.dev/v1): cache, finalizer, status',
    'widget: applies, prunes and watches its children (ConfigMap, Secret)',
    'widget: watches Pod, Node',
    'widget: grants read access to namespaces',
    'runtime: Events about the objects it reconciles (created once, then their count is patched)',
  ]);
});

test('compacting merges resources with the same verbs, unions the verbs of a resource named twice, and orders both', () => {
  assert.deepEqual(
    compactRules([
      { apiGroups: ['apps'], resources: ['statefulsets'], verbs: ['watch', 'list'] },
      { apiGroups: ['apps'], resources: ['deployments'], verbs: ['list', 'watch'] },
      { apiGroups: ['apps'], resources: ['statefulsets'], verbs: ['delete'] },
      { apiGroups: [''], resources: ['pods'], verbs: ['get', 'get'] },
    ]),
    [
      { apiGroups: ['apps'], resources: ['statefulsets'], verbs: ['list', 'watch', 'delete'] },
      { apiGroups: ['apps'], resources: ['deployments'], verbs: ['list', 'watch'] },
      { apiGroups: [''], resources: ['pods'], verbs: ['get'] },
    ],
  );
});
