// `loupe pem`, `loupe kelvin` and `loupe query-broker`: flags and environment → a typed
// configuration. Pure (no file, network or /proc access): the pid/cgroup check, the TLS files
// and the connections come later, in command.ts.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { Env, Ports } from '../../crds/roles.js';
import type { SourceName } from '../pem/collection.js';
import { parseHostPort, type HostPort } from './address.js';
import { parseSources, parseTracerTarget, SOURCES, type TracerTarget } from './collection-flags.js';
import { bytesSetting, envSetting, intervalSetting, natsUrlSetting, pick, retentionSetting, RoleConfigError, type Setting } from './settings.js';

export type QueryRole = 'pem' | 'kelvin' | 'query-broker';

export const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';
export const DEFAULT_HEALTH_ADDR = '127.0.0.1:0';
const DEFAULT_MEMORY_LIMIT = 2 ** 30;
/** Share of --memory-limit the table store holds (as in `loupe standalone`). */
const TABLE_STORE_SHARE = 0.6;
const MIN_MEMORY_LIMIT = 16 * 2 ** 20;
const MIN_TABLE_STORE = 8 * 2 ** 20;
const MIN_QUERY_MEMORY = 16 * 2 ** 20;
/** The operator sets it from status.podIP. */
const POD_IP = Env.podIp;

const COMMON_USAGE = (port: number) => `  --nats URL             NATS (default $${Env.natsUrl}, else ${DEFAULT_NATS_URL})
  --listen HOST:PORT     gRPC address to bind (default 127.0.0.1:${port}; in a pod, where
                         $${Env.podName} is set, 0.0.0.0:${port}); port 0 picks a free one
  --health-addr HOST:PORT
                         /healthz, /readyz, /metrics (default $${Env.healthAddr}, else
                         ${DEFAULT_HEALTH_ADDR}: a free loopback port, logged in the "listening" line)
  --tls-dir DIR          mutual TLS for gRPC and NATS with DIR/ca.crt, tls.crt, tls.key
                         (default $${Env.tlsDir}; none: plaintext, for one host)`;

const ADVERTISE_USAGE = `  --advertise HOST:PORT  address announced over NATS for others to dial (default $${POD_IP}:PORT
                         when set, else the bound address; bound to 0.0.0.0: this host's
                         first non-loopback IPv4 address)`;

const KUBE_USAGE = `  --kubeconfig PATH      pods, services and EndpointSlices from this cluster's API (default in a
                         pod, where $KUBERNETES_SERVICE_HOST is set: the in-cluster service account)
  --no-kube              no Kubernetes API: metadata from /proc only, pod and service names empty`;

const STARTED = `Logs JSON lines on stdout; once serving, one line {"msg":"listening","address":HOST:PORT,
"advertise":...,"health":HOST:PORT}. SIGINT/SIGTERM stop it cleanly.`;

export const PEM_USAGE = `usage: loupe pem [--nats URL] [--listen HOST:PORT] [--advertise HOST:PORT] [--node-name N]
                [--memory-limit Q] [--retention D] [--sources LIST] [--pid N,N | --cgroup PATH]
                [--stats-interval D] [--profile-interval D] [--health-addr HOST:PORT] [--tls-dir DIR]
                [--kubeconfig PATH | --no-kube]

A node's agent: collects into an in-memory table store, runs query fragments for Kelvin, and
announces itself (and its tables) over NATS. Needs root (or CAP_BPF + CAP_PERFMON) for eBPF.

${COMMON_USAGE(Ports.pem)}
${ADVERTISE_USAGE}
  --node-name N          this node's name (default $${Env.nodeName}, else the hostname)
  --memory-limit Q       the PEM's memory; 60% of it holds rows (default: the table store takes
                         $${Env.tableStoreBytes} bytes when set, else 60% of 1Gi)
  --retention D          maximum age of rows, e.g. 30m, 24h, 14d (default $${Env.dataRetention}, else 24h)
  --sources LIST         comma-separated: ${SOURCES.slice(0, 3).join(', ')},
                         ${SOURCES.slice(3).join(', ')} (default all)
  --pid N,N              trace only these processes (repeatable)
  --cgroup PATH          trace only this cgroup v2 directory and below (absolute, or relative to
                         the cgroup2 mount); neither: every process but the PEM itself
  --stats-interval D     process_stats / network_stats / conn_stats period (default 10s)
  --profile-interval D   how often CPU stacks become stack_traces.beta rows (default 30s)
${KUBE_USAGE}
                         Ready (/readyz) once pods and services have been listed.

${STARTED}`;

export const KELVIN_USAGE = `usage: loupe kelvin [--nats URL] [--listen HOST:PORT] [--advertise HOST:PORT] [--query-memory Q]
                   [--health-addr HOST:PORT] [--tls-dir DIR] [--kubeconfig PATH | --no-kube]

Merges what the PEMs send for a query (partial aggregates, joins, limits) and streams the
result to the query broker; announces itself over NATS.

${COMMON_USAGE(Ports.kelvin)}
${ADVERTISE_USAGE}
  --query-memory Q       operator state and buffered PEM output one query may hold
                         (default $${Env.queryMemoryBytes}, else 256Mi)
${KUBE_USAGE}
                         (Kelvin runs the metadata functions of maps after an aggregate or join).

${STARTED}`;

export const BROKER_USAGE = `usage: loupe query-broker [--nats URL] [--listen HOST:PORT] [--health-addr HOST:PORT] [--tls-dir DIR]

The query API (\`loupe run --server HOST:PORT px/NAME\`): keeps the live PEMs and Kelvins from
their NATS announcements, compiles against the PEMs' tables, splits the plan and asks a Kelvin.
Ready once it has heard from an agent.

${COMMON_USAGE(Ports.queryBroker)}

${STARTED}`;

export const USAGE: Readonly<Record<QueryRole, string>> = { pem: PEM_USAGE, kelvin: KELVIN_USAGE, 'query-broker': BROKER_USAGE };

export interface CommonConfig {
  readonly natsUrl: string;
  readonly listen: HostPort;
  /** --advertise as given; the announced address is worked out once the port is bound. */
  readonly advertise?: HostPort;
  readonly podIp?: string;
  readonly health: HostPort;
  /** --tls-dir / $LOUPE_TLS_DIR: read in command.ts, errors name where it came from. */
  readonly tlsDir?: Setting;
  /** "namespace/name" in a pod, for logs and agent ids. */
  readonly pod?: string;
}

/** Where a PEM or Kelvin reads the cluster's pods and services from. */
export type KubeSource =
  | { readonly kind: 'in-cluster'; readonly server: string }
  | { readonly kind: 'file'; readonly path: string };

export interface PemConfig extends CommonConfig {
  readonly role: 'pem';
  /** Unset: LocalMetadata's default, the hostname. */
  readonly nodeName?: string;
  readonly tableStoreBytes: number;
  readonly retentionMs: number;
  readonly sources?: readonly SourceName[];
  readonly target?: TracerTarget;
  readonly statsIntervalMs: number;
  readonly profilerIntervalMs: number;
  /** /proc, or $LOUPE_HOST_PREFIX/proc in a pod that mounts the host's. */
  readonly procRoot: string;
  /** Unset: /proc only (outside a pod without --kubeconfig, or --no-kube). */
  readonly kube?: KubeSource;
}

export interface KelvinConfig extends CommonConfig {
  readonly role: 'kelvin';
  readonly queryMemoryBytes?: number;
  readonly kube?: KubeSource;
}

export interface BrokerConfig extends CommonConfig {
  readonly role: 'query-broker';
}

export type RoleConfig = PemConfig | KelvinConfig | BrokerConfig;

const COMMON_OPTIONS = {
  nats: { type: 'string' },
  listen: { type: 'string' },
  'health-addr': { type: 'string' },
  'tls-dir': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const AGENT_OPTIONS = { ...COMMON_OPTIONS, advertise: { type: 'string' } } as const;

const KUBE_OPTIONS = { kubeconfig: { type: 'string' }, 'no-kube': { type: 'boolean' } } as const;

const PEM_OPTIONS = {
  ...AGENT_OPTIONS,
  ...KUBE_OPTIONS,
  'node-name': { type: 'string' },
  'memory-limit': { type: 'string' },
  retention: { type: 'string' },
  sources: { type: 'string' },
  pid: { type: 'string', multiple: true },
  cgroup: { type: 'string' },
  'stats-interval': { type: 'string' },
  'profile-interval': { type: 'string' },
} as const;

const KELVIN_OPTIONS = { ...AGENT_OPTIONS, ...KUBE_OPTIONS, 'query-memory': { type: 'string' } } as const;

type Values = Record<string, string | boolean | string[] | undefined>;

function parseFlags(role: QueryRole, args: string[], options: ParseArgsConfig['options']): Values | 'help' {
  let values: Values;
  try {
    ({ values } = parseArgs({ args, options, strict: true, allowPositionals: false }));
  } catch (err) {
    const flag = /'(-[^']*)'/.exec((err as Error).message)?.[1] ?? `loupe ${role}`;
    throw new RoleConfigError(flag, (err as Error).message);
  }
  return values['help'] ? 'help' : values;
}

const str = (values: Values, name: string) => values[name] as string | undefined;

function common(role: QueryRole, values: Values, env: NodeJS.ProcessEnv): CommonConfig {
  const defaultPort = { pem: Ports.pem, kelvin: Ports.kelvin, 'query-broker': Ports.queryBroker }[role];
  const inPod = !!env[Env.podName];
  const nats = pick('nats', str(values, 'nats'), Env.natsUrl, env) ?? { value: DEFAULT_NATS_URL, from: 'the default' };
  const listen = pick('listen', str(values, 'listen'), undefined, env) ?? { value: `${inPod ? '0.0.0.0' : '127.0.0.1'}:${defaultPort}`, from: 'the default' };
  const health = pick('health-addr', str(values, 'health-addr'), Env.healthAddr, env) ?? { value: DEFAULT_HEALTH_ADDR, from: 'the default' };
  const advertise = pick('advertise', str(values, 'advertise'), undefined, env);
  const tlsDir = pick('tls-dir', str(values, 'tls-dir'), Env.tlsDir, env);
  const podName = env[Env.podName];
  const podNamespace = env[Env.podNamespace];
  const podIp = env[POD_IP];
  return {
    natsUrl: natsUrlSetting(nats),
    listen: parseHostPort(listen),
    ...(advertise ? { advertise: parseHostPort(advertise) } : {}),
    ...(podIp ? { podIp } : {}),
    health: parseHostPort(health),
    ...(tlsDir ? { tlsDir } : {}),
    ...(podName ? { pod: podNamespace ? `${podNamespace}/${podName}` : podName } : {}),
  };
}

/** --kubeconfig, else the in-cluster service account in a pod; --no-kube: none. */
function kubeSource(values: Values, env: NodeJS.ProcessEnv): KubeSource | undefined {
  const path = str(values, 'kubeconfig');
  if (values['no-kube']) {
    if (path !== undefined) throw new RoleConfigError('--no-kube', '--kubeconfig and --no-kube exclude each other');
    return undefined;
  }
  if (path !== undefined) {
    if (path.trim() === '') throw new RoleConfigError('--kubeconfig', '--kubeconfig: empty');
    return { kind: 'file', path };
  }
  const host = env['KUBERNETES_SERVICE_HOST'];
  if (!host) return undefined;
  const port = env['KUBERNETES_SERVICE_PORT'] ?? '443';
  return { kind: 'in-cluster', server: `https://${host.includes(':') ? `[${host}]` : host}:${port}` };
}

export function parsePemArgs(args: string[], env: NodeJS.ProcessEnv = process.env): PemConfig | 'help' {
  const values = parseFlags('pem', args, PEM_OPTIONS);
  if (values === 'help') return 'help';
  const base = common('pem', values, env);
  const memoryLimit = pick('memory-limit', str(values, 'memory-limit'), undefined, env);
  const storeBytes = envSetting(Env.tableStoreBytes, env);
  const tableStoreBytes = memoryLimit
    ? Math.floor(bytesSetting(memoryLimit, MIN_MEMORY_LIMIT) * TABLE_STORE_SHARE)
    : storeBytes
      ? bytesSetting(storeBytes, MIN_TABLE_STORE)
      : Math.floor(DEFAULT_MEMORY_LIMIT * TABLE_STORE_SHARE);
  const retention = pick('retention', str(values, 'retention'), Env.dataRetention, env);
  const nodeName = pick('node-name', str(values, 'node-name'), Env.nodeName, env);
  if (nodeName && nodeName.value.trim() === '') throw new RoleConfigError(nodeName.from, `${nodeName.from}: empty`);
  const sources = parseSources(str(values, 'sources'));
  const target = parseTracerTarget(values['pid'] as string[] | undefined, str(values, 'cgroup'));
  const interval = (flag: string, fallback: string) => intervalSetting(pick(flag, str(values, flag), undefined, env) ?? { value: fallback, from: 'the default' });
  const hostPrefix = env[Env.hostPrefix];
  const kube = kubeSource(values, env);
  return {
    role: 'pem',
    ...base,
    ...(nodeName ? { nodeName: nodeName.value.trim() } : {}),
    tableStoreBytes,
    retentionMs: retention ? retentionSetting(retention) : 24 * 3_600_000,
    ...(sources ? { sources } : {}),
    ...(target ? { target } : {}),
    statsIntervalMs: interval('stats-interval', '10s'),
    profilerIntervalMs: interval('profile-interval', '30s'),
    procRoot: hostPrefix ? `${hostPrefix.replace(/\/+$/, '')}/proc` : '/proc',
    ...(kube ? { kube } : {}),
  };
}

export function parseKelvinArgs(args: string[], env: NodeJS.ProcessEnv = process.env): KelvinConfig | 'help' {
  const values = parseFlags('kelvin', args, KELVIN_OPTIONS);
  if (values === 'help') return 'help';
  const base = common('kelvin', values, env);
  const memory = pick('query-memory', str(values, 'query-memory'), Env.queryMemoryBytes, env);
  const kube = kubeSource(values, env);
  return { role: 'kelvin', ...base, ...(memory ? { queryMemoryBytes: bytesSetting(memory, MIN_QUERY_MEMORY) } : {}), ...(kube ? { kube } : {}) };
}

export function parseBrokerArgs(args: string[], env: NodeJS.ProcessEnv = process.env): BrokerConfig | 'help' {
  const values = parseFlags('query-broker', args, COMMON_OPTIONS);
  if (values === 'help') return 'help';
  return { role: 'query-broker', ...common('query-broker', values, env) };
}

export function parseRoleArgs(role: QueryRole, args: string[], env: NodeJS.ProcessEnv = process.env): RoleConfig | 'help' {
  if (role === 'pem') return parsePemArgs(args, env);
  if (role === 'kelvin') return parseKelvinArgs(args, env);
  return parseBrokerArgs(args, env);
}
