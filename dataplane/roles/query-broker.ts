// `loupe query-broker`: the query API. Keeps the live agents from NATS (AgentRegistry) and
// serves BROKER_SERVICE (brokerHandlers), the same service `loupe standalone` answers, so
// `loupe run --server HOST:PORT` works against either.
import { Gauge } from 'prom-client';
import { AgentRegistry } from '../query/agent-registry.js';
import { BROKER_SERVICE } from '../query/grpc-services.js';
import { brokerHandlers } from '../query/services.js';
import type { BrokerConfig } from './config.js';
import { shutdownServer, Teardown } from './lifecycle.js';
import { connectNats } from './nats.js';
import { agentId, agentsRefusedCounter, natsConnectedGauge, runningRole, startRoleServer, type RoleDeps, type RunningRole } from './role.js';
import { clientSecurity } from './tls.js';

export async function startBroker(c: BrokerConfig, deps: RoleDeps): Promise<RunningRole> {
  const { log } = deps;
  const nats = await connectNats(c.natsUrl, { name: agentId('query-broker', c), log, ...(deps.tls ? { tls: deps.tls } : {}) });
  const teardown = new Teardown(log);
  teardown.add('NATS', () => nats.close());
  try {
    const refused = agentsRefusedCounter(deps.registry);
    const registry = new AgentRegistry(nats.nc, {
      onRefused: ({ agent, reason, error }) => {
        refused.inc({ reason });
        log.warn({ agent: agent.id, kind: agent.kind, address: agent.address, protocolVersion: agent.protocolVersion }, error.message);
      },
    });
    // Subscribes, then asks every agent to announce at once.
    await registry.start();
    teardown.add('agent registry', () => registry.stop());
    const kelvinClient = clientSecurity(deps.tls);
    const { server, address } = await startRoleServer(c, deps.tls, (s) => s.addService(BROKER_SERVICE, brokerHandlers({ registry, ...(kelvinClient ? { kelvinClient } : {}) })));
    teardown.add('gRPC server', () => shutdownServer(server));
    natsConnectedGauge(deps.registry, nats);
    new Gauge({
      name: 'loupe_broker_agents',
      help: 'Live agents the broker knows, by kind.',
      labelNames: ['kind'],
      registers: [deps.registry],
      collect() {
        const live = registry.live();
        for (const kind of ['pem', 'kelvin'] as const) this.set({ kind }, live.filter((a) => a.kind === kind).length);
      },
    });
    return runningRole(address, nats, () => [['heard from an agent', () => registry.acceptedHeartbeats > 0]], teardown);
  } catch (err) {
    await teardown.run();
    throw err;
  }
}
