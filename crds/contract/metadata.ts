// `loupe metadata`: what the Vizier render gives it and what it reads.
import { healthAddr, kubeconfig, nats, podName, podNamespace, tlsDir } from './common.js';
import { choice, defineRole, path, text } from './setting.js';
import { METADATA_STORAGE } from './values.js';

/** Where the render mounts the metadata volume (a PersistentVolumeClaim with storage persistent). */
export const METADATA_DATA_DIR = '/var/lib/loupe';

export const METADATA_CONTRACT = defineRole({
  role: 'metadata',
  built: true,
  summary:
    'The metadata service: watches pods, services, EndpointSlices and nodes once for the cluster and serves them ' +
    'to the PEMs and Kelvins over NATS (they fall back to their own watch while it does not answer); keeps the ' +
    'registry of agents where spec.metadata.storage says.',
  notes:
    'Logs JSON lines on stdout; once serving, one line {"msg":"listening","address":"nats:loupe.metadata",' +
    '"health":HOST:PORT}. Ready (/readyz) once pods and services are listed and the store is writable. ' +
    'SIGINT/SIGTERM stop it cleanly.',
  settings: {
    nats,
    healthAddr,
    tlsDir,
    storage: choice(METADATA_STORAGE)({
      env: 'LOUPE_METADATA_STORAGE',
      flag: 'storage',
      default: 'persistent',
      help: `where the agent registry lives: persistent (files under --data-dir, a volume in a Vizier), etcd (--etcd-endpoints), or memory (lost on restart)`,
    }),
    etcdEndpoints: text({ env: 'LOUPE_ETCD_ENDPOINTS', flag: 'etcd-endpoints', metavar: 'URLS', help: 'etcd client URLs, comma-separated, when storage is etcd (https ones use --tls-dir)' }),
    dataDir: path({ flag: 'data-dir', metavar: 'DIR', default: METADATA_DATA_DIR, help: 'where storage persistent writes' }),
    kubeconfig,
    podName,
    podNamespace,
  },
});
