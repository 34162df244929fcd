// `loupe pem`, `loupe kelvin`, `loupe query-broker` and `loupe metadata`: flags and environment → a typed
// configuration, by the role contract (crds/contract/, parsed by its role-config.ts). Pure (no
// file, network or /proc access): the pid/cgroup check, the TLS files and the connections come
// later, in command.ts.
import { KELVIN_CONTRACT, METADATA_CONTRACT, PEM_CONTRACT, Ports, QUERY_BROKER_CONTRACT, DEFAULT_PEM_MEMORY_LIMIT, TABLE_STORE_SHARE, type DataAccessMode, type ProtocolName, type SourceName } from '../../crds/contract/index.js';
import type { HostPort } from '../../lib/host-port.js';
import { failSetting, parseRoleConfig, roleUsage, type RawSetting } from '../../crds/contract/role-config.js';
import { UsageError } from '../../lib/cli.js';
import type { ClusterIdentity } from '../metadata/types.js';
import { tracerTarget, type TracerTarget } from './collection-flags.js';
import { traceRoleSettings, type TraceRoleSettings } from '../collectors/trace-roles.js';

export type ServiceRole = 'pem' | 'kelvin' | 'query-broker' | 'metadata';

export const USAGE: Readonly<Record<ServiceRole, string>> = {
  pem: roleUsage(PEM_CONTRACT),
  kelvin: roleUsage(KELVIN_CONTRACT),
  'query-broker': roleUsage(QUERY_BROKER_CONTRACT),
  metadata: roleUsage(METADATA_CONTRACT),
};

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

/** Where `loupe metadata` keeps the agent registry (dataplane/metadata-service/storage.ts). */
export type MetadataStorageConfig =
  | { readonly kind: 'memory' }
  | { readonly kind: 'persistent'; readonly dir: string }
  | { readonly kind: 'etcd'; readonly endpoints: readonly URL[] };

export interface MetadataConfig {
  readonly role: 'metadata';
  readonly natsUrl: string;
  readonly health: HostPort;
  readonly tlsDir?: RawSetting;
  readonly pod?: string;
  readonly storage: MetadataStorageConfig;
  readonly kube: KubeSource;
}

export type RoleConfig = PemConfig | KelvinConfig | BrokerConfig | MetadataConfig;

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
function kubeSource(values: Pick<AgentValues, 'kubeconfig' | 'noKube'>, env: NodeJS.ProcessEnv): KubeSource | undefined {
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

const ETCD_ENDPOINTS_HINT = 'etcd client URLs, comma-separated, such as https://vz-etcd.loupe.svc:2379';

function metadataStorage(values: { storage: 'persistent' | 'etcd' | 'memory'; etcdEndpoints: string | undefined; dataDir: string }, from: { storage?: string; etcdEndpoints?: string }): MetadataStorageConfig {
  const storageFrom = from.storage ?? 'the default of --storage / $LOUPE_METADATA_STORAGE';
  if (values.storage !== 'etcd') {
    if (values.etcdEndpoints !== undefined) {
      throw new UsageError(`${from.etcdEndpoints} is set but storage is ${values.storage} (${storageFrom}); set $LOUPE_METADATA_STORAGE=etcd to use etcd, or unset ${from.etcdEndpoints}`, from.etcdEndpoints);
    }
    return values.storage === 'memory' ? { kind: 'memory' } : { kind: 'persistent', dir: values.dataDir };
  }
  if (values.etcdEndpoints === undefined) {
    throw new UsageError(`storage etcd (${storageFrom}) needs $LOUPE_ETCD_ENDPOINTS or --etcd-endpoints: ${ETCD_ENDPOINTS_HINT}`, '$LOUPE_ETCD_ENDPOINTS');
  }
  const raw: RawSetting = { value: values.etcdEndpoints, from: from.etcdEndpoints! };
  return {
    kind: 'etcd',
    endpoints: values.etcdEndpoints.split(',').map((e) => {
      let url: URL | undefined;
      try {
        url = new URL(e.trim());
      } catch {
        url = undefined;
      }
      if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || !url.port || (url.pathname !== '/' && url.pathname !== '')) failSetting(raw, `"${e.trim()}" is not an etcd client URL with a port; expected ${ETCD_ENDPOINTS_HINT}`);
      return url;
    }),
  };
}

export function parseMetadataArgs(args: string[], env: NodeJS.ProcessEnv = process.env): MetadataConfig | 'help' {
  const parsed = parseRoleConfig(METADATA_CONTRACT, args, env);
  if (parsed === 'help') return 'help';
  const v = parsed.values;
  const kube = kubeSource({ kubeconfig: v.kubeconfig, noKube: false }, env);
  if (!kube) throw new UsageError('loupe metadata watches the Kubernetes API: pass --kubeconfig FILE, or run it in a pod (where $KUBERNETES_SERVICE_HOST is set)', '--kubeconfig');
  const { natsUrl, health, tlsDir, pod } = common({ ...v, listen: undefined }, parsed.from, 0);
  return { role: 'metadata', natsUrl, health, ...(tlsDir ? { tlsDir } : {}), ...(pod ? { pod } : {}), storage: metadataStorage(v, parsed.from), kube };
}

export function parseRoleArgs(role: ServiceRole, args: string[], env: NodeJS.ProcessEnv = process.env): RoleConfig | 'help' {
  if (role === 'pem') return parsePemArgs(args, env);
  if (role === 'kelvin') return parseKelvinArgs(args, env);
  if (role === 'metadata') return parseMetadataArgs(args, env);
  return parseBrokerArgs(args, env);
}
