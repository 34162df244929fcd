// PEMs and Kelvins announce themselves over a real NATS server; the broker's registry sees them
// arrive, leave, expire, and learns agents that started before it did.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { connect, type NatsConnection } from 'nats';
import { AgentAnnouncer, AgentRegistry, SUBJECTS, type AgentInfo, type AgentRefusal } from '../dataplane/query/agent-registry.js';
import { PROTOCOL_VERSION } from '../dataplane/query/protocol-version.js';
import { startNats, type NatsServer } from './harness/nats.js';

let nats: NatsServer;
const connections: NatsConnection[] = [];
const open = async () => {
  const nc = await connect({ servers: nats.url });
  connections.push(nc);
  return nc;
};
const pem = (id: string): AgentInfo => ({ id, kind: 'pem', address: `127.0.0.1:${id.length}`, hostname: 'h', tables: [{ name: 't', timeColumn: 'time_', columns: [{ name: 'time_', type: 'time64ns' }] }], protocolVersion: PROTOCOL_VERSION });

before(async () => {
  nats = await startNats();
});
after(async () => {
  for (const nc of connections) await nc.close();
  await nats.stop();
});

test('agents announced before the registry started are learned at once; goodbyes remove them', async () => {
  const early = new AgentAnnouncer(await open(), pem('pem-early'), 60_000);
  early.start();
  const registry = new AgentRegistry(await open());
  await registry.start();
  // The interval is a minute: only the registry's announce request can bring it in time.
  await registry.waitFor('pem-early', (a) => a.some((x) => x.id === 'pem-early'), 5_000);
  const kelvin = new AgentAnnouncer(await open(), { ...pem('kelvin-1'), kind: 'kelvin', tables: [] }, 60_000);
  kelvin.start();
  await registry.waitFor('kelvin-1', (a) => a.some((x) => x.id === 'kelvin-1'), 5_000);
  assert.deepEqual(registry.live('pem').map((a) => a.id), ['pem-early']);
  assert.deepEqual(registry.live('kelvin').map((a) => a.id), ['kelvin-1']);
  assert.equal(registry.live('pem')[0]!.tables[0]!.name, 't');
  await early.stop();
  await registry.waitFor('pem-early to leave', (a) => !a.some((x) => x.id === 'pem-early'), 5_000);
  await kelvin.stop();
  registry.stop();
});

test('an agent that stops heartbeating expires; malformed heartbeats are counted, not registered', async () => {
  let now = 1_000_000;
  const registry = new AgentRegistry(await open(), { expireAfterMs: 3_000, now: () => now });
  await registry.start();
  const nc = await open();
  nc.publish(SUBJECTS.heartbeat, new TextEncoder().encode(JSON.stringify(pem('pem-quiet'))));
  nc.publish(SUBJECTS.heartbeat, new TextEncoder().encode('{"id": 3}'));
  nc.publish(SUBJECTS.heartbeat, new TextEncoder().encode('not json'));
  await registry.waitFor('pem-quiet', (a) => a.some((x) => x.id === 'pem-quiet'), 5_000);
  await nc.flush();
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(registry.rejectedHeartbeats, 2);
  now += 2_999;
  assert.equal(registry.live().length, 1);
  now += 2;
  assert.equal(registry.live().length, 0, 'missed heartbeats for longer than expireAfterMs');
  registry.stop();
});

test('an agent of a protocol version the registry does not speak is refused once, kept out of live(), and forgotten when it goes quiet', async () => {
  let now = 1_000_000;
  const refusals: AgentRefusal[] = [];
  const registry = new AgentRegistry(await open(), { expireAfterMs: 3_000, now: () => now, protocol: { version: PROTOCOL_VERSION + 1 }, onRefused: (r) => refusals.push(r) });
  await registry.start();
  const nc = await open();
  const heartbeat = (info: AgentInfo) => nc.publish(SUBJECTS.heartbeat, new TextEncoder().encode(JSON.stringify(info)));
  heartbeat({ ...pem('pem-old'), protocolVersion: PROTOCOL_VERSION - 1 });
  heartbeat({ ...pem('pem-old'), protocolVersion: PROTOCOL_VERSION - 1 });
  heartbeat(pem('pem-previous'));
  // One publisher's messages arrive in order: once pem-previous is in, both pem-old heartbeats were seen.
  await registry.waitFor('pem-previous', (a) => a.some((x) => x.id === 'pem-previous'), 5_000);
  assert.deepEqual(registry.live().map((a) => [a.id, a.protocolVersion]), [['pem-previous', PROTOCOL_VERSION]]);
  assert.deepEqual(refusals.map((r) => [r.agent.id, r.reason, r.error.message]), [
    ['pem-old', 'protocol_version', `PEM pem-old at 127.0.0.1:7 speaks protocol version ${PROTOCOL_VERSION - 1}; this query broker supports protocol versions ${PROTOCOL_VERSION} and ${PROTOCOL_VERSION + 1}: upgrade the PEM: a query broker takes agents of its own version and the one before`],
  ]);
  assert.deepEqual(registry.refused().map((r) => r.agent.id), ['pem-old']);
  now += 3_001;
  assert.deepEqual(registry.refused(), [], 'a refused agent that stopped announcing is forgotten');
  registry.stop();
});
