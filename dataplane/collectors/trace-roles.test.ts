// The trace-roles rule, alone and in the collector's path (SocketEventRouter over batches shaped
// like the addon's): one row per request between two traced processes, the client side only for
// remote ends outside, both sides on request; conn_stats keeps every side.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CidrSet, LOOPBACK, parseCidr, parseIp } from '../../lib/cidr.js';
import { TRAFFIC_PROTOCOL } from '../protocols/types.js';
import { SocketEventRouter } from './socket-trace-collector.js';
import { decideSide } from './trace-roles.js';
import { TracerBatchBuilder, type BatchConnection } from './tracer-batch.js';

const CLUSTER = new CidrSet([...LOOPBACK, parseCidr('10.244.0.0/16'), parseCidr('10.96.0.0/12')]);
const ip = (text: string) => parseIp(text)!;

test('the server side is always traced; a client side only towards the outside, or with both roles', () => {
  assert.equal(decideSide('server', 'server', CLUSTER, ip('10.244.1.2')), 'trace');
  assert.equal(decideSide('server', 'server', undefined, ip('10.244.1.2')), 'trace', 'a server side never waits');
  assert.equal(decideSide('client', 'server', CLUSTER, ip('10.244.1.2')), 'skip', 'a pod');
  assert.equal(decideSide('client', 'server', CLUSTER, ip('10.96.0.10')), 'skip', 'a service');
  assert.equal(decideSide('client', 'server', CLUSTER, ip('127.0.0.1')), 'skip', 'loopback counts as inside');
  assert.equal(decideSide('client', 'server', CLUSTER, ip('::ffff:10.244.1.2')), 'skip', 'an IPv4-mapped peer');
  assert.equal(decideSide('client', 'server', CLUSTER, ip('10.201.0.2')), 'trace', 'outside');
  assert.equal(decideSide('client', 'server', undefined, ip('10.201.0.2')), 'pending', 'the inside networks are not known yet');
  assert.equal(decideSide('client', 'both', CLUSTER, ip('10.244.1.2')), 'trace');
  assert.equal(decideSide('client', 'both', undefined, ip('10.244.1.2')), 'trace');
});

const REQUEST = 'GET /items/7 HTTP/1.1\r\nHost: svc\r\n\r\n';
const RESPONSE = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok';
const SERVER: BatchConnection = { generation: 1, tgid: 100, role: 'server', local: '127.0.0.1:8080', remote: '127.0.0.1:40000' };
const CLIENT: BatchConnection = { generation: 2, tgid: 200, role: 'client', local: '127.0.0.1:40000', remote: '127.0.0.1:8080' };

/** One request and its response on `client` and, when given, on `server`: both ends traced. */
function exchange(b: TracerBatchBuilder, client: BatchConnection | undefined, server: BatchConnection | undefined): TracerBatchBuilder {
  for (const c of [client, server]) if (c) b.open(c);
  if (client) b.data(client.generation, 'egress', REQUEST);
  if (server) b.data(server.generation, 'ingress', REQUEST).data(server.generation, 'egress', RESPONSE);
  if (client) b.data(client.generation, 'ingress', RESPONSE);
  for (const c of [client, server]) if (c) b.close(c.generation);
  return b;
}

test('a request between two traced processes on one host makes one row, the server side', () => {
  const router = new SocketEventRouter();
  router.setInside(new CidrSet(LOOPBACK));
  router.route(exchange(new TracerBatchBuilder(), CLIENT, SERVER).take());
  const rows = router.takeHttpEvents();
  assert.deepEqual(rows.map((r) => [r.trace_role, r.req_path, r.resp_status, r.local_port]), [[2, '/items/7', 200, 8080]]);
  assert.deepEqual(router.traceRoleCounters, { skippedConnections: 1, skippedEvents: 2, skippedRows: 0, heldRowsDropped: 0 });
  // conn_stats keeps both sides, the skipped one with its bytes and protocol.
  const stats = router.connStats.flush(0n).map((r) => [r.trace_role, r.protocol, r.bytes_sent, r.bytes_recv, r.conn_open, r.conn_close]).sort();
  assert.deepEqual(stats, [
    [1, TRAFFIC_PROTOCOL.http, REQUEST.length, RESPONSE.length, 1, 1],
    [2, TRAFFIC_PROTOCOL.http, RESPONSE.length, REQUEST.length, 1, 1],
  ]);
});

test('with both roles traced, the same request makes a row on each side', () => {
  const router = new SocketEventRouter({}, 'both');
  router.route(exchange(new TracerBatchBuilder(), CLIENT, SERVER).take());
  assert.deepEqual(router.takeHttpEvents().map((r) => r.trace_role).sort(), [1, 2]);
  assert.equal(router.traceRoleCounters.skippedConnections, 0);
});

test('a client side calling outside the inside networks is recorded, as the client', () => {
  const router = new SocketEventRouter();
  router.setInside(CLUSTER);
  const out: BatchConnection = { generation: 3, tgid: 200, role: 'client', local: '10.244.1.5:40001', remote: '10.201.0.2:80' };
  const v6out: BatchConnection = { generation: 4, tgid: 200, role: 'client', local: '[fd00::5]:40002', remote: '[2001:db8::2]:80' };
  const pod: BatchConnection = { generation: 5, tgid: 200, role: 'client', local: '10.244.1.5:40003', remote: '10.244.2.9:80' };
  const mapped: BatchConnection = { generation: 6, tgid: 200, role: 'client', local: '[::ffff:10.244.1.5]:40004', remote: '[::ffff:10.96.0.10]:80' };
  const b = new TracerBatchBuilder();
  for (const c of [out, v6out, pod, mapped]) exchange(b, c, undefined);
  router.route(b.take());
  assert.deepEqual(router.takeHttpEvents().map((r) => [r.trace_role, r.remote_addr, r.remote_port]), [[1, '10.201.0.2', 80], [1, '2001:db8::2', 80]]);
  assert.equal(router.traceRoleCounters.skippedConnections, 2, 'the pod and the service (IPv4-mapped)');
});

test("a connection the kernel muted is skipped, and its first bytes still name the protocol in conn_stats", () => {
  const router = new SocketEventRouter();
  router.setInside(new CidrSet(LOOPBACK));
  const muted: BatchConnection = { ...CLIENT, remote: '10.201.0.2:80', noPayload: true };
  router.route(new TracerBatchBuilder().open(muted).data(2, 'egress', REQUEST, 16).data(2, 'ingress', RESPONSE, 0).take());
  assert.deepEqual(router.takeHttpEvents(), []);
  assert.deepEqual(router.traceRoleCounters, { skippedConnections: 1, skippedEvents: 2, skippedRows: 0, heldRowsDropped: 0 });
  const [row] = router.connStats.flush(0n);
  assert.deepEqual([row?.protocol, row?.bytes_sent, row?.bytes_recv], [TRAFFIC_PROTOCOL.http, REQUEST.length, RESPONSE.length]);
});

test('a connection found open takes its side from its protocol: a client side inside is dropped, a server side recorded', () => {
  const router = new SocketEventRouter();
  router.setInside(new CidrSet(LOOPBACK));
  const foundClient: BatchConnection = { ...CLIENT, role: 'unknown' };
  const foundServer: BatchConnection = { ...SERVER, role: 'unknown' };
  router.route(exchange(new TracerBatchBuilder(), foundClient, foundServer).take());
  assert.deepEqual(router.takeHttpEvents().map((r) => [r.trace_role, r.local_port]), [[2, 8080]]);
  assert.equal(router.traceRoleCounters.skippedConnections, 1);
});

test('client sides met before the inside networks are known wait for them: outside ones are recorded, inside ones dropped', () => {
  const router = new SocketEventRouter();
  const out: BatchConnection = { generation: 3, tgid: 200, role: 'client', local: '10.244.1.5:40001', remote: '10.201.0.2:80' };
  const pod: BatchConnection = { generation: 5, tgid: 200, role: 'client', local: '10.244.1.5:40003', remote: '10.244.2.9:80' };
  const b = new TracerBatchBuilder();
  for (const c of [out, pod]) exchange(b, c, undefined);
  router.setInside(undefined);
  router.route(b.take());
  assert.deepEqual(router.takeHttpEvents(), [], 'held while the networks are unknown');
  router.setInside(CLUSTER);
  assert.deepEqual(router.takeHttpEvents().map((r) => r.remote_addr), ['10.201.0.2']);
  assert.deepEqual(router.traceRoleCounters, { skippedConnections: 1, skippedEvents: 0, skippedRows: 1, heldRowsDropped: 0 });
});

test('rows still waiting when the tracer stops are dropped and counted', () => {
  const router = new SocketEventRouter();
  const out: BatchConnection = { generation: 3, tgid: 200, role: 'client', local: '10.244.1.5:40001', remote: '10.201.0.2:80' };
  router.route(exchange(new TracerBatchBuilder(), out, undefined).take());
  router.dropPending();
  router.setInside(CLUSTER);
  assert.deepEqual(router.takeHttpEvents(), []);
  assert.equal(router.traceRoleCounters.heldRowsDropped, 1);
});
