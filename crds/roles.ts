// The contract between what the operator renders and what each role reads: one place for
// role names, ports and environment variables, so the two sides cannot drift apart.
export const ROLES = [
  'operator', 'pem', 'kelvin', 'query-broker', 'metadata', 'cloud-connector',
  'profile-agent', 'profile-storage', 'symbolizer', 'cloud', 'standalone',
] as const;
export type Role = (typeof ROLES)[number];

export const Ports = {
  /** Every role serves /healthz, /readyz and /metrics here. */
  health: 9090,
  natsClient: 4222,
  natsCluster: 6222,
  natsMonitor: 8222,
  etcdClient: 2379,
  etcdPeer: 2380,
  metadata: 50400,
  queryBroker: 50300,
  queryBrokerHttp: 50305,
  kelvin: 59300,
  cloudConnector: 50800,
  pem: 12345,
} as const;

export const Env = {
  clusterName: 'LOUPE_CLUSTER_NAME',
  vizierName: 'LOUPE_VIZIER_NAME',
  dataAccess: 'LOUPE_DATA_ACCESS',
  natsUrl: 'LOUPE_NATS_URL',
  metadataAddr: 'LOUPE_METADATA_ADDR',
  metadataStorage: 'LOUPE_METADATA_STORAGE',
  etcdEndpoints: 'LOUPE_ETCD_ENDPOINTS',
  queryBrokerAddr: 'LOUPE_QUERY_BROKER_ADDR',
  kelvinAddr: 'LOUPE_KELVIN_ADDR',
  tableStoreBytes: 'LOUPE_TABLE_STORE_LIMIT_BYTES',
  dataRetention: 'LOUPE_DATA_RETENTION',
  protocols: 'LOUPE_PROTOCOLS',
  queryMemoryBytes: 'LOUPE_QUERY_MEMORY_LIMIT_BYTES',
  cloudAddr: 'LOUPE_CLOUD_ADDR',
  cloudInsecureSkipVerify: 'LOUPE_CLOUD_INSECURE_SKIP_VERIFY',
  deployKey: 'LOUPE_DEPLOY_KEY',
  tlsDir: 'LOUPE_TLS_DIR',
  healthAddr: 'LOUPE_HEALTH_ADDR',
  nodeName: 'LOUPE_NODE_NAME',
  podName: 'POD_NAME',
  podNamespace: 'POD_NAMESPACE',
  /** The pod's IP: what PEMs and Kelvins announce over NATS for others to dial. */
  podIp: 'POD_IP',
  hostPrefix: 'LOUPE_HOST_PREFIX',
} as const;
