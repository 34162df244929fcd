import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAllDocuments } from 'yaml';
import { rbacIsCurrent, renderRbac, RBAC_FILE } from './generate-rbac.js';
import { operatorControllers } from './index.js';
import type { Controller, PolicyRule, Verb } from '../operator/runtime/types.js';

interface RbacObject {
  kind: string;
  metadata: { name: string; namespace?: string };
  rules?: PolicyRule[];
}
const objects = (yaml: string) => parseAllDocuments(yaml).map((d) => d.toJS() as RbacObject);
const allows = (rules: PolicyRule[], group: string, resource: string, verb: Verb) =>
  rules.some((r) => r.apiGroups.includes(group) && r.resources.includes(resource) && r.verbs.includes(verb));

test(`${RBAC_FILE} is current with what the controllers declare`, () => {
  assert.ok(rbacIsCurrent(), `${RBAC_FILE} is stale: run \`make gen\` and commit it`);
});

test('the operator may do what its reconcilers do, and may not create namespaces or use wildcards', () => {
  const [clusterRole, , role] = objects(renderRbac());
  const rules = clusterRole!.rules!;
  assert.ok(allows(rules, 'loupe.dev', 'viziers/status', 'patch'));
  assert.ok(allows(rules, 'apps', 'statefulsets', 'create') && allows(rules, 'apps', 'statefulsets', 'delete'), 'apply and prune children');
  assert.ok(allows(rules, '', 'pods', 'delete'), 'restart failing NATS pods');
  assert.ok(allows(rules, '', 'persistentvolumeclaims', 'delete'), 'delete volume claims on cleanup');
  assert.ok(allows(rules, 'discovery.k8s.io', 'endpointslices', 'list'), 'holds what the metadata ClusterRole grants');
  assert.ok(allows(rules, '', 'events', 'create'));
  assert.ok(!allows(rules, '', 'namespaces', 'create'));
  assert.ok(!rules.some((r) => [...r.apiGroups, ...r.resources, ...r.verbs].some((s) => s === '*')));
  assert.ok(!allows(rules, 'coordination.k8s.io', 'leases', 'get'), 'leases only through the namespaced Role');
  assert.equal(role!.kind, 'Role');
  assert.equal(role!.metadata.namespace, 'loupe-system');
  assert.deepEqual(role!.rules, [{ apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] }]);
});

test('a new controller\'s declarations reach the generated RBAC', () => {
  const widgets: Controller = {
    name: 'widget',
    for: { group: 'example.dev', version: 'v1', kind: 'Widget', plural: 'widgets', namespaced: true },
    owns: [{ group: 'batch', version: 'v1', kind: 'Job', plural: 'jobs', namespaced: true }],
    reconcile: async () => undefined,
  };
  const yaml = renderRbac([...operatorControllers(), widgets]);
  assert.notEqual(yaml, renderRbac());
  const rules = objects(yaml)[0]!.rules!;
  assert.ok(allows(rules, 'example.dev', 'widgets', 'watch'));
  assert.ok(allows(rules, 'batch', 'jobs', 'create'));
  assert.match(yaml, /# widget: applies, prunes and watches its children \(Job\)/);
});
