// `loupe kelvin`: runs the merge half of every query. Serves KELVIN_SERVICE (kelvinHandlers,
// dialling the PEMs with the same TLS material) and announces itself over NATS.
//
// Kelvin evaluates metadata functions too: split-plan.ts leaves on the PEMs only the maps and
// filters whose inputs are all local, so a map after an aggregate, join or union (e.g.
// `df.namespace = px.pod_name_to_namespace(df.pod)` after a groupby) runs here. In a cluster it
// gets the same KubeMetadata as the PEMs (every pod, no node; it knows no processes, so upid
// lookups answer empty here, as they must: upids are resolved on their PEM before the split).
import { hostname } from 'node:os';
import { AgentAnnouncer } from '../query/agent-registry.js';
import { KELVIN_SERVICE } from '../query/grpc-services.js';
import { PROTOCOL_VERSION } from '../query/protocol-version.js';
import { kelvinHandlers } from '../query/services.js';
import type { KelvinConfig } from './config.js';
import { shutdownServer, Teardown } from './lifecycle.js';
import { startClusterMetadata } from './kube.js';
import { connectNats } from './nats.js';
import { agentId, metadataViaGauge, agentsRefusedCounter, announcedIdentity, natsConnectedGauge, runningAgent, startRoleServer, type RoleDeps, type RunningRole } from './role.js';
import { clientSecurity } from './tls.js';

export async function startKelvin(c: KelvinConfig, deps: RoleDeps): Promise<RunningRole> {
  const { log } = deps;
  const id = agentId('kelvin', c);
  const nats = await connectNats(c.natsUrl, { name: id, log, ...(deps.tls ? { tls: deps.tls } : {}) });
  const teardown = new Teardown(log);
  teardown.add('NATS', () => nats.close());
  try {
    const cluster = c.kube ? await startClusterMetadata(c.kube, { log, nats: nats.nc }) : undefined;
    if (cluster) teardown.add('Kubernetes watches', () => cluster.stop());
    const pemClient = clientSecurity(deps.tls);
    const refused = agentsRefusedCounter(deps.registry);
    const handlers = kelvinHandlers({
      onRefused: (refusal) => {
        refused.inc({ reason: 'protocol_version' });
        log.warn({ peer: refusal.peer, protocolVersion: refusal.version }, refusal.message);
      },
      ...(cluster ? { metadata: cluster.metadata } : {}),
      identity: c.identity,
      ...(pemClient ? { pemClient } : {}),
      ...(c.queryMemoryBytes ? { maxMemoryBytes: c.queryMemoryBytes, maxBufferedBytes: c.queryMemoryBytes } : {}),
    });
    const { server, address, advertise } = await startRoleServer(c, deps.tls, (s) => s.addService(KELVIN_SERVICE, handlers));
    teardown.add('gRPC server', () => shutdownServer(server));
    const announcer = new AgentAnnouncer(nats.nc, { id, kind: 'kelvin', address: advertise, hostname: hostname(), tables: [], protocolVersion: PROTOCOL_VERSION, ...announcedIdentity(c.identity) });
    announcer.start();
    teardown.add('NATS goodbye', () => announcer.stop());
    natsConnectedGauge(deps.registry, nats);
    if (cluster) metadataViaGauge(deps.registry, cluster);
    return runningAgent(address, advertise, nats, cluster, teardown);
  } catch (err) {
    await teardown.run();
    throw err;
  }
}
