import { Type, Enum, Obj, SecretKeyRef, StringMap, Duration, Rules, statusBase, type Static } from '../schema.js';
import type { KindDefinition, CustomResource } from '../definition.js';

export const PluginSpec = Obj(
  {
    type: Enum(['otlp', 'clickhouse'] as const, { description: 'Kind of export destination.' }),
    endpoint: Type.String({ minLength: 1, description: 'Destination address, e.g. otel-collector.observability:4317 or http://clickhouse:8123.' }),
    headersSecretRef: Type.Optional(Obj({ name: Type.String({ minLength: 1, description: 'Secret name; each key becomes a header.' }) }, { description: 'Secret whose keys/values are sent as headers (API keys).' })),
    tls: Type.Optional(
      Obj(
        {
          caSecretRef: Type.Optional(SecretKeyRef('CA bundle for the endpoint.', 'ca.crt')),
          clientCertSecretRef: Type.Optional(Obj({ name: Type.String({ minLength: 1, description: 'kubernetes.io/tls Secret name.' }) }, { description: 'Client certificate (mTLS).' })),
        },
        { description: 'TLS settings.' },
      ),
    ),
    insecure: Type.Boolean({ default: false, description: 'Plaintext connection (no TLS); not with tls.' }),
    presetScripts: Type.Array(Type.String({ minLength: 1, description: 'A preset script name.' }), { default: [], description: 'Preset retention scripts this plugin enables (e.g. http-metrics, network-stats).' }),
    exportInterval: Duration({ default: '10s', description: 'How often preset scripts export.' }),
    vizierSelector: Type.Optional(Obj({ matchLabels: Type.Optional(StringMap('Labels a Vizier must have.')) }, { description: 'Viziers this plugin applies to (default: all in the namespace).' })),
  },
  {
    description: 'An export destination and the retention scripts it enables.',
    ...Rules({
      rule: '!self.insecure || !has(self.tls)',
      message: 'insecure is true (plaintext), so tls would be ignored: remove tls, or set insecure false to connect over TLS',
      fieldPath: '.tls',
      reason: 'FieldValueForbidden',
    }),
  },
);

export const PluginStatus = statusBase(['Pending', 'Ready', 'Failing'] as const, {
  managedScripts: Type.Optional(Type.Array(Type.String(), { description: 'CronScripts managed for this plugin.' })),
  lastExportTime: Type.Optional(Type.String({ format: 'date-time', description: 'Last successful export.' })),
  exportErrors: Type.Optional(Type.Integer({ minimum: 0, description: 'Failed exports since the last success.' })),
});
export type Plugin = CustomResource<Static<typeof PluginSpec>, Static<typeof PluginStatus>>;

export const PluginDefinition: KindDefinition = {
  kind: 'Plugin',
  plural: 'plugins',
  singular: 'plugin',
  shortNames: ['lplugin'],
  description: 'A Plugin is an export destination (OTLP, ClickHouse) plus the preset retention scripts it enables.',
  spec: PluginSpec,
  status: PluginStatus,
  selectableFields: ['.spec.type'],
  printerColumns: [
    { name: 'Type', type: 'string', jsonPath: '.spec.type' },
    { name: 'Endpoint', type: 'string', jsonPath: '.spec.endpoint' },
    { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
  ],
};
