import { Type, Enum, Obj, SecretKeyRef, PodPolicy, EndpointRules, Rules, statusBase, MapOf, type Static } from '../schema.js';
import type { KindDefinition, CustomResource } from '../definition.js';

export const CLOUD_MODULES = ['api', 'auth', 'vzconn', 'vzmgr', 'artifacts', 'config', 'cron', 'indexer', 'plugin', 'profile', 'console'] as const;

const Dependency = (what: string) =>
  Obj(
    {
      deploy: Type.Boolean({ default: true, description: `Deploy an in-cluster ${what}; false: use endpoint.` }),
      endpoint: Type.Optional(Type.String({ minLength: 1, description: `Address of an existing ${what}: required when deploy is false, not allowed when true.` })),
      credentialsSecretRef: Type.Optional(SecretKeyRef(`Secret with ${what} credentials.`, 'password')),
    },
    { description: `The ${what} the cloud uses.`, default: { deploy: true }, ...Rules(...EndpointRules(what)) },
  );

export const CloudSpec = Obj(
  {
    replicas: Type.Integer({ default: 1, minimum: 1, maximum: 32, description: 'Replicas of each stateless service.' }),
    modules: Type.Array(Enum(CLOUD_MODULES, { description: 'A cloud service.' }), { default: [...CLOUD_MODULES], 'x-kubernetes-list-type': 'set', description: 'Services to run (default: all).' }),
    postgres: Dependency('PostgreSQL'),
    nats: Dependency('NATS'),
    auth: Obj(
      { apiKeySecretRefs: Type.Array(SecretKeyRef('A Secret holding an API key.', 'api-key'), { default: [], description: 'API keys accepted by the API.' }) },
      { description: 'Authentication.', default: {} },
    ),
    console: Obj(
      {
        enabled: Type.Boolean({ default: true, description: 'Serve the read-only web console.' }),
        ingress: Type.Optional(Obj({ host: Type.String({ minLength: 1, description: 'Ingress host.' }), className: Type.Optional(Type.String({ description: 'IngressClass.' })) }, { description: 'Expose the console through an Ingress (needs enabled).' })),
      },
      {
        description: 'The web console.',
        default: {},
        ...Rules({
          rule: 'self.enabled || !has(self.ingress)',
          message: 'ingress is set but enabled is false, so there is no console to expose: set enabled true, or remove ingress',
          fieldPath: '.ingress',
          reason: 'FieldValueForbidden',
        }),
      },
    ),
    version: Type.Optional(Type.String({ description: 'Loupe version; unset: the operator version.' })),
    registry: Type.Optional(Type.String({ description: 'Image registry for every image.' })),
    podPolicy: PodPolicy,
  },
  { description: 'Desired state of the Loupe cloud (control plane).' },
);

export const CloudStatus = statusBase(['Pending', 'Healthy', 'Degraded', 'Failed'] as const, {
  components: Type.Optional(MapOf(Obj({ ready: Type.Integer({ minimum: 0, description: 'Ready pods.' }), desired: Type.Integer({ minimum: 0, description: 'Desired pods.' }) }, { description: 'Readiness of one component.' }), { description: 'Per-service readiness.' })),
  consoleURL: Type.Optional(Type.String({ description: 'Where the console is served.' })),
});
export type Cloud = CustomResource<Static<typeof CloudSpec>, Static<typeof CloudStatus>>;

export const CloudDefinition: KindDefinition = {
  kind: 'Cloud',
  plural: 'clouds',
  singular: 'cloud',
  shortNames: ['lcloud'],
  description: 'A Cloud runs Loupe\'s control-plane services and web console.',
  spec: CloudSpec,
  status: CloudStatus,
  printerColumns: [
    { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
    { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
    { name: 'Console', type: 'string', jsonPath: '.status.consoleURL' },
  ],
};
