// `loupe pem`: the node agent.
import { advertise, cgroup, clusterCidrs, clusterName, dataAccess, healthAddr, kubeconfig, listen, memoryLimit, nats, noKube, pid, podIp, podName, podNamespace, profileInterval, protocols, serviceCidrs, sources, statsInterval, tlsDir, traceRoles, vizierName } from './common.js';
import { Ports } from './ports.js';
import { bytes, defineRole, duration, path, text } from './setting.js';

const MiB = 2 ** 20;

const MIN_TABLE_STORE_BYTES = 8 * MiB;
/** Without --memory-limit or $LOUPE_TABLE_STORE_LIMIT_BYTES: the table store's share of this. */
export const DEFAULT_PEM_MEMORY_LIMIT = 2 ** 30;

export const PEM_CONTRACT = defineRole({
  role: 'pem',
  built: true,
  summary:
    "A node's agent: collects into an in-memory table store, runs query fragments for Kelvin, and " +
    'announces itself (and its tables) over NATS. Needs root (or CAP_BPF + CAP_PERFMON) for eBPF.',
  notes:
    'Logs JSON lines on stdout; once serving, one line {"msg":"listening","address":HOST:PORT,' +
    '"advertise":...,"health":HOST:PORT}. With the Kubernetes API, ready (/readyz) once pods and services ' +
    'have been listed. SIGINT/SIGTERM stop it cleanly.',
  settings: {
    nats,
    listen: listen(Ports.pem),
    advertise,
    healthAddr,
    tlsDir,
    clusterName,
    vizierName,
    dataAccess,
    protocols,
    traceRoles,
    clusterCidrs,
    serviceCidrs,
    nodeName: text({ env: 'LOUPE_NODE_NAME', flag: 'node-name', metavar: 'NAME', source: { fieldRef: 'spec.nodeName' }, defaultText: 'the hostname', help: "this node's name" }),
    memoryLimit: memoryLimit({ defaultText: `the table store takes $LOUPE_TABLE_STORE_LIMIT_BYTES when set, else 60% of 1Gi` }),
    tableStoreBytes: bytes(MIN_TABLE_STORE_BYTES)({ env: 'LOUPE_TABLE_STORE_LIMIT_BYTES', metavar: 'BYTES', help: 'bytes the table store may hold (the operator derives it from the PEM memory limit); --memory-limit wins' }),
    retention: duration({ bareSeconds: false, hint: 'must be a duration such as 30m, 24h, 14d or 1h30m' })({ env: 'LOUPE_DATA_RETENTION', flag: 'retention', default: 24 * 3_600_000, defaultText: '24h', help: 'maximum age of rows, e.g. 30m, 24h, 14d' }),
    sources,
    pid,
    cgroup,
    statsInterval,
    profileInterval,
    kubeconfig,
    noKube,
    hostPrefix: path({ env: 'LOUPE_HOST_PREFIX', defaultText: 'none: /proc', help: "where the host's /proc is mounted in a pod (the PEM reads PREFIX/proc)" }),
    podName,
    podNamespace,
    podIp,
    nodeOptions: text({ env: 'NODE_OPTIONS', source: { runtime: 'node' }, help: "Node.js's own options: the operator caps the JS heap to what the table store leaves" }),
  },
});
