// `loupe pem`, `loupe kelvin` and `loupe query-broker`: flags and environment → a typed
// configuration, by the role contract (crds/contract/, parsed by its role-config.ts). Pure (no
// file, network or /proc access): the pid/cgroup check, the TLS files and the connections come
// later, in command.ts.
import { KELVIN_CONTRACT, PEM_CONTRACT, Ports, QUERY_BROKER_CONTRACT, DEFAULT_PEM_MEMORY_LIMIT, TABLE_STORE_SHARE, type DataAccessMode, type ProtocolName, type SourceName } from '../../crds/contract/index.js';
import type { HostPort } from '../../lib/host-port.js';
import { parseRoleConfig, roleUsage, type RawSetting } from '../../crds/contract/role-config.js';
import { UsageError } from '../../lib/cli.js';
import type { ClusterIdentity } from '../metadata/types.js';
import { tracerTarget, type TracerTarget } from './collection-flags.js';
import { traceRoleSettings, type TraceRoleSettings } from '../collectors/trace-roles.js';

export type QueryRole = 'pem' | 'kelvin' | 'query-broker';

export const USAGE: Readonly<Record<QueryRole, string>> = { pem: roleUsage(PEM_CONTRACT), kelvin: roleUsage(KELVIN_CONTRACT), 'query-broker': roleUsage(QUERY_BROKER_CONTRACT) };

export interface CommonConfig {
  readonly natsUrl: string;
  readonly listen: HostPort;
  /** --advertise as given; the announced address is worked out once the port is bound. */
  readonly advertise?: HostPort;
  readonly podIp?: string;
  readonly health: HostPort;
  /** --tls-dir / $LOUPE_TLS_DIR: read in command.ts, errors name where it came from. */
  readonly tlsDir?: RawSetting;
  /** "namespace/name" in a pod, for logs and agent ids. */
  readonly pod?: string;
}

/** Where a PEM or Kelvin reads the cluster's pods and services from. */
export type KubeSource =
  | { readonly kind: 'in-cluster'; readonly server: string }
  | { readonly kind: 'file'; readonly path: string };

/** What PEMs and Kelvins answer PxL queries with and announce over NATS. */
export interface AgentConfig extends CommonConfig {
  readonly identity: ClusterIdentity;
  /** Unset: /proc only (outside a pod without --kubeconfig, or --no-kube). */
  readonly kube?: KubeSource;
}

export interface PemConfig extends AgentConfig {
  readonly role: 'pem';
  /** Unset: LocalMetadata's default, the hostname. */
  readonly nodeName?: string;
  readonly tableStoreBytes: number;
  readonly retentionMs: number;
  readonly dataAccess: DataAccessMode;
  readonly protocols: readonly ProtocolName[];
  /** Which sides make http_events rows, and the cluster's networks when given. */
  readonly traceRoles: TraceRoleSettings;
  readonly sources: readonly SourceName[];
  readonly target?: TracerTarget;
  readonly statsIntervalMs: number;
  readonly profilerIntervalMs: number;
  /** /proc, or $LOUPE_HOST_PREFIX/proc in a pod that mounts the host's. */
  readonly procRoot: string;
}

export interface KelvinConfig extends AgentConfig {
  readonly role: 'kelvin';
  readonly queryMemoryBytes?: number;
}

export interface BrokerConfig extends CommonConfig {
  readonly role: 'query-broker';
}

export type RoleConfig = PemConfig | KelvinConfig | BrokerConfig;

interface CommonValues {
  readonly nats: string;
  readonly listen: HostPort | undefined;
  readonly healthAddr: HostPort;
  readonly tlsDir: string | undefined;
  readonly podName: string | undefined;
  readonly podNamespace: string | undefined;
}

function common(values: CommonValues, from: { readonly tlsDir?: string }, defaultPort: number): CommonConfig {
  // In a pod the gRPC port must be reachable from other pods.
  const listen = values.listen ?? { host: values.podName ? '0.0.0.0' : '127.0.0.1', port: defaultPort };
  const { podName, podNamespace } = values;
  return {
    natsUrl: values.nats,
    listen,
    health: values.healthAddr,
    ...(values.tlsDir !== undefined ? { tlsDir: { value: values.tlsDir, from: from.tlsDir! } } : {}),
    ...(podName ? { pod: podNamespace ? `${podNamespace}/${podName}` : podName } : {}),
  };
}

interface AgentValues extends CommonValues {
  readonly advertise: HostPort | undefined;
  readonly podIp: string | undefined;
  readonly clusterName: string | undefined;
  readonly vizierName: string | undefined;
  readonly kubeconfig: string | undefined;
  readonly noKube: boolean;
}

function agent(values: AgentValues, from: { readonly tlsDir?: string }, defaultPort: number, env: NodeJS.ProcessEnv): AgentConfig {
  const kube = kubeSource(values, env);
  return {
    ...common(values, from, defaultPort),
    ...(values.advertise ? { advertise: values.advertise } : {}),
    ...(values.podIp ? { podIp: values.podIp } : {}),
    identity: { clusterName: values.clusterName ?? '', vizierName: values.vizierName ?? '', namespace: values.podNamespace ?? '' },
    ...(kube ? { kube } : {}),
  };
}

/** --kubeconfig, else the in-cluster service account in a pod; --no-kube: none. */
function kubeSource(values: AgentValues, env: NodeJS.ProcessEnv): KubeSource | undefined {
  if (values.noKube) {
    if (values.kubeconfig !== undefined) throw new UsageError('--kubeconfig and --no-kube exclude each other', '--no-kube');
    return undefined;
  }
  if (values.kubeconfig !== undefined) return { kind: 'file', path: values.kubeconfig };
  const host = env['KUBERNETES_SERVICE_HOST'];
  if (!host) return undefined;
  const port = env['KUBERNETES_SERVICE_PORT'] ?? '443';
  return { kind: 'in-cluster', server: `https://${host.includes(':') ? `[${host}]` : host}:${port}` };
}

export function parsePemArgs(args: string[], env: NodeJS.ProcessEnv = process.env): PemConfig | 'help' {
  const parsed = parseRoleConfig(PEM_CONTRACT, args, env);
  if (parsed === 'help') return 'help';
  const v = parsed.values;
  // --memory-limit wins over the operator's table-store budget, as a flag wins over a variable.
  const tableStoreBytes = v.memoryLimit !== undefined ? Math.floor(v.memoryLimit * TABLE_STORE_SHARE) : (v.tableStoreBytes ?? Math.floor(DEFAULT_PEM_MEMORY_LIMIT * TABLE_STORE_SHARE));
  const target = tracerTarget(v.pid, v.cgroup);
  return {
    role: 'pem',
    ...agent(v, parsed.from, Ports.pem, env),
    ...(v.nodeName !== undefined ? { nodeName: v.nodeName } : {}),
    tableStoreBytes,
    retentionMs: v.retention,
    dataAccess: v.dataAccess,
    protocols: v.protocols,
    traceRoles: traceRoleSettings(v),
    sources: v.sources,
    ...(target ? { target } : {}),
    statsIntervalMs: v.statsInterval,
    profilerIntervalMs: v.profileInterval,
    procRoot: v.hostPrefix !== undefined ? `${v.hostPrefix.replace(/\/+$/, '')}/proc` : '/proc',
  };
}

export function parseKelvinArgs(args: string[], env: NodeJS.ProcessEnv = process.env): KelvinConfig | 'help' {
  const parsed = parseRoleConfig(KELVIN_CONTRACT, args, env);
  if (parsed === 'help') return 'help';
  const v = parsed.values;
  return { role: 'kelvin', ...agent(v, parsed.from, Ports.kelvin, env), ...(v.queryMemory !== undefined ? { queryMemoryBytes: v.queryMemory } : {}) };
}

export function parseBrokerArgs(args: string[], env: NodeJS.ProcessEnv = process.env): BrokerConfig | 'help' {
  const parsed = parseRoleConfig(QUERY_BROKER_CONTRACT, args, env);
  if (parsed === 'help') return 'help';
  return { role: 'query-broker', ...common(parsed.values, parsed.from, Ports.queryBroker) };
}

export function parseRoleArgs(role: QueryRole, args: string[], env: NodeJS.ProcessEnv = process.env): RoleConfig | 'help' {
  if (role === 'pem') return parsePemArgs(args, env);
  if (role === 'kelvin') return parseKelvinArgs(args, env);
  return parseBrokerArgs(args, env);
}
