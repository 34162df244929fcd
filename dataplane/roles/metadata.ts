// `loupe metadata`: the Vizier's metadata service. Watches pods, services, EndpointSlices and
// nodes once for the cluster and serves them to the agents over NATS (MetadataServer), and
// keeps the registry of agents it hears (AgentDirectory) in the store --storage names.
import { Counter, Gauge } from 'prom-client';
import type { MetadataConfig, MetadataStorageConfig } from './config.js';
import { UsageError } from '../../lib/cli.js';
import { AgentDirectory } from '../metadata-service/agents.js';
import { EtcdStore } from '../metadata-service/etcd-store.js';
import { MetadataServer } from '../metadata-service/server.js';
import { FileStore, MemoryStore, type MetadataStore } from '../metadata-service/storage.js';
import { AgentRegistry } from '../query/agent-registry.js';
import { connectKube, apiSources } from './kube.js';
import { Teardown } from './lifecycle.js';
import { connectNats } from './nats.js';
import { agentId, agentsRefusedCounter, natsConnectedGauge, runningRole, type RoleDeps, type RunningRole } from './role.js';
import type { InternalTls } from './tls.js';

/** What the "listening" line names: the service answers on NATS subjects, not on a port of its own. */
const ADDRESS = 'nats:loupe.metadata';

async function openStore(storage: MetadataStorageConfig, tls: InternalTls | undefined): Promise<MetadataStore> {
  if (storage.kind === 'memory') return new MemoryStore();
  if (storage.kind === 'persistent') return FileStore.open(storage.dir);
  if (storage.endpoints.some((u) => u.protocol === 'https:') && !tls) {
    throw new UsageError('https etcd endpoints ($LOUPE_ETCD_ENDPOINTS) need the client certificate: pass --tls-dir DIR or $LOUPE_TLS_DIR, or use http:// endpoints', '$LOUPE_ETCD_ENDPOINTS');
  }
  return EtcdStore.open({ endpoints: storage.endpoints, ...(tls ? { tls: { ca: tls.ca, cert: tls.cert, key: tls.key } } : {}) });
}

export async function startMetadata(c: MetadataConfig, deps: RoleDeps): Promise<RunningRole> {
  const { log } = deps;
  const nats = await connectNats(c.natsUrl, { name: agentId('metadata', c), log, ...(deps.tls ? { tls: deps.tls } : {}) });
  const teardown = new Teardown(log);
  teardown.add('NATS', () => nats.close());
  try {
    const store = await openStore(c.storage, deps.tls);
    teardown.add('store', () => store.close());
    const agents = new AgentDirectory(store, { log });
    const loaded = await agents.load();
    log.info({ store: store.description, agents: loaded }, 'metadata store opened');

    const { kc, server: apiServer } = await connectKube(c.kube);
    const server = new MetadataServer(nats.nc, apiSources(kc), { log, agents: () => agents.list() });
    server.start();
    teardown.add('Kubernetes watches', () => server.stop());

    const refused = agentsRefusedCounter(deps.registry);
    const registry = new AgentRegistry(nats.nc, {
      onHeard: (a) => agents.heard(a),
      onGone: (id) => agents.gone(id),
      onRefused: ({ agent, reason, error }) => {
        refused.inc({ reason });
        log.warn({ agent: agent.id, kind: agent.kind, address: agent.address, protocolVersion: agent.protocolVersion }, error.message);
      },
    });
    await registry.start();
    teardown.add('agent registry', async () => {
      registry.stop();
      await agents.flush();
    });

    natsConnectedGauge(deps.registry, nats);
    const registers = [deps.registry];
    new Gauge({
      name: 'loupe_metadata_objects',
      help: 'Objects the metadata service holds, by resource.',
      labelNames: ['resource'],
      registers,
      collect() {
        for (const s of server.status()) this.set({ resource: s.resource }, s.objects);
      },
    });
    new Gauge({
      name: 'loupe_metadata_agents',
      help: 'Agents in the registry, by kind and state (live: heard within 15 s; silent; gone: said goodbye).',
      labelNames: ['kind', 'state'],
      registers,
      collect() {
        this.reset();
        const now = Date.now();
        for (const a of agents.list()) {
          const state = a.goneAt !== undefined ? 'gone' : now - a.lastHeartbeat <= 15_000 ? 'live' : 'silent';
          this.inc({ kind: a.kind, state });
        }
      },
    });
    new Counter({
      name: 'loupe_metadata_store_errors_total',
      help: 'Writes to the metadata store that failed.',
      registers,
      collect() {
        this.reset();
        this.inc(agents.storeErrors);
      },
    });
    log.info({ kubernetes: apiServer, store: store.description }, 'metadata service started; answering once pods and services are listed');
    return runningRole(ADDRESS, nats, () => [
      [`Kubernetes pods and services listed (${apiServer})`, () => server.serving],
      [`store writable (${store.description})`, () => agents.storeHealthy],
    ], teardown);
  } catch (err) {
    await teardown.run();
    throw err;
  }
}
