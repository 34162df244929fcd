// `loupe cloud-connector` (not built yet): what the Vizier render already gives it.
import { clusterName, healthAddr, nats, podName, podNamespace, tlsDir, vizierName } from './common.js';
import { boolean, defineRole, hostPort, text } from './setting.js';

export const CLOUD_CONNECTOR_CONTRACT = defineRole({
  role: 'cloud-connector',
  built: false,
  summary: 'Connects this Vizier to a Loupe cloud: registers it with its deploy key and relays queries to the query broker.',
  settings: {
    nats,
    healthAddr,
    tlsDir,
    clusterName,
    vizierName,
    // Text: spec.cloud.address as the CRD admits it; the connector checks it when it dials.
    cloudAddr: text({ env: 'LOUPE_CLOUD_ADDR', metavar: 'HOST:PORT', help: "the cloud's address (spec.cloud.address)" }),
    cloudInsecureSkipVerify: boolean({ env: 'LOUPE_CLOUD_INSECURE_SKIP_VERIFY', default: false, help: "skip TLS verification of the cloud's certificate (development only)" }),
    queryBrokerAddr: hostPort({ env: 'LOUPE_QUERY_BROKER_ADDR', help: "the query broker's Service, where cloud queries go" }),
    deployKey: text({ env: 'LOUPE_DEPLOY_KEY', source: { secretKeyRef: true }, help: 'registers this Vizier with the cloud (from spec.cloud.deployKeySecretRef)' }),
    podName,
    podNamespace,
  },
});
