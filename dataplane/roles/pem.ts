// `loupe pem`: the node agent. Collects into a table store (DataCollection), serves query
// fragments over gRPC (pemHandlers, with this node's /proc and cgroups as metadata, layered over
// the Kubernetes API's pods, services and EndpointSlices in a cluster) and announces itself and
// its tables over NATS until it stops.
//
// The pod cache is cluster-wide, not this node's pods only (a spec.nodeName field selector): the
// PEM's maps also resolve peers by IP (remote_addr → pod or service), and those pods run anywhere.
// The same watches give the socket tracer the cluster's pod and service networks, inside which a
// client side is left to the server's PEM (collectors/trace-roles.ts); without a cluster, this
// host's addresses (or the CIDRs given) play that part.
import { Gauge } from 'prom-client';
import type { CollectorOptions } from '../collectors/socket-trace-collector.js';
import { DEFAULT_TRACE_ROLES, traceRoleOptions, traceRolesLogLine } from '../collectors/trace-roles.js';
import { ClusterNetworks } from '../metadata/cluster-networks.js';
import { LocalMetadata } from '../metadata/local.js';
import { NodeMetadata } from '../metadata/node.js';
import type { MetadataView } from '../metadata/types.js';
import { DataCollection } from '../pem/collection.js';
import { AgentAnnouncer } from '../query/agent-registry.js';
import { PEM_SERVICE } from '../query/grpc-services.js';
import { PROTOCOL_VERSION } from '../query/protocol-version.js';
import { pemHandlers } from '../query/services.js';
import { unbuiltProtocols } from '../protocols/registry.js';
import { TableStore } from '../table-store/table-store.js';
import type { PemConfig } from './config.js';
import { shutdownServer, Teardown } from './lifecycle.js';
import { startClusterMetadata } from './kube.js';
import { connectNats } from './nats.js';
import { agentId, metadataViaGauge, announcedIdentity, natsConnectedGauge, runningAgent, startRoleServer, type RoleDeps, type RunningRole } from './role.js';

export async function startPem(c: PemConfig, deps: RoleDeps & { readonly tracer?: CollectorOptions }): Promise<RunningRole> {
  const { log } = deps;
  const id = agentId('pem', c);
  // NATS first: an unreachable NATS stops the start before anything attaches to the kernel.
  const nats = await connectNats(c.natsUrl, { name: id, log, ...(deps.tls ? { tls: deps.tls } : {}) });
  const teardown = new Teardown(log);
  teardown.add('NATS', () => nats.close());
  try {
    // The API server next: a wrong address, credentials or RBAC stops the start with what failed.
    const roles = c.traceRoles;
    const traceRoles = roles.traceRoles ?? DEFAULT_TRACE_ROLES;
    const clusterNetworks = c.kube && traceRoles === 'server' ? new ClusterNetworks(roles) : undefined;
    const cluster = c.kube ? await startClusterMetadata(c.kube, { log, nats: nats.nc, ...(c.nodeName ? { nodeName: c.nodeName } : {}), ...(clusterNetworks ? { networks: clusterNetworks } : {}) }) : undefined;
    if (cluster) teardown.add('Kubernetes watches', () => cluster.stop());
    const store = new TableStore({ totalBytes: c.tableStoreBytes, maxAgeNs: BigInt(c.retentionMs) * 1_000_000n });
    for (const protocol of unbuiltProtocols(c.protocols)) log.warn({ protocol }, 'no parser for this protocol yet; not traced');
    const collection = await DataCollection.start({
      store,
      sources: c.sources,
      tracer: { ...deps.tracer, ...traceRoleOptions(roles, clusterNetworks) },
      dataAccess: c.dataAccess,
      protocols: c.protocols,
      statsIntervalMs: c.statsIntervalMs,
      profilerIntervalMs: c.profilerIntervalMs,
      onError: (source, err) => log.warn({ source, err: err.message }, 'collector error'),
    });
    teardown.add('collectors', () => collection.stop());
    for (const s of collection.status()) {
      if (s.state === 'failed') log.error({ source: s.name, err: s.lastError }, 'collector did not start; the other sources keep running');
    }
    if (collection.traceRoleCounters) {
      const line = traceRolesLogLine(collection.insideNetworks);
      log.info(line.fields, line.msg);
    }
    // Tables that stop receiving rows still age out.
    const evict = setInterval(() => store.evictExpired(), 60_000);
    evict.unref();
    teardown.add('eviction timer', () => clearInterval(evict));

    const local = new LocalMetadata({ procRoot: c.procRoot, ...(c.nodeName ? { nodeName: c.nodeName } : {}) });
    // Reads processes while they live, so rows of processes that exited before a query still
    // resolve to their command line, container and pod.
    local.startScanning();
    teardown.add('process scan', () => local.stopScanning());
    const metadata: MetadataView = cluster ? new NodeMetadata(local, cluster.metadata) : local;
    const { server, address, advertise } = await startRoleServer(c, deps.tls, (s) => s.addService(PEM_SERVICE, pemHandlers({ source: store, metadata, identity: c.identity })));
    teardown.add('gRPC server', () => shutdownServer(server));
    const tables = store.tableNames().map((n) => store.schema(n)!);
    const announcer = new AgentAnnouncer(nats.nc, { id, kind: 'pem', address: advertise, hostname: metadata.nodeName, tables, protocolVersion: PROTOCOL_VERSION, ...announcedIdentity(c.identity) });
    announcer.start();
    teardown.add('NATS goodbye', () => announcer.stop());

    natsConnectedGauge(deps.registry, nats);
    if (cluster) metadataViaGauge(deps.registry, cluster);
    const registers = [deps.registry];
    new Gauge({
      name: 'loupe_pem_source_rows',
      help: 'Rows each source has appended to the table store since start.',
      labelNames: ['source'],
      registers,
      collect() {
        for (const s of collection.status()) this.set({ source: s.name }, s.rows);
      },
    });
    new Gauge({
      name: 'loupe_pem_source_running',
      help: '1 while the source runs, 0 when it failed to start or stopped.',
      labelNames: ['source'],
      registers,
      collect() {
        for (const s of collection.status()) this.set({ source: s.name }, s.state === 'running' ? 1 : 0);
      },
    });
    new Gauge({
      name: 'loupe_table_store_bytes',
      help: 'Bytes the table store holds now.',
      registers,
      collect() {
        this.set(store.bytes);
      },
    });
    new Gauge({
      name: 'loupe_pem_tracer_lost_events',
      help: 'Socket tracer events lost since start, by where (ring buffer full, user buffer full, connection budget spent, 32-bit syscall not decoded).',
      labelNames: ['reason'],
      registers,
      collect() {
        const t = collection.tracerCounters;
        if (!t) return;
        this.set({ reason: 'ringbuf_full' }, t.lostRingbufFull);
        this.set({ reason: 'user_buffer' }, t.lostUserBuffer);
        this.set({ reason: 'budget' }, t.budgetDrops);
        this.set({ reason: 'compat_syscall' }, t.compatSkipped);
      },
    });
    new Gauge({
      name: 'loupe_pem_tracer_client_side_skipped',
      help: 'Client sides the trace-roles rule left out since start (their remote end is inside, where the server side is traced): connections, their data events (counted in conn_stats only), rows dropped after their side showed late, rows dropped while the inside networks were unknown.',
      labelNames: ['what'],
      registers,
      collect() {
        const t = collection.traceRoleCounters;
        if (!t) return;
        this.set({ what: 'connections' }, t.skippedConnections);
        this.set({ what: 'data_events' }, t.skippedEvents);
        this.set({ what: 'rows' }, t.skippedRows);
        this.set({ what: 'held_rows_dropped' }, t.heldRowsDropped);
      },
    });
    new Gauge({
      name: 'loupe_pem_tracer_inside_networks',
      help: 'Blocks of the inside networks the socket tracer follows (where: all, as the collector classifies with them; kernel, those the kernel mutes client sides into). Absent while unknown, or with both roles traced.',
      labelNames: ['where'],
      registers,
      collect() {
        const inside = collection.insideNetworks;
        if (!inside?.blocks) return;
        this.set({ where: 'all' }, inside.blocks.cidrs.length);
        this.set({ where: 'kernel' }, inside.inKernel);
      },
    });

    return runningAgent(address, advertise, nats, cluster, teardown);
  } catch (err) {
    await teardown.run();
    throw err;
  }
}
