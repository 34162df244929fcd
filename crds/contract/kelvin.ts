// `loupe kelvin`: the merge half of every query.
import { advertise, clusterName, healthAddr, kubeconfig, listen, nats, noKube, podIp, podName, podNamespace, tlsDir, vizierName } from './common.js';
import { Ports } from './ports.js';
import { bytes, defineRole } from './setting.js';

const MIN_QUERY_MEMORY_BYTES = 16 * 2 ** 20;

export const KELVIN_CONTRACT = defineRole({
  role: 'kelvin',
  built: true,
  summary:
    'Merges what the PEMs send for a query (partial aggregates, joins, limits) and streams the result ' +
    'to the query broker; announces itself over NATS. With the Kubernetes API it runs the metadata ' +
    'functions of maps after an aggregate or join.',
  notes:
    'Logs JSON lines on stdout; once serving, one line {"msg":"listening","address":HOST:PORT,' +
    '"advertise":...,"health":HOST:PORT}. SIGINT/SIGTERM stop it cleanly.',
  settings: {
    nats,
    listen: listen(Ports.kelvin),
    advertise,
    healthAddr,
    tlsDir,
    clusterName,
    vizierName,
    queryMemory: bytes(MIN_QUERY_MEMORY_BYTES)({
      env: 'LOUPE_QUERY_MEMORY_LIMIT_BYTES',
      flag: 'query-memory',
      defaultText: 'no cap beyond the query\'s own limits; 256Mi of buffered PEM output',
      help: 'operator state and buffered PEM output one query may hold',
    }),
    kubeconfig,
    noKube,
    podName,
    podNamespace,
    podIp,
  },
});
