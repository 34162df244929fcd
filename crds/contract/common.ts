// Settings several roles share, declared once and listed in each role's contract.
import { Ports } from './ports.js';
import { bytes, choice, cidrs, duration, flagSwitch, hostPort, natsUrl, path, repeated, set, text } from './setting.js';
import { DATA_ACCESS_MODES, PEM_SOURCES, PROTOCOLS, TRACE_ROLES } from './values.js';

const MiB = 2 ** 20;

const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';

// Where a role talks and answers.
export const nats = natsUrl({
  env: 'LOUPE_NATS_URL',
  flag: 'nats',
  default: DEFAULT_NATS_URL,
  help: 'NATS, where agents announce themselves: nats://HOST:PORT or tls://HOST:PORT (a bare HOST:PORT means nats://)',
});

/** --listen with the role's own port; a pod ($POD_NAME set) binds every interface. */
export const listen = (port: number) =>
  hostPort({
    flag: 'listen',
    defaultText: `127.0.0.1:${port}; in a pod, where $POD_NAME is set, 0.0.0.0:${port}`,
    help: 'gRPC address to bind; port 0 picks a free one',
  });

export const advertise = hostPort({
  flag: 'advertise',
  defaultText: "$POD_IP with the bound port when set, else the bound address; bound to 0.0.0.0: this host's first non-loopback IPv4 address",
  help: 'address announced over NATS for others to dial; port 0 means the bound port',
});

export const healthAddr = hostPort({
  env: 'LOUPE_HEALTH_ADDR',
  flag: 'health-addr',
  default: { host: '127.0.0.1', port: 0 },
  defaultText: `127.0.0.1:0, a free loopback port logged in the "listening" line; in a Vizier 0.0.0.0:${Ports.health}`,
  help: '/healthz, /readyz and /metrics',
});

export const tlsDir = path({
  env: 'LOUPE_TLS_DIR',
  flag: 'tls-dir',
  metavar: 'DIR',
  defaultText: 'none: plaintext, for one host',
  help: 'mutual TLS for gRPC and NATS with DIR/ca.crt, tls.crt and tls.key',
});

// Who this process is.
export const podName = text({ env: 'POD_NAME', source: { fieldRef: 'metadata.name' }, help: "the pod's name: in logs and agent ids; its presence means running in a pod" });
export const podNamespace = text({ env: 'POD_NAMESPACE', source: { fieldRef: 'metadata.namespace' }, help: "the pod's namespace: in logs, agent ids and px.vizier_namespace()" });
export const podIp = text({ env: 'POD_IP', source: { fieldRef: 'status.podIP' }, help: "the pod's IP: announced over NATS for others to dial" });

export const clusterName = text({
  env: 'LOUPE_CLUSTER_NAME',
  flag: 'cluster-name',
  metavar: 'NAME',
  defaultText: 'none; in a Vizier its spec.clusterName, else NAMESPACE/NAME',
  help: "the cluster's name: what px.vizier_name() returns and what agents announce over NATS",
});

export const vizierName = text({
  env: 'LOUPE_VIZIER_NAME',
  flag: 'vizier-name',
  metavar: 'NAME',
  help: 'the Vizier this process belongs to: in logs and NATS announcements',
});

// What a collecting role records.
export const dataAccess = choice(DATA_ACCESS_MODES)({
  env: 'LOUPE_DATA_ACCESS',
  flag: 'data-access',
  metavar: 'MODE',
  default: 'Full',
  help:
    'Full: request and response bodies and headers as sent; Restricted: no bodies, headers redacted; ' +
    'PIIRestricted: no bodies, and e-mail, IP and MAC addresses, card and IMEI numbers redacted from headers and request paths',
});

export const protocols = set(PROTOCOLS, 'protocol')({
  env: 'LOUPE_PROTOCOLS',
  flag: 'protocols',
  default: ['http'],
  help: `protocols the socket tracer parses, comma-separated, or none: ${PROTOCOLS.join(', ')}; one without a parser yet is logged once and skipped`,
});

export const traceRoles = choice(TRACE_ROLES)({
  env: 'LOUPE_TRACE_ROLES',
  flag: 'trace-roles',
  metavar: 'ROLES',
  default: 'server',
  help:
    "server: each request once, on its server's side, plus client sides whose remote end is outside the cluster " +
    "(its pod and service CIDRs and loopback; standalone: this host's addresses and loopback); both: every side",
});

export const clusterCidrs = cidrs({
  env: 'LOUPE_CLUSTER_CIDRS',
  flag: 'cluster-cidrs',
  defaultText: "discovered: nodes' spec.podCIDRs, node and pod IPs (standalone: this host's addresses)",
  help: "comma-separated CIDRs of the cluster's pod networks, for --trace-roles server; replaces discovery",
});

export const serviceCidrs = cidrs({
  env: 'LOUPE_SERVICE_CIDRS',
  flag: 'service-cidrs',
  defaultText: "discovered: the smallest block holding the services' cluster IPs",
  help: "comma-separated service CIDRs, for --trace-roles server; replaces discovery",
});

export const sources = set(PEM_SOURCES, 'source')({
  flag: 'sources',
  default: PEM_SOURCES,
  defaultText: 'all',
  help: `what to collect, comma-separated: ${PEM_SOURCES.join(', ')}`,
});

export const pid = repeated({ flag: 'pid', metavar: 'N,N', help: 'trace only these processes (repeatable)' });

export const cgroup = path({
  flag: 'cgroup',
  defaultText: 'neither --pid nor --cgroup: every process but this one',
  help: 'trace only this cgroup v2 directory and below (absolute, or relative to the cgroup2 mount)',
});

const INTERVAL_HINT = 'must be a positive duration such as 500ms, 10s or 2m';
export const statsInterval = duration({ bareSeconds: true, hint: INTERVAL_HINT })({ flag: 'stats-interval', default: 10_000, help: 'process_stats, network_stats and conn_stats period' });
export const profileInterval = duration({ bareSeconds: true, hint: INTERVAL_HINT })({ flag: 'profile-interval', default: 30_000, help: 'how often CPU stacks become stack_traces.beta rows' });

const MIN_MEMORY_LIMIT = 16 * MiB;
/** The share of --memory-limit the table store holds. */
export const TABLE_STORE_SHARE = 0.6;
export const memoryLimit = <const D extends { readonly default?: number; readonly defaultText?: string }>(defaults: D) =>
  bytes(MIN_MEMORY_LIMIT)({ flag: 'memory-limit', help: `memory for the table store: ${TABLE_STORE_SHARE * 100}% of it holds rows`, ...defaults });

// The Kubernetes API, for agents that resolve pods and services.
export const kubeconfig = path({
  flag: 'kubeconfig',
  defaultText: 'in a pod, where $KUBERNETES_SERVICE_HOST is set: the in-cluster service account',
  help: "pods, services and EndpointSlices from this cluster's API",
});
export const noKube = flagSwitch({ flag: 'no-kube', default: false, help: 'no Kubernetes API: metadata from /proc only, pod and service names empty' });
