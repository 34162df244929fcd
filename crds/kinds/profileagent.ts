import { Type, Enum, Obj, Quantity, StringMap, Tolerations, SecretKeyRef, PodPolicy, Duration, Resources, EndpointRules, Rules, statusBase, MapOf, type Static } from '../schema.js';
import type { KindDefinition, CustomResource } from '../definition.js';

const Endpoint = (what: string, secretKey: string) =>
  Obj(
    {
      deploy: Type.Boolean({ default: true, description: `Deploy an in-cluster ${what} owned by this ProfileAgent; false: use endpoint.` }),
      endpoint: Type.Optional(Type.String({ minLength: 1, description: `Address of an existing ${what}: required when deploy is false, not allowed when true.` })),
      credentialsSecretRef: Type.Optional(SecretKeyRef(`Secret with the ${what} credentials.`, secretKey)),
    },
    { description: `Where the ${what} is.`, default: { deploy: true }, ...Rules(...EndpointRules(what)) },
  );

export const ProfileAgentSpec = Obj(
  {
    frequencyHz: Type.Integer({ default: 99, minimum: 1, maximum: 1000, description: 'Sampling frequency per CPU.' }),
    events: Type.Array(Enum(['cpu-clock', 'cycles'] as const, { description: 'A perf event.' }), {
      default: ['cpu-clock'],
      minItems: 1,
      'x-kubernetes-list-type': 'set',
      description: 'perf events to sample on; cycles needs a hardware PMU and falls back to cpu-clock without one.',
    }),
    uploadIntervalSeconds: Type.Integer({ default: 60, minimum: 10, maximum: 3600, description: 'One profile per pod per interval is uploaded.' }),
    selector: Obj(
      {
        namespaces: Type.Optional(Type.Array(Type.String({ description: 'A namespace name.' }), { description: 'Profile pods in these namespaces; empty: all.' })),
        podLabels: Type.Optional(StringMap('Profile only pods with these labels.')),
      },
      { description: 'Which workloads to profile (default: all).', default: {} },
    ),
    agent: Obj(
      {
        resources: Resources('each agent', { memoryRequest: '256Mi', memoryLimit: '512Mi', cpuRequest: '100m' }),
        nodeSelector: Type.Optional(StringMap('Run agents only on nodes with these labels.')),
        tolerations: Type.Optional(Tolerations('Tolerations for agents.')),
      },
      { description: 'The node agent DaemonSet.', default: {} },
    ),
    storage: Obj(
      {
        replicas: Type.Integer({ default: 2, minimum: 1, maximum: 64, description: 'Storage proxy replicas.' }),
        clickhouse: Endpoint('ClickHouse', 'password'),
        postgres: Endpoint('PostgreSQL', 'password'),
        s3: Obj(
          {
            deploy: Type.Boolean({ default: true, description: 'Deploy an in-cluster S3 owned by this ProfileAgent; false: use endpoint.' }),
            endpoint: Type.Optional(Type.String({ minLength: 1, description: 'S3 endpoint URL: required when deploy is false, not allowed when true.' })),
            bucket: Type.String({ default: 'loupe-profiles', pattern: '^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$', description: 'Bucket for profiles and binaries.' }),
            credentialsSecretRef: Type.Optional(SecretKeyRef('Secret with accessKey/secretKey.', 'secretKey')),
          },
          { description: 'Where profile and binary blobs go.', default: { deploy: true }, ...Rules(...EndpointRules('S3')) },
        ),
      },
      { description: 'The storage proxy and its stores.', default: {} },
    ),
    retention: Obj(
      {
        profiles: Duration({ default: '14d', description: 'How long profiles are kept.' }),
        binaries: Duration({ default: '60d', description: 'How long unused binaries are kept.' }),
      },
      { description: 'Garbage collection.', default: {} },
    ),
    symbolizer: Obj(
      {
        replicas: Type.Integer({ default: 1, minimum: 1, maximum: 64, description: 'Symbolizer replicas.' }),
        cacheSize: Quantity({ default: '1Gi', description: 'Symbolization cache size.' }),
      },
      { description: 'The symbolizer.', default: {} },
    ),
    sampling: Obj({ modulo: Type.Integer({ default: 1, minimum: 1, description: 'Keep one profile in every N uploads.' }) }, { description: 'Upload sampling.', default: {} }),
    binaryUpload: Obj(
      {
        enabled: Type.Boolean({ default: true, description: 'Upload executables (once per build-id) for offline symbolization.' }),
        concurrency: Type.Integer({ default: 2, minimum: 1, maximum: 32, description: 'Parallel binary uploads per agent.' }),
      },
      { description: 'Binary upload.', default: {} },
    ),
    version: Type.Optional(Type.String({ description: 'Loupe version (image tag); unset: the operator version.' })),
    registry: Type.Optional(Type.String({ description: 'Image registry for every image; unset: the default registry.' })),
    podPolicy: PodPolicy,
    paused: Type.Boolean({ default: false, description: 'Stop reconciling children until unpaused.' }),
  },
  { description: 'Desired state of the continuous-profiling pipeline.' },
);
export type ProfileAgentSpec = Static<typeof ProfileAgentSpec>;

export const ProfileAgentStatus = statusBase(['Pending', 'Healthy', 'Degraded', 'Failed', 'Paused'] as const, {
  agents: Type.Optional(Type.String({ description: 'Ready/desired agents.' })),
  components: Type.Optional(MapOf(Obj({ ready: Type.Integer({ minimum: 0, description: 'Ready pods.' }), desired: Type.Integer({ minimum: 0, description: 'Desired pods.' }) }, { description: 'Readiness of one component.' }), { description: 'Per-component readiness.' })),
});
export type ProfileAgent = CustomResource<ProfileAgentSpec, Static<typeof ProfileAgentStatus>>;

export const ProfileAgentDefinition: KindDefinition = {
  kind: 'ProfileAgent',
  plural: 'profileagents',
  singular: 'profileagent',
  shortNames: ['pa'],
  description: 'A ProfileAgent runs fleet-wide continuous CPU profiling: node agents, storage proxy, symbolizer and their stores.',
  spec: ProfileAgentSpec,
  status: ProfileAgentStatus,
  printerColumns: [
    { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
    { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
    { name: 'Agents', type: 'string', jsonPath: '.status.agents' },
    { name: 'Hz', type: 'integer', jsonPath: '.spec.frequencyHz' },
  ],
};
