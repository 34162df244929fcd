import test from 'node:test';
import assert from 'node:assert/strict';
import type { MetadataView, PodInfo, ProcessInfo, ServiceInfo } from '../../metadata/types.js';
import { MEMO_ENTRIES, UdfContext } from './context.js';
import { k, run, v } from './test-support.js';

const procs: ProcessInfo[] = [
  { upid: '100:5', pid: 100, cmdline: 'node server.js', containerId: 'c1', containerName: 'web', podId: 'p1' },
  { upid: '200:6', pid: 200, cmdline: 'sshd' },
];
const pods: PodInfo[] = [
  { id: 'p1', name: 'shop/web-1', namespace: 'shop', nodeName: 'node-a', ip: '10.0.0.5', startTime: 123n, status: 'Running', serviceIds: ['s1', 's2'] },
  { id: 'p2', name: 'shop/db-0', namespace: 'shop', nodeName: 'node-b', ip: '10.0.0.6', serviceIds: ['s2'] },
];
const services: ServiceInfo[] = [
  { id: 's1', name: 'shop/web', namespace: 'shop', clusterIp: '10.96.0.10' },
  { id: 's2', name: 'shop/all', namespace: 'shop' },
];

const md: MetadataView = {
  nodeName: 'node-a',
  hostname: 'host-a',
  process: (u) => procs.find((p) => p.upid === u),
  pod: (id) => pods.find((p) => p.id === id),
  podByName: (n) => pods.find((p) => p.name === n),
  podByIp: (ip) => pods.find((p) => p.ip === ip),
  service: (id) => services.find((s) => s.id === id),
  serviceByName: (n) => services.find((s) => s.name === n),
  serviceByIp: (ip) => services.find((s) => s.clusterIp === ip),
};

const call = (fn: string, ...args: Parameters<typeof run>[1]) => run(fn, args, new UdfContext({ metadata: md })).cells;

test('upid functions resolve through the process and pod tables; unknown gives "" or 0', () => {
  const upids = v('uint128', '100:5', '200:6', '999:1');
  assert.deepEqual(call('upid_to_pod_name', upids), ['shop/web-1', '', '']);
  assert.deepEqual(call('upid_to_namespace', upids), ['shop', '', '']);
  assert.deepEqual(call('upid_to_pod_id', upids), ['p1', '', '']);
  assert.deepEqual(call('upid_to_container_name', upids), ['web', '', '']);
  assert.deepEqual(call('upid_to_container_id', upids), ['c1', '', '']);
  assert.deepEqual(call('upid_to_cmdline', upids), ['node server.js', 'sshd', '']);
  assert.deepEqual(call('upid_to_node_name', upids), ['node-a', 'node-a', '']);
  assert.deepEqual(call('upid_to_hostname', upids), ['host-a', 'host-a', '']);
  assert.deepEqual(call('upid_to_pid', upids), [100n, 200n, 999n]);
  assert.deepEqual(call('upid_to_string', upids), ['100:5', '200:6', '999:1']);
  assert.deepEqual(call('upid_to_pod_name', v('string', '100:5')), ['shop/web-1']);
});

test('a pod behind several services gives a JSON list of them', () => {
  assert.deepEqual(call('upid_to_service_name', k('uint128', '100:5')), ['["shop/web","shop/all"]']);
  assert.deepEqual(call('upid_to_service_id', k('uint128', '100:5')), ['["s1","s2"]']);
  assert.deepEqual(call('pod_id_to_service_name', v('string', 'p2', 'p1', 'zz')), ['shop/all', '["shop/web","shop/all"]', '']);
});

test('pod, IP and service lookups', () => {
  assert.deepEqual(call('pod_id_to_pod_name', v('string', 'p2')), ['shop/db-0']);
  assert.deepEqual(call('pod_id_to_namespace', v('string', 'p2')), ['shop']);
  assert.deepEqual(call('pod_id_to_node_name', v('string', 'p2')), ['node-b']);
  assert.deepEqual(call('pod_id_to_service_id', v('string', 'p2')), ['s2']);
  assert.deepEqual(call('pod_name_to_pod_id', v('string', 'shop/web-1', 'x')), ['p1', '']);
  assert.deepEqual(call('pod_name_to_namespace', v('string', 'shop/web-1')), ['shop']);
  assert.deepEqual(call('pod_name_to_start_time', v('string', 'shop/web-1', 'shop/db-0')), [123n, 0n]);
  assert.deepEqual(call('pod_name_to_status', v('string', 'shop/web-1')), ['Running']);
  assert.deepEqual(call('pod_name_to_pod_ip', v('string', 'shop/web-1')), ['10.0.0.5']);
  assert.deepEqual(call('pod_name_to_service_name', v('string', 'shop/db-0')), ['shop/all']);
  assert.deepEqual(call('ip_to_pod_id', v('string', '10.0.0.6', '1.1.1.1')), ['p2', '']);
  assert.deepEqual(call('ip_to_service_id', v('string', '10.96.0.10', '10.0.0.6', '1.1.1.1')), ['s1', 's2', '']);
  assert.deepEqual(call('service_id_to_service_name', v('string', 's1', 'nope')), ['shop/web', '']);
  assert.deepEqual(call('service_name_to_namespace', v('string', 'shop/web')), ['shop']);
  assert.deepEqual(call('nslookup', v('string', '10.0.0.5', '10.96.0.10', '8.8.8.8')), ['shop/web-1', 'shop/web', '8.8.8.8']);
});

test('without metadata every lookup misses quietly', () => {
  assert.deepEqual(run('upid_to_pod_name', [v('uint128', '100:5')]).cells, ['']);
  assert.deepEqual(run('pod_name_to_start_time', [k('string', 'x')]).cells, [0n]);
});

test('a query looks each distinct upid up once, however many batch dictionaries carry it', () => {
  let lookups = 0;
  const counting: MetadataView = { ...md, process: (u) => (lookups++, md.process(u)) };
  const ctx = new UdfContext({ metadata: counting });
  // Three batches, each with its own dictionary over the same upids (in another order).
  for (const batch of [['100:5', '200:6', '999:1'], ['999:1', '100:5', '200:6', '100:5'], ['200:6', '100:5']]) {
    const out = run('upid_to_cmdline', [v('uint128', ...batch)], ctx).cells;
    assert.deepEqual(out, batch.map((u) => md.process(u)?.cmdline ?? ''));
  }
  assert.equal(lookups, 3);
  // Another function has its own memo; its results are right too.
  assert.deepEqual(run('upid_to_pod_name', [v('uint128', '200:6', '100:5')], ctx).cells, ['', 'shop/web-1']);
  assert.equal(lookups, 5);
  // A new query (a new context) looks up again: the memo does not outlive the query.
  run('upid_to_cmdline', [v('uint128', '100:5')], new UdfContext({ metadata: counting }));
  assert.equal(lookups, 6);
});

test('the per-query memo keeps at most MEMO_ENTRIES results; values past it are computed each time', () => {
  let lookups = 0;
  const counting: MetadataView = { ...md, process: (u) => (lookups++, u === '100:5' ? md.process(u) : { upid: u, pid: 1, cmdline: `cmd ${u}` }) };
  const ctx = new UdfContext({ metadata: counting });
  const first = Array.from({ length: MEMO_ENTRIES }, (_, i) => `${i + 1000}:1`);
  run('upid_to_cmdline', [v('uint128', ...first)], ctx);
  assert.equal(lookups, MEMO_ENTRIES);
  // The memo is full: new values are computed (correctly) but not remembered.
  const late = ['100:5', '7:7'];
  for (let round = 1; round <= 3; round++) {
    assert.deepEqual(run('upid_to_cmdline', [v('uint128', ...late)], ctx).cells, ['node server.js', 'cmd 7:7']);
    assert.equal(lookups, MEMO_ENTRIES + 2 * round);
  }
  // Values remembered before it filled are still served from it.
  const again = run('upid_to_cmdline', [v('uint128', first[0]!, first[MEMO_ENTRIES - 1]!)], ctx).cells;
  assert.deepEqual(again, [`cmd ${first[0]}`, `cmd ${first[MEMO_ENTRIES - 1]}`]);
  assert.equal(lookups, MEMO_ENTRIES + 6);
});
