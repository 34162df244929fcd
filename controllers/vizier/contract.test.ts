// The operator-to-role contract, both ways: every variable the Vizier render gives a Loupe
// container is one that container's role declares (crds/contract/), and parsing the rendered
// environment the way the role does (crds/contract/role-config.ts), with the downward-API and Secret values
// filled in as the kubelet would, gives back what the spec asked for.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubernetesObject, V1Container, V1Deployment, V1EnvVar } from '@kubernetes/client-node';
import { VIZIER_ROLE_CONTRACTS, type RoleContract, type VizierRole } from '../../crds/contract/index.js';
import type { Vizier } from '../../crds/kinds/vizier.js';
import { parseQuantity } from '../../lib/quantity.js';
import { parseDurationMs } from '../../lib/duration.js';
import { parseCidr } from '../../lib/cidr.js';
import { parseRoleConfig } from '../../crds/contract/role-config.js';
import { vizier, tls } from './fixtures.test-util.js';
import { ETCD_IMAGE, InvalidSpecError, NATS_IMAGE, renderVizier, tableStoreBytes, TLS_MOUNT } from './render.js';

const POD = { name: 'vz-pem-x2x9k', namespace: 'obs', ip: '10.1.2.3', node: 'node-7' };
const DEPLOY_KEY = 'deploy-key-from-the-secret';

/** What the kubelet puts in a variable that refers to the pod or a Secret. */
function resolve(e: V1EnvVar): string {
  if (e.value !== undefined) return e.value;
  const field = e.valueFrom?.fieldRef?.fieldPath;
  const byField: Record<string, string> = { 'metadata.name': POD.name, 'metadata.namespace': POD.namespace, 'status.podIP': POD.ip, 'spec.nodeName': POD.node };
  if (field !== undefined) {
    assert.ok(field in byField, `unexpected fieldRef ${field}`);
    return byField[field]!;
  }
  assert.ok(e.valueFrom?.secretKeyRef, `${e.name} has neither a value, a fieldRef nor a secretKeyRef`);
  return DEPLOY_KEY;
}

interface LoupeContainer {
  readonly role: VizierRole;
  readonly container: V1Container;
}

/** Every Loupe container (the others run NATS and etcd images), with the role its first argument names. */
function loupeContainers(objs: KubernetesObject[]): LoupeContainer[] {
  const out: LoupeContainer[] = [];
  for (const o of objs.filter((x) => ['Deployment', 'StatefulSet', 'DaemonSet'].includes(x.kind!))) {
    for (const c of (o as V1Deployment).spec!.template.spec!.containers) {
      if (c.image!.endsWith(`/${NATS_IMAGE}`) || c.image!.endsWith(`/${ETCD_IMAGE}`)) continue;
      const role = c.args?.[0];
      assert.ok(role !== undefined && role in VIZIER_ROLE_CONTRACTS, `${o.kind} ${o.metadata!.name} runs role ${role}, which has no contract`);
      out.push({ role: role as VizierRole, container: c });
    }
  }
  return out;
}

/** What each role must read back from a Vizier with this (defaulted) spec. */
function expected(vz: Vizier, role: VizierRole): Record<string, unknown> {
  const spec = vz.spec;
  const connection = { nats: `tls://vz-nats.obs.svc:4222`, tlsDir: TLS_MOUNT, healthAddr: { host: '0.0.0.0', port: 9090 }, podName: POD.name, podNamespace: POD.namespace };
  const identity = { clusterName: spec.clusterName || 'obs/vz', vizierName: 'vz' };
  switch (role) {
    case 'pem':
      return {
        ...connection,
        ...identity,
        podIp: POD.ip,
        nodeName: POD.node,
        dataAccess: spec.dataAccess,
        protocols: spec.pem.protocols,
        traceRoles: spec.pem.traceRoles,
        clusterCidrs: spec.pem.clusterCIDRs?.map(parseCidr),
        serviceCidrs: spec.pem.serviceCIDRs?.map(parseCidr),
        tableStoreBytes: tableStoreBytes(spec),
        retention: parseDurationMs(spec.pem.dataRetention),
        hostPrefix: '/host',
      };
    case 'kelvin':
      return { ...connection, ...identity, podIp: POD.ip, queryMemory: Math.floor(parseQuantity(spec.kelvin.resources.memoryLimit) / 2) };
    case 'query-broker':
      return connection;
    case 'metadata':
      return { ...connection, storage: spec.metadata.storage, etcdEndpoints: spec.metadata.storage === 'etcd' ? 'https://vz-etcd.obs.svc:2379' : undefined };
    case 'cloud-connector':
      return { ...connection, ...identity, cloudAddr: spec.cloud!.address, cloudInsecureSkipVerify: spec.cloud!.insecureSkipVerify, queryBrokerAddr: { host: 'vz-query-broker.obs.svc', port: 50300 }, deployKey: DEPLOY_KEY };
  }
}

const CLOUD = { address: 'cloud.example:443', deployKeySecretRef: { name: 'deploy', key: 'k' }, insecureSkipVerify: true };
const VIZIERS: readonly [string, Record<string, unknown>][] = [
  ['defaults', {}],
  ['PIIRestricted with protocols set', { dataAccess: 'PIIRestricted', pem: { protocols: ['http', 'dns', 'redis'] } }],
  ['Restricted with no protocols', { dataAccess: 'Restricted', pem: { protocols: [] } }],
  ['clusterName set', { clusterName: 'prod-eu-1' }],
  ['cloud set', { cloud: CLOUD }],
  ['retention, table store and query memory set', { pem: { dataRetention: '1h30m', tableStorePercent: 45, resources: { memoryLimit: '3Gi' } }, kelvin: { resources: { memoryLimit: '5Gi' } } }],
  ['etcd storage', { metadata: { storage: 'etcd' } }],
  ['both trace roles', { pem: { traceRoles: 'both' } }],
  ['cluster and service CIDRs set', { pem: { clusterCIDRs: ['10.244.0.0/16', 'fd00:10:244::/56'], serviceCIDRs: ['10.96.0.0/12'] } }],
];

/** Each variable declared by the role, none twice, and the parsed values are the spec's. */
function checkContainer(vz: Vizier, { role, container }: LoupeContainer): void {
  const contract: RoleContract = VIZIER_ROLE_CONTRACTS[role];
  const declared = new Set(Object.values(contract.settings).map((s) => s.env));
  const env = container.env ?? [];
  for (const e of env) assert.ok(declared.has(e.name), `${role} is given ${e.name}, which no setting of the ${role} contract reads`);
  assert.equal(new Set(env.map((e) => e.name)).size, env.length, `${role}: a variable is given twice`);
  const parsed = parseRoleConfig(contract, [], Object.fromEntries(env.map((e) => [e.name, resolve(e)])));
  assert.notEqual(parsed, 'help');
  const values = (parsed as { values: Record<string, unknown> }).values;
  for (const [key, want] of Object.entries(expected(vz, role))) assert.deepEqual(values[key], want, `${role} ${key}`);
}

for (const [name, spec] of VIZIERS) {
  test(`a Vizier with ${name}: each Loupe container gets only variables its role reads, and reads back the spec`, () => {
    const vz = vizier(spec);
    const containers = loupeContainers(renderVizier({ vizier: vz, tls: tls() }));
    assert.deepEqual(new Set(containers.map((c) => c.role)), new Set(['pem', 'kelvin', 'query-broker', 'metadata', ...(spec['cloud'] ? ['cloud-connector'] : [])]));
    for (const c of containers) checkContainer(vz, c);
  });
}

test('a variable no role reads, or a value that does not come back, fails the check', () => {
  const vz = vizier();
  const broker = loupeContainers(renderVizier({ vizier: vz, tls: tls() })).find((c) => c.role === 'query-broker')!;
  const withExtra = { ...broker.container, env: [...broker.container.env!, { name: 'LOUPE_KELVIN_ADDR', value: 'vz-kelvin.obs.svc:59300' }] };
  assert.throws(() => checkContainer(vz, { role: 'query-broker', container: withExtra }), /query-broker is given LOUPE_KELVIN_ADDR, which no setting/);
  const pem = loupeContainers(renderVizier({ vizier: vizier({ dataAccess: 'Restricted' }), tls: tls() })).find((c) => c.role === 'pem')!;
  assert.throws(() => checkContainer(vz, pem), /pem dataAccess/);
});

test('a CIDR the schema lets through but that is no block is an InvalidSpec naming the field', () => {
  const vz = vizier({ pem: { serviceCIDRs: ['10.96.0.0/12', '10.300.0.0/16'] } });
  assert.throws(() => renderVizier({ vizier: vz, tls: tls() }), (err: unknown) => err instanceof InvalidSpecError && /^spec\.pem\.serviceCIDRs\[1\] "10\.300\.0\.0\/16": not an IPv4 or IPv6 address/.test(err.message));
});
