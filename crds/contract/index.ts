// The role contract: what each role reads (env, flags, defaults, bounds), declared once for the
// operator, which renders it into pod specs, and for the roles, which parse it
// (role-config.ts does both, and writes `loupe ROLE --help`).
import { CLOUD_CONNECTOR_CONTRACT } from './cloud-connector.js';
import { KELVIN_CONTRACT } from './kelvin.js';
import { METADATA_CONTRACT } from './metadata.js';
import { PEM_CONTRACT } from './pem.js';
import { QUERY_BROKER_CONTRACT } from './query-broker.js';
import type { RoleContract } from './setting.js';
import { STANDALONE_CONTRACT } from './standalone.js';

export * from './setting.js';
export * from './values.js';
export { Ports } from './ports.js';
export { ROLES, type Role } from './roles.js';
export { TABLE_STORE_SHARE, tlsDir as TLS_DIR_SETTING } from './common.js';
export { CLOUD_CONNECTOR_CONTRACT, KELVIN_CONTRACT, METADATA_CONTRACT, PEM_CONTRACT, QUERY_BROKER_CONTRACT, STANDALONE_CONTRACT };
export { DEFAULT_PEM_MEMORY_LIMIT } from './pem.js';
export { METADATA_DATA_DIR } from './metadata.js';

/** The roles a Vizier runs, by the role name its containers pass as their first argument. */
export const VIZIER_ROLE_CONTRACTS = {
  pem: PEM_CONTRACT,
  kelvin: KELVIN_CONTRACT,
  'query-broker': QUERY_BROKER_CONTRACT,
  metadata: METADATA_CONTRACT,
  'cloud-connector': CLOUD_CONNECTOR_CONTRACT,
} as const satisfies Record<string, RoleContract>;

export type VizierRole = keyof typeof VIZIER_ROLE_CONTRACTS;
