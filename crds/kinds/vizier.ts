import { Type, Enum, MapOf, Obj, Quantity, StringMap, Tolerations, SecretKeyRef, PodPolicy, Patch, Duration, ResourceRules, Rules, statusBase, type Static } from '../schema.js';
import type { KindDefinition, CustomResource } from '../definition.js';
import { DATA_ACCESS_MODES, METADATA_STORAGE, PROTOCOLS, TRACE_ROLES } from '../contract/values.js';

/**
 * An IPv4 or IPv6 CIDR block: the pattern gives its shape (and is all a server without CEL
 * checks), isCIDR() its numbers; the operator checks them again (status InvalidSpec).
 */
const CidrBlock = (description: string) =>
  Type.String({
    pattern: '^[0-9A-Fa-f:.]+/[0-9]{1,3}$',
    // The longest block text is 49 characters (an IPv6 address with an embedded IPv4 one, /128);
    // a bound keeps isCIDR() within the API server's CEL cost budget over the list.
    maxLength: 49,
    description,
    ...Rules({ rule: 'isCIDR(self)', message: 'not a CIDR block: write an IPv4 or IPv6 block such as 10.244.0.0/16 or fd00:10:244::/56, its prefix length without leading zeros' }),
  });

const PEM_RESOURCES = { memoryRequest: '2Gi', memoryLimit: '2Gi', cpuRequest: '400m' };
const KELVIN_RESOURCES = { memoryRequest: '1Gi', memoryLimit: '2Gi', cpuRequest: '200m' };

export const DEFAULT_VERSION = '0.1.0';
export const DEFAULT_REGISTRY = 'ghcr.io/loupe-dev';
/** A registry host (and port), then any path: no tag, no digest, no scheme. */
export const REGISTRY_PATTERN = '^[^\\s:/]+(:[0-9]+)?(/[^\\s:]+)*$';

export const VizierSpec = Obj(
  {
    version: Type.String({
      default: DEFAULT_VERSION,
      pattern: '^v?[0-9]+\\.[0-9]+\\.[0-9]+(-[0-9A-Za-z.-]+)?$',
      description: 'Loupe version to run (the image tag of every component). Changing it rolls the data plane in dependency order.',
    }),
    registry: Type.Optional(
      Type.String({
        minLength: 1,
        pattern: REGISTRY_PATTERN,
        description: `Image registry (and path) for every image, NATS and etcd included. Unset: the operator's --registry, which its install sets (${DEFAULT_REGISTRY} unless the install points it at a mirror).`,
      }),
    ),
    clusterName: Type.Optional(Type.String({ maxLength: 63, description: 'Name this cluster reports in query results and to the cloud; unset: the Vizier namespace/name.' })),
    cloud: Type.Optional(
      Obj(
        {
          address: Type.String({ minLength: 1, pattern: '^[^\\s/]+:[0-9]+$', description: 'host:port of the Loupe cloud (vzconn).' }),
          deployKeySecretRef: SecretKeyRef('Secret with the deploy key that registers this Vizier with the cloud.', 'deploy-key'),
          caSecretRef: Type.Optional(SecretKeyRef('Secret with a CA bundle for the cloud address; unset: system roots.', 'ca.crt')),
          insecureSkipVerify: Type.Boolean({ default: false, description: 'Skip TLS verification of the cloud (development only).' }),
        },
        { description: 'Connection to a Loupe cloud. Unset: the Vizier runs disconnected and is queried in-cluster.' },
      ),
    ),
    pem: Obj(
      {
        resources: Obj(
          {
            memoryRequest: Quantity({ default: PEM_RESOURCES.memoryRequest, description: 'Memory request of each PEM.' }),
            memoryLimit: Quantity({ default: PEM_RESOURCES.memoryLimit, description: 'Memory limit of each PEM; the table store gets tableStorePercent of it.' }),
            cpuRequest: Quantity({ default: PEM_RESOURCES.cpuRequest, description: 'CPU request of each PEM.' }),
            cpuLimit: Type.Optional(Quantity({ description: 'CPU limit of each PEM (unset: none).' })),
          },
          { description: 'Resources of each PEM pod; each request at most its limit.', default: {}, ...Rules(...ResourceRules(PEM_RESOURCES)) },
        ),
        tableStorePercent: Type.Integer({ default: 60, minimum: 10, maximum: 90, description: 'Share of the PEM memory limit the table store may use, in percent.' }),
        dataRetention: Duration({ default: '24h', description: 'Maximum age of rows kept in the PEM table store.' }),
        protocols: Type.Array(Enum(PROTOCOLS, { description: 'A protocol to trace.' }), {
          default: ['http'],
          'x-kubernetes-list-type': 'set',
          description: 'Protocols the socket tracer parses.',
        }),
        traceRoles: Enum(TRACE_ROLES, {
          default: 'server',
          description:
            "Which sides of a connection make http_events rows. server (as Pixie): each request once, on its server's side, " +
            'plus client sides whose remote end is outside the cluster (its pod and service CIDRs; loopback counts as inside). both: every side.',
        }),
        clusterCIDRs: Type.Optional(
          Type.Array(CidrBlock('A CIDR block, e.g. 10.244.0.0/16 or fd00:10:244::/56.'), {
            maxItems: 64,
            description: "The cluster's pod networks, for traceRoles server; unset: discovered from nodes' spec.podCIDRs, node and pod IPs.",
          }),
        ),
        serviceCIDRs: Type.Optional(
          Type.Array(CidrBlock('A CIDR block, e.g. 10.96.0.0/12.'), {
            maxItems: 16,
            description: "The cluster's service networks, for traceRoles server; unset: the smallest block holding the services' cluster IPs.",
          }),
        ),
        nodeSelector: Type.Optional(StringMap('Run PEMs only on nodes with these labels (in addition to podPolicy.nodeSelector).')),
        tolerations: Type.Optional(Tolerations('Tolerations for PEMs (in addition to podPolicy.tolerations); PEMs tolerate nothing else by default.')),
      },
      { description: 'The Pixie Edge Module DaemonSet: the eBPF collectors and table store on every node.', default: {} },
    ),
    kelvin: Obj(
      {
        replicas: Type.Integer({ default: 1, minimum: 1, maximum: 32, description: 'Number of Kelvin pods.' }),
        resources: Obj(
          {
            memoryRequest: Quantity({ default: KELVIN_RESOURCES.memoryRequest, description: 'Memory request of each Kelvin.' }),
            memoryLimit: Quantity({ default: KELVIN_RESOURCES.memoryLimit, description: 'Memory limit of each Kelvin; queries are bounded to a share of it.' }),
            cpuRequest: Quantity({ default: KELVIN_RESOURCES.cpuRequest, description: 'CPU request of each Kelvin.' }),
            cpuLimit: Type.Optional(Quantity({ description: 'CPU limit of each Kelvin (unset: none).' })),
          },
          { description: 'Resources of each Kelvin pod; each request at most its limit.', default: {}, ...Rules(...ResourceRules(KELVIN_RESOURCES)) },
        ),
      },
      { description: 'Kelvin: merges the PEMs\' partial results.', default: {} },
    ),
    metadata: Obj(
      {
        storage: Enum(METADATA_STORAGE, {
          default: 'persistent',
          description: 'Where the metadata service keeps its state: a PersistentVolume, an etcd StatefulSet, or memory (lost on restart).',
        }),
        storageSize: Quantity({ default: '1Gi', description: 'Volume size of the metadata service (storage persistent) or of etcd (storage etcd).' }),
        storageClassName: Type.Optional(Type.String({ description: 'StorageClass of the volume; unset: the cluster default.' })),
      },
      { description: 'The metadata service.', default: {} },
    ),
    dataAccess: Enum(DATA_ACCESS_MODES, {
      default: 'Full',
      description: 'Full: request and response bodies and headers as sent; Restricted: no bodies, headers redacted; PIIRestricted: no bodies, and e-mail, IP and MAC addresses, card and IMEI numbers redacted from headers and request paths.',
    }),
    podPolicy: PodPolicy,
    patches: Type.Array(Patch, { default: [], maxItems: 64, description: 'Patches to rendered objects, applied last; at most 64.' }),
    autoUpdate: Type.Boolean({
      default: false,
      enum: [false],
      description: 'Reserved for following new releases automatically; not implemented yet, so only false is accepted. Versions change only when spec.version changes.',
    }),
    updateTimeoutSeconds: Type.Integer({ default: 600, minimum: 30, maximum: 86400, description: 'How long a version rollout, or pulling a component image, may take before the Vizier is marked Failed (Stalled).' }),
    paused: Type.Boolean({ default: false, description: 'Stop reconciling children (they stay as they are) until unpaused.' }),
  },
  { description: 'Desired state of a Vizier, the per-cluster data plane.' },
);
export type VizierSpec = Static<typeof VizierSpec>;

const ComponentStatus = Obj(
  {
    ready: Type.Integer({ minimum: 0, description: 'Ready pods.' }),
    desired: Type.Integer({ minimum: 0, description: 'Desired pods.' }),
    version: Type.Optional(Type.String({ description: 'Version the component runs.' })),
  },
  { description: 'Readiness of one component.' },
);

export const VIZIER_PHASES = ['Pending', 'Updating', 'Healthy', 'Degraded', 'Failed', 'Paused'] as const;
export type VizierPhase = (typeof VIZIER_PHASES)[number];

export const VizierStatus = statusBase(VIZIER_PHASES, {
  version: Type.Optional(Type.String({ description: 'Version every component runs once a rollout finished.' })),
  pems: Type.Optional(Type.String({ description: 'Ready/desired PEMs, e.g. 3/3.' })),
  components: Type.Optional(MapOf(ComponentStatus, { description: 'Per-component readiness (nats, metadata, query-broker, kelvin, cloud-connector, pem).' })),
  rollout: Type.Optional(
    Obj(
      {
        targetVersion: Type.String({ description: 'Version being rolled out.' }),
        fromVersion: Type.String({ description: 'Version rolled out from.' }),
        startedAt: Type.String({ format: 'date-time', description: 'When the rollout started.' }),
      },
      { description: 'The version rollout in progress, if any.' },
    ),
  ),
  natsRestartedAt: Type.Optional(Type.String({ format: 'date-time', description: 'When the operator last restarted a failing NATS pod.' })),
  tlsNotAfter: Type.Optional(Type.String({ format: 'date-time', description: 'Expiry of the internal TLS certificate (rotated before it).' })),
});
export type VizierStatus = Static<typeof VizierStatus>;

export type Vizier = CustomResource<VizierSpec, VizierStatus>;

export const VizierDefinition: KindDefinition = {
  kind: 'Vizier',
  plural: 'viziers',
  singular: 'vizier',
  shortNames: ['vz'],
  description: 'A Vizier is Loupe\'s per-cluster data plane: PEMs on every node, Kelvin, query broker, metadata, NATS and an optional cloud connector.',
  spec: VizierSpec,
  status: VizierStatus,
  emptySpecAllowed: true,
  printerColumns: [
    { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
    { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
    { name: 'Version', type: 'string', jsonPath: '.status.version' },
    { name: 'PEMs', type: 'string', jsonPath: '.status.pems' },
    { name: 'Message', type: 'string', jsonPath: '.status.message', priority: 1 },
  ],
};
