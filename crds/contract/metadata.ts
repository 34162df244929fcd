// `loupe metadata` (not built yet): what the Vizier render already gives it.
import { healthAddr, nats, podName, podNamespace, tlsDir } from './common.js';
import { choice, defineRole, text } from './setting.js';
import { METADATA_STORAGE } from './values.js';

export const METADATA_CONTRACT = defineRole({
  role: 'metadata',
  built: false,
  summary: 'The metadata service: keeps what the cluster knows about pods, services and agents, where spec.metadata.storage says.',
  settings: {
    nats,
    healthAddr,
    tlsDir,
    storage: choice(METADATA_STORAGE)({ env: 'LOUPE_METADATA_STORAGE', default: 'persistent', help: 'where the state lives: a volume at /var/lib/loupe, etcd, or memory (lost on restart)' }),
    etcdEndpoints: text({ env: 'LOUPE_ETCD_ENDPOINTS', metavar: 'URLS', help: 'etcd client URLs, when storage is etcd' }),
    podName,
    podNamespace,
  },
});
