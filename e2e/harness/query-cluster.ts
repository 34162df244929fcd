// The query side in one process over a real NATS: a PEM gRPC server per table source, a Kelvin
// and a broker, announced and discovered as the separate roles would be. For tests and benches
// that need the distributed path without spawning processes (e2e/distributed-processes does that).
import type * as grpc from '@grpc/grpc-js';
import { connect, type NatsConnection } from 'nats';
import type { MetadataView } from '../../dataplane/metadata/types.js';
import { AgentAnnouncer, AgentRegistry, type AgentRegistryOptions } from '../../dataplane/query/agent-registry.js';
import { BROKER_SERVICE, KELVIN_SERVICE, PEM_SERVICE, startServer } from '../../dataplane/query/grpc-services.js';
import { speaks, THIS_BUILD, type Protocol } from '../../dataplane/query/protocol-version.js';
import { brokerHandlers, kelvinHandlers, pemHandlers, type KelvinHandlerOptions } from '../../dataplane/query/services.js';
import type { TableSource } from '../../dataplane/table-store/types.js';

export interface QueryCluster {
  readonly brokerAddress: string;
  readonly kelvinAddress: string;
  readonly pemAddresses: readonly string[];
  readonly registry: AgentRegistry;
  stop(): Promise<void>;
}

export interface QueryClusterOptions {
  /** Each PEM's metadata view (one per PEM, as separate processes would have); default none. */
  readonly pemMetadata?: () => MetadataView;
  /** How long the registry keeps an agent without a heartbeat (default 5 s). */
  readonly expiryMs?: number;
  /** The build each role is, as in a rolling upgrade between two builds (default this one's everywhere). */
  readonly protocols?: { readonly pems?: readonly Protocol[]; readonly kelvin?: Protocol; readonly broker?: Protocol };
  /** Kelvin's refusals of PEMs. */
  readonly onKelvinRefused?: KelvinHandlerOptions['onRefused'];
  /** The broker's registry's refusals of agents. */
  readonly onBrokerRefused?: AgentRegistryOptions['onRefused'];
}

export async function startQueryCluster(natsUrl: string, sources: readonly TableSource[], opts: QueryClusterOptions = {}): Promise<QueryCluster> {
  const servers: grpc.Server[] = [];
  const connections: NatsConnection[] = [];
  const announcers: AgentAnnouncer[] = [];
  let registry: AgentRegistry | undefined;
  const stop = async () => {
    for (const a of announcers) await a.stop();
    registry?.stop();
    for (const s of servers) s.forceShutdown();
    for (const nc of connections) await nc.close();
  };
  const open = async () => {
    const nc = await connect({ servers: natsUrl });
    connections.push(nc);
    return nc;
  };
  const pemProtocols = sources.map((_, i) => opts.protocols?.pems?.[i] ?? THIS_BUILD);
  const kelvinProtocol = opts.protocols?.kelvin ?? THIS_BUILD;
  const brokerProtocol = opts.protocols?.broker ?? THIS_BUILD;
  try {
    const pemAddresses: string[] = [];
    for (const [i, source] of sources.entries()) {
      const metadata = opts.pemMetadata?.();
      const protocol = pemProtocols[i]!;
      const { server, address } = await startServer('127.0.0.1:0', (s) => s.addService(PEM_SERVICE, pemHandlers({ source, protocol, ...(metadata ? { metadata } : {}) })));
      servers.push(server);
      pemAddresses.push(address);
      const tables = source.tableNames().map((n) => source.schema(n)!);
      const a = new AgentAnnouncer(await open(), { id: `pem-${i}`, kind: 'pem', address, hostname: `node-${i}`, tables, protocolVersion: protocol.version }, 1_000);
      a.start();
      announcers.push(a);
    }
    const kelvin = await startServer('127.0.0.1:0', (s) => s.addService(KELVIN_SERVICE, kelvinHandlers({ protocol: kelvinProtocol, ...(opts.onKelvinRefused ? { onRefused: opts.onKelvinRefused } : {}) })));
    servers.push(kelvin.server);
    const k = new AgentAnnouncer(await open(), { id: 'kelvin-0', kind: 'kelvin', address: kelvin.address, hostname: 'kelvin', tables: [], protocolVersion: kelvinProtocol.version }, 1_000);
    k.start();
    announcers.push(k);
    const reg = new AgentRegistry(await open(), { expireAfterMs: opts.expiryMs ?? 5_000, protocol: brokerProtocol, ...(opts.onBrokerRefused ? { onRefused: opts.onBrokerRefused } : {}) });
    registry = reg;
    await reg.start();
    // The broker refuses agents whose version it does not speak: wait for the others.
    const pems = pemProtocols.filter((p) => speaks(brokerProtocol, p.version)).length;
    await reg.waitFor(`${pems} PEMs and a Kelvin`, (a) => a.filter((x) => x.kind === 'pem').length === pems && a.some((x) => x.kind === 'kelvin'));
    const broker = await startServer('127.0.0.1:0', (s) => s.addService(BROKER_SERVICE, brokerHandlers({ registry: reg, protocol: brokerProtocol })));
    servers.push(broker.server);
    return { brokerAddress: broker.address, kelvinAddress: kelvin.address, pemAddresses, registry: reg, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
