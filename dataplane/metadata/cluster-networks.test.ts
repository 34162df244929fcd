import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCidr } from '../../lib/cidr.js';
import { ClusterNetworks } from './cluster-networks.js';
import { nodeRecord, podRecord, serviceRecord, type NodeRecord, type PodRecord, type ServiceRecord } from './kube-objects.js';

const pod = (uid: string, ips: string[], hostNetwork = false): PodRecord =>
  podRecord({ metadata: { uid, name: uid, namespace: 'ns' }, spec: { nodeName: 'n1', hostNetwork }, status: { podIP: ips[0], podIPs: ips.map((ip) => ({ ip })) } })!;
const service = (uid: string, ...clusterIPs: string[]): ServiceRecord => serviceRecord({ metadata: { uid, name: uid, namespace: 'ns' }, spec: { clusterIP: clusterIPs[0] ?? 'None', clusterIPs } })!;
const node = (uid: string, podCIDRs: string[], internalIp: string): NodeRecord =>
  nodeRecord({ metadata: { uid, name: uid }, spec: { podCIDR: podCIDRs[0], podCIDRs }, status: { addresses: [{ type: 'InternalIP', address: internalIp }, { type: 'Hostname', address: uid }] } })!;

test('nodeRecord reads the pod CIDRs and the IP addresses of a node', () => {
  assert.deepEqual(node('n1', ['10.244.1.0/24', 'fd00:10:244:1::/64'], '192.168.0.11'), { uid: 'n1', name: 'n1', podCidrs: ['10.244.1.0/24', 'fd00:10:244:1::/64'], addresses: ['192.168.0.11'] });
  assert.deepEqual(nodeRecord({ metadata: { uid: 'n2', name: 'n2' }, spec: { podCIDR: '10.244.2.0/24' }, status: { addresses: [{ type: 'ExternalIP', address: '203.0.113.7' }] } }), { uid: 'n2', name: 'n2', podCidrs: ['10.244.2.0/24'], addresses: ['203.0.113.7'] });
  assert.equal(nodeRecord({ metadata: { name: 'no-uid' } }), undefined);
});

test('inside: node pod CIDRs and addresses, pod IPs, the services\' cluster IP range and loopback, once pods and services are listed', () => {
  const nets = new ClusterNetworks({ minRebuildMs: 0 });
  assert.equal(nets.current(), undefined, 'nothing listed yet');
  nets.nodes.replace([node('n1', ['10.244.1.0/24'], '192.168.0.11'), node('n2', ['10.244.2.0/24'], '192.168.0.12')]);
  nets.pods.replace([pod('a', ['10.244.1.5']), pod('calico', ['172.16.9.3']), pod('kube-proxy', ['192.168.0.11'], true)]);
  assert.equal(nets.current(), undefined, 'services not listed yet');
  nets.services.replace([service('kubernetes', '10.96.0.1'), service('dns', '10.96.0.10'), service('web', '10.100.3.4'), service('headless'), service('v6', 'fd00:10:96::a', 'fd00:10:96::1:b')]);
  const set = nets.current()!;
  assert.equal(set.toString(), '127.0.0.0/8,10.96.0.0/13,fd00:10:96::/111,10.244.1.0/24,10.244.2.0/24,::1/128,172.16.9.3/32,192.168.0.11/32,192.168.0.12/32');
  assert.match(nets.source, /pod CIDRs and the pod and node addresses, the services' cluster IP range and loopback/);
  for (const inside of ['10.244.2.200', '10.96.0.1', '10.101.0.1', '172.16.9.3', '192.168.0.12', '127.0.0.1', 'fd00:10:96::ff']) assert.ok(set.containsIp(inside), inside);
  for (const outside of ['10.244.3.1', '10.104.0.1', '172.16.9.4', '192.168.0.13', '8.8.8.8']) assert.ok(!set.containsIp(outside), outside);
});

test('explicit cluster and service CIDRs replace what the API says, and need nothing listed for their half', () => {
  const nets = new ClusterNetworks({ clusterCidrs: [parseCidr('10.0.0.0/16')], serviceCidrs: [parseCidr('10.96.0.0/12')] });
  assert.equal(nets.current()?.toString(), '127.0.0.0/8,10.96.0.0/12,10.0.0.0/16,::1/128', 'known before anything is listed');
  nets.pods.replace([pod('a', ['10.244.1.5'])]);
  nets.nodes.replace([node('n1', ['10.244.1.0/24'], '192.168.0.11')]);
  nets.services.replace([service('kubernetes', '172.20.0.1')]);
  assert.ok(!nets.current()!.containsIp('10.244.1.5'));
  assert.ok(!nets.current()!.containsIp('172.20.0.1'));

  const servicesOnly = new ClusterNetworks({ serviceCidrs: [parseCidr('10.96.0.0/12')] });
  assert.equal(servicesOnly.current(), undefined, 'pods still decide the pod half');
  servicesOnly.pods.replace([pod('a', ['10.244.1.5'])]);
  assert.equal(servicesOnly.current()?.toString(), '127.0.0.0/8,10.96.0.0/12,::1/128,10.244.1.5/32');
});

test('pod churn re-reads the set only when an address appears or goes, at most every minRebuildMs', () => {
  let now = 0;
  const nets = new ClusterNetworks({ minRebuildMs: 5_000, now: () => now });
  nets.services.replace([service('kubernetes', '10.96.0.1')]);
  nets.pods.replace([pod('a', ['172.16.0.1']), pod('b', ['172.16.0.2'])]);
  const first = nets.current()!;
  // A status update that keeps the pod's IP: the same set, no rebuild.
  nets.pods.upsert(pod('a', ['172.16.0.1']));
  now = 10_000;
  assert.equal(nets.current(), first);
  // Another pod with an IP already held (a host-network pod's node IP): the same set.
  nets.pods.upsert(pod('c', ['172.16.0.2']));
  now = 20_000;
  assert.equal(nets.current(), first);
  // A new IP: the next read within minRebuildMs still answers with the old set, then the new one.
  nets.pods.upsert(pod('d', ['172.16.0.3']));
  now = 21_000;
  const second = nets.current()!;
  assert.ok(second.containsIp('172.16.0.3'), 'the first change after a quiet period shows at once');
  nets.pods.remove(pod('d', ['172.16.0.3']));
  now = 22_000;
  assert.equal(nets.current(), second, 'within minRebuildMs of the last read');
  now = 26_000;
  assert.ok(!nets.current()!.containsIp('172.16.0.3'), 'the pod is gone');
  nets.pods.remove(pod('b', ['172.16.0.2']));
  now = 40_000;
  assert.ok(nets.current()!.containsIp('172.16.0.2'), 'pod c still holds the address');
});
