// The ports the roles listen on, for the operator's Services and the roles' defaults.
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
