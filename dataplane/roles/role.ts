// What every query role gets from command.ts and gives back: a running role that knows its
// address and readiness and how to stop.
import { hostname, networkInterfaces } from 'node:os';
import type * as grpc from '@grpc/grpc-js';
import { Counter, Gauge, type Registry } from 'prom-client';
import { startServer } from '../query/grpc-services.js';
import { formatHostPort } from '../../lib/host-port.js';
import { advertiseAddress } from './address.js';
import type { CommonConfig } from './config.js';
import { readiness, type Readiness, type ReadinessCheck, type RoleLog } from './health.js';
import type { ClusterMetadata } from './kube.js';
import type { ClusterIdentity } from '../metadata/types.js';
import type { Teardown } from './lifecycle.js';
import type { RoleNats } from './nats.js';
import { serverCredentials, type InternalTls } from './tls.js';

export interface RoleDeps {
  readonly log: RoleLog;
  /** The role's metrics registry; roles add their own gauges. */
  readonly registry: Registry;
  /** Mutual TLS material when a TLS directory was given. */
  readonly tls?: InternalTls;
}

export interface RunningRole {
  /** The bound gRPC address (port 0 resolved). */
  readonly address: string;
  /** What the role announced over NATS (agents only). */
  readonly advertise?: string;
  readiness(): Readiness;
  /** Goodbye to NATS, gRPC shutdown, collectors stopped; idempotent. */
  stop(): Promise<void>;
}

/** The cluster and Vizier an agent announces, when known. */
export function announcedIdentity(identity: ClusterIdentity): { cluster?: string; vizier?: string } {
  return { ...(identity.clusterName ? { cluster: identity.clusterName } : {}), ...(identity.vizierName ? { vizier: identity.vizierName } : {}) };
}

/** Unique per process: kind, pod (or hostname), pid, start time. */
export function agentId(kind: string, c: Pick<CommonConfig, 'pod'>, startedMs = Date.now()): string {
  return `${kind}-${(c.pod ?? hostname()).replace('/', '.')}-${process.pid}-${startedMs.toString(36)}`;
}

export function natsConnectedGauge(registry: Registry, nats: RoleNats): void {
  new Gauge({
    name: 'loupe_nats_connected',
    help: '1 while the NATS connection is up, else 0.',
    registers: [registry],
    collect() {
      this.set(nats.connected() ? 1 : 0);
    },
  });
}

/** Agents this role refused to work with, by reason (the broker counts an agent once; Kelvin once per query that met it). */
export function agentsRefusedCounter(registry: Registry): Counter<'reason'> {
  return new Counter({
    name: 'loupe_agents_refused_total',
    help: 'Agents refused, by reason (protocol_version: the agent speaks a protocol version this build does not support).',
    labelNames: ['reason'],
    registers: [registry],
  });
}

export interface RoleServer {
  readonly server: grpc.Server;
  /** Bound, port 0 resolved. */
  readonly address: string;
  /** What others should dial (see advertiseAddress). */
  readonly advertise: string;
}

/** Binds --listen with mutual TLS when configured; a failure names the address. */
export async function startRoleServer(c: CommonConfig, tls: InternalTls | undefined, add: (server: grpc.Server) => void): Promise<RoleServer> {
  const bind = formatHostPort(c.listen);
  let started: { server: grpc.Server; address: string; port: number };
  try {
    started = await startServer(bind, add, serverCredentials(tls));
  } catch (err) {
    throw new Error(`cannot listen on ${bind}: ${(err as Error).message}; pass --listen HOST:PORT (port 0 picks a free one)`);
  }
  const advertise = formatHostPort(advertiseAddress({ host: c.listen.host, port: started.port }, c.advertise, c.podIp, networkInterfaces()));
  return { server: started.server, address: started.address, advertise };
}

function describeVia(cluster: ClusterMetadata): string {
  const { via, reason } = cluster.via();
  return via === 'metadata-service' ? `via the metadata service, API fallback ${cluster.server}` : `from the Kubernetes API ${cluster.server}: ${reason}`;
}

/** loupe_metadata_via{via}: 1 for where an agent's pods and services come from now. */
export function metadataViaGauge(registry: Registry, cluster: ClusterMetadata): void {
  new Gauge({
    name: 'loupe_metadata_via',
    help: "1 for where this agent's pods and services come from now: metadata-service, or kubernetes-api (its own watch, while the metadata service does not answer).",
    labelNames: ['via'],
    registers: [registry],
    collect() {
      const { via } = cluster.via();
      for (const v of ['metadata-service', 'kubernetes-api'] as const) this.set({ via: v }, v === via ? 1 : 0);
    },
  });
}

/**
 * What PEM and Kelvin return: ready while serving, connected to NATS and (in a cluster) once
 * pods and services are listed; stop() marks it not ready, then runs the teardown.
 */
export function runningAgent(address: string, advertise: string, nats: RoleNats, cluster: ClusterMetadata | undefined, teardown: Teardown): RunningRole {
  return runningRole(address, nats, () => (cluster ? [[`Kubernetes pods and services listed (${describeVia(cluster)})`, () => cluster.metadata.synced]] : []), teardown, advertise);
}

/**
 * A role that serves until stopped: ready while serving, connected to NATS and while its own
 * checks hold (named when readiness is asked, so a name may say what changed); stop() marks it
 * not ready, then runs the teardown.
 */
export function runningRole(address: string, nats: RoleNats, checks: () => readonly ReadinessCheck[], teardown: Teardown, advertise?: string): RunningRole {
  let stopping = false;
  return {
    address,
    ...(advertise ? { advertise } : {}),
    readiness: () => readiness([['serving', () => !stopping], ['NATS connected', nats.connected], ...checks()]),
    async stop() {
      stopping = true;
      await teardown.run();
    },
  };
}
