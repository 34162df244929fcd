// PEMs and Kelvins announce themselves over a real NATS server; the broker's registry sees them
// arrive, leave, expire, and learns agents that started before it did.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { connect, type NatsConnection } from 'nats';
import { AgentAnnouncer, AgentRegistry, SUBJECTS, type AgentInfo } from '../dataplane/query/agent-registry.js';
import { startNats, type NatsServer } from './harness/nats.js';

let nats: NatsServer;
const connections: NatsConnection[] = [];
const open = async () => {
  const nc = await connect({ servers: nats.url });
  connections.push(nc);
  return nc;
};
const pem = (id: string): AgentInfo => ({ id, kind: 'pem', address: `127.0.0.1:${id.length}`, hostname: 'h', tables: [{ name: 't', timeColumn: 'time_', columns: [{ name: 'time_', type: 'time64ns' }] }] });

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
  const registry = new AgentRegistry(await open(), 3_000, () => now);
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
