// `loupe standalone`: Loupe on one host, no operator.
import { cgroup, clusterCidrs, clusterName, dataAccess, memoryLimit, pid, profileInterval, protocols, serviceCidrs, sources, statsInterval, traceRoles, vizierName } from './common.js';
import { Ports } from './ports.js';
import { defineRole, hostPort, path } from './setting.js';

export const STANDALONE_CONTRACT = defineRole({
  role: 'standalone',
  built: true,
  summary:
    'Collects on this host (HTTP tracing, conn_stats, process and network stats, CPU stacks) into an ' +
    'in-memory table store and serves PxL queries: `loupe run px/http_data` in another shell.',
  notes: 'Logs JSON lines on stdout; once serving, one line {"msg":"ready: ...","address":HOST:PORT}. Ctrl-C stops it cleanly.',
  settings: {
    listen: hostPort({ flag: 'listen', default: { host: '127.0.0.1', port: Ports.queryBroker }, help: 'query API; a loopback address unless you mean it; port 0 picks a free one' }),
    memoryLimit: memoryLimit({ default: 2 ** 30 }),
    sources,
    pid,
    cgroup,
    manifests: path({ flag: 'manifests', metavar: 'DIR', help: 'CronScript YAML (and the ConfigMaps their scriptRef names) to run on their schedules' }),
    statsInterval,
    profileInterval,
    dataAccess,
    protocols,
    traceRoles,
    clusterCidrs,
    serviceCidrs,
    clusterName,
    vizierName,
  },
});
