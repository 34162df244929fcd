// One table of objects for the CRDs' validation rules, valid and invalid, each with the errors
// the API server gives in its own words. crds/rules.test.ts holds the TypeScript evaluator to
// it; e2e/crd-validation.test.ts holds a real API server to it, so the two agree case by case.

export interface RuleCase {
  readonly name: string;
  readonly kind: string;
  /** The spec as a user writes it (the server, and the tests, apply defaults first). */
  readonly spec: Record<string, unknown>;
  /** Every error, as `field: body`; empty for an object every rule accepts. */
  readonly errors: readonly string[];
}

const cron = (spec: Record<string, unknown>) => ({ vizierRef: { name: 'vizier' }, ...spec });
const job = (spec: Record<string, unknown>) => ({ profileAgentRef: { name: 'profiling' }, selector: '{service="checkout"}', ...spec });
const plugin = (spec: Record<string, unknown>) => ({ type: 'otlp', endpoint: 'otel-collector.observability.svc:4317', ...spec });
const mergePatch = { target: { kind: 'DaemonSet', component: 'pem' }, merge: { metadata: { labels: { team: 'platform' } } } };
const jsonOp = { op: 'add', path: '/metadata/labels/team', value: 'platform' };

export const RULE_CASES: readonly RuleCase[] = [
  // CronScript: exactly one of script and scriptRef, exactly one of schedule and frequency.
  { name: 'an inline script every minute', kind: 'CronScript', spec: cron({ script: 'import px', frequency: '1m' }), errors: [] },
  { name: 'a ConfigMap script on a cron schedule', kind: 'CronScript', spec: cron({ scriptRef: { name: 'scripts', key: 'stats.pxl' }, schedule: '*/5 * * * *' }), errors: [] },
  {
    name: 'no script and no scriptRef',
    kind: 'CronScript',
    spec: cron({ frequency: '1m' }),
    errors: ['spec.script: Required value: set script (the PxL inline) or scriptRef (a ConfigMap key holding it)'],
  },
  {
    name: 'both script and scriptRef',
    kind: 'CronScript',
    spec: cron({ script: 'import px', scriptRef: { name: 'scripts', key: 'stats.pxl' }, frequency: '1m' }),
    errors: ['spec.scriptRef: Forbidden: script and scriptRef are both set: keep one, script for the PxL inline or scriptRef for a ConfigMap key'],
  },
  {
    name: 'no schedule and no frequency',
    kind: 'CronScript',
    spec: cron({ script: 'import px' }),
    errors: ['spec.schedule: Required value: set schedule (a cron expression such as */5 * * * *) or frequency (a duration such as 5m)'],
  },
  {
    name: 'both schedule and frequency',
    kind: 'CronScript',
    spec: cron({ script: 'import px', schedule: '@hourly', frequency: '1m' }),
    errors: ['spec.frequency: Forbidden: schedule and frequency are both set: keep one, schedule for cron times or frequency for a fixed interval'],
  },
  {
    name: 'neither a script nor a schedule',
    kind: 'CronScript',
    spec: cron({}),
    errors: [
      'spec.script: Required value: set script (the PxL inline) or scriptRef (a ConfigMap key holding it)',
      'spec.schedule: Required value: set schedule (a cron expression such as */5 * * * *) or frequency (a duration such as 5m)',
    ],
  },

  // ProfileAgent: stores either deployed or reached at an endpoint; agent requests within limits.
  {
    name: 'external ClickHouse and PostgreSQL, in-cluster S3, agent requests within limits',
    kind: 'ProfileAgent',
    spec: {
      storage: { clickhouse: { deploy: false, endpoint: 'clickhouse.db:9000' }, postgres: { deploy: false, endpoint: 'postgres.db:5432' } },
      agent: { resources: { cpuRequest: '500m', cpuLimit: '1', memoryLimit: '1Gi' } },
    },
    errors: [],
  },
  {
    name: 'ClickHouse not deployed and no endpoint',
    kind: 'ProfileAgent',
    spec: { storage: { clickhouse: { deploy: false } } },
    errors: ['spec.storage.clickhouse.endpoint: Required value: deploy is false, so set endpoint to the address of your ClickHouse, or set deploy true to run one in-cluster'],
  },
  {
    name: 'a PostgreSQL endpoint while deploy stays true',
    kind: 'ProfileAgent',
    spec: { storage: { postgres: { endpoint: 'postgres.db:5432' } } },
    errors: [
      'spec.storage.postgres.endpoint: Forbidden: endpoint is set but deploy is true (the default), which runs an in-cluster PostgreSQL and ignores endpoint: set deploy false to use endpoint, or remove endpoint',
    ],
  },
  {
    name: 'S3 not deployed and no endpoint',
    kind: 'ProfileAgent',
    spec: { storage: { s3: { deploy: false, bucket: 'profiles' } } },
    errors: ['spec.storage.s3.endpoint: Required value: deploy is false, so set endpoint to the address of your S3, or set deploy true to run one in-cluster'],
  },
  {
    name: 'an agent memory limit below the default request',
    kind: 'ProfileAgent',
    spec: { agent: { resources: { memoryLimit: '128Mi' } } },
    errors: [
      'spec.agent.resources.memoryRequest: Invalid value: memoryRequest 256Mi is above memoryLimit 128Mi; a container cannot request more than its limit: lower memoryRequest (default 256Mi) or raise memoryLimit',
    ],
  },
  {
    name: 'an agent CPU request above its limit',
    kind: 'ProfileAgent',
    spec: { agent: { resources: { cpuRequest: '2', cpuLimit: '1500m' } } },
    errors: [
      'spec.agent.resources.cpuRequest: Invalid value: cpuRequest 2 is above cpuLimit 1500m; a container cannot request more than its limit: lower cpuRequest (default 100m) or raise cpuLimit',
    ],
  },

  // Cloud: PostgreSQL and NATS as for the ProfileAgent's stores; an Ingress needs the console.
  { name: 'an external PostgreSQL, in-cluster NATS, a console without Ingress', kind: 'Cloud', spec: { postgres: { deploy: false, endpoint: 'postgres.db:5432' }, console: { enabled: false } }, errors: [] },
  {
    name: 'NATS not deployed and no endpoint',
    kind: 'Cloud',
    spec: { nats: { deploy: false } },
    errors: ['spec.nats.endpoint: Required value: deploy is false, so set endpoint to the address of your NATS, or set deploy true to run one in-cluster'],
  },
  {
    name: 'a PostgreSQL endpoint while deploy is true',
    kind: 'Cloud',
    spec: { postgres: { deploy: true, endpoint: 'postgres.db:5432' } },
    errors: [
      'spec.postgres.endpoint: Forbidden: endpoint is set but deploy is true (the default), which runs an in-cluster PostgreSQL and ignores endpoint: set deploy false to use endpoint, or remove endpoint',
    ],
  },
  {
    name: 'an Ingress for a disabled console',
    kind: 'Cloud',
    spec: { console: { enabled: false, ingress: { host: 'loupe.example.internal' } } },
    errors: ['spec.console.ingress: Forbidden: ingress is set but enabled is false, so there is no console to expose: set enabled true, or remove ingress'],
  },

  {
    name: 'podPolicy requests above their limits',
    kind: 'Cloud',
    spec: { podPolicy: { resources: { memoryRequest: '2Gi', memoryLimit: '1Gi', cpuRequest: '1001m', cpuLimit: '1' } } },
    errors: [
      'spec.podPolicy.resources.memoryRequest: Invalid value: memoryRequest 2Gi is above memoryLimit 1Gi; a container cannot request more than its limit: lower memoryRequest or raise memoryLimit',
      'spec.podPolicy.resources.cpuRequest: Invalid value: cpuRequest 1001m is above cpuLimit 1; a container cannot request more than its limit: lower cpuRequest or raise cpuLimit',
    ],
  },

  // SymbolizationJob: from and to together, from before to; exactly one of from/to and last.
  { name: 'a fixed range', kind: 'SymbolizationJob', spec: job({ from: '2026-01-01T10:00:00Z', to: '2026-01-01T11:00:00Z' }), errors: [] },
  { name: 'the last hour', kind: 'SymbolizationJob', spec: job({ last: '1h' }), errors: [] },
  {
    name: 'from without to',
    kind: 'SymbolizationJob',
    spec: job({ from: '2026-01-01T10:00:00Z' }),
    errors: ['spec.to: Required value: from is set, so set to as well (the end of the range), or use last instead of both'],
  },
  {
    name: 'to without from',
    kind: 'SymbolizationJob',
    spec: job({ to: '2026-01-01T11:00:00Z' }),
    errors: ['spec.from: Required value: to is set, so set from as well (the start of the range), or use last instead of both'],
  },
  {
    name: 'to before from',
    kind: 'SymbolizationJob',
    spec: job({ from: '2026-01-01T11:00:00Z', to: '2026-01-01T10:00:00Z' }),
    errors: ['spec.to: Invalid value: to must be later than from; swap them if they are the wrong way round'],
  },
  {
    name: 'an empty range (to equals from, written with another offset)',
    kind: 'SymbolizationJob',
    spec: job({ from: '2026-01-01T10:00:00Z', to: '2026-01-01T11:00:00+01:00' }),
    errors: ['spec.to: Invalid value: to must be later than from; swap them if they are the wrong way round'],
  },
  {
    name: 'no range at all',
    kind: 'SymbolizationJob',
    spec: job({}),
    errors: ['spec.last: Required value: set last (a range ending now, e.g. 1h) or from and to (a fixed range)'],
  },
  {
    name: 'last and a fixed range',
    kind: 'SymbolizationJob',
    spec: job({ from: '2026-01-01T10:00:00Z', to: '2026-01-01T11:00:00Z', last: '1h' }),
    errors: ['spec.last: Forbidden: last and from/to are both set: keep last for a range ending now, or from and to for a fixed range'],
  },

  // Plugin: plaintext and TLS settings are a contradiction.
  { name: 'TLS with a CA', kind: 'Plugin', spec: plugin({ tls: { caSecretRef: { name: 'otel-ca' } } }), errors: [] },
  { name: 'plaintext', kind: 'Plugin', spec: plugin({ insecure: true }), errors: [] },
  {
    name: 'insecure with TLS settings',
    kind: 'Plugin',
    spec: plugin({ insecure: true, tls: { caSecretRef: { name: 'otel-ca' } } }),
    errors: ['spec.tls: Forbidden: insecure is true (plaintext), so tls would be ignored: remove tls, or set insecure false to connect over TLS'],
  },

  // Vizier: requests within limits, well-formed patches, CIDR blocks.
  {
    name: 'resources within limits, both kinds of patch, CIDR blocks of both families',
    kind: 'Vizier',
    spec: {
      pem: {
        resources: { memoryRequest: '1Gi', memoryLimit: '1536Mi', cpuRequest: '1', cpuLimit: '1000m' },
        clusterCIDRs: ['10.244.0.0/16', 'fd00:10:244::/56', '10.1.2.3/8'],
        serviceCIDRs: ['10.96.0.0/12'],
      },
      kelvin: { resources: { memoryLimit: '1Gi' } },
      podPolicy: { resources: { memoryRequest: '256Mi', memoryLimit: '256Mi' } },
      patches: [mergePatch, { target: { kind: 'Deployment' }, type: 'json', operations: [jsonOp, { op: 'copy', from: '/metadata/labels/team', path: '/metadata/labels/owner' }] }],
    },
    errors: [],
  },
  {
    name: 'a PEM memory request above its limit',
    kind: 'Vizier',
    spec: { pem: { resources: { memoryRequest: '4Gi', memoryLimit: '2Gi' } } },
    errors: [
      'spec.pem.resources.memoryRequest: Invalid value: memoryRequest 4Gi is above memoryLimit 2Gi; a container cannot request more than its limit: lower memoryRequest (default 2Gi) or raise memoryLimit',
    ],
  },
  {
    name: 'a PEM memory limit below the default request',
    kind: 'Vizier',
    spec: { pem: { resources: { memoryLimit: '1Gi' } } },
    errors: [
      'spec.pem.resources.memoryRequest: Invalid value: memoryRequest 2Gi is above memoryLimit 1Gi; a container cannot request more than its limit: lower memoryRequest (default 2Gi) or raise memoryLimit',
    ],
  },
  {
    name: 'a Kelvin CPU request above its limit',
    kind: 'Vizier',
    spec: { kelvin: { resources: { cpuLimit: '100m' } } },
    errors: [
      'spec.kelvin.resources.cpuRequest: Invalid value: cpuRequest 200m is above cpuLimit 100m; a container cannot request more than its limit: lower cpuRequest (default 200m) or raise cpuLimit',
    ],
  },
  {
    name: 'a podPolicy memory request above its limit',
    kind: 'Vizier',
    spec: { podPolicy: { resources: { memoryRequest: '1G', memoryLimit: '512Mi' } } },
    errors: [
      'spec.podPolicy.resources.memoryRequest: Invalid value: memoryRequest 1G is above memoryLimit 512Mi; a container cannot request more than its limit: lower memoryRequest or raise memoryLimit',
    ],
  },
  {
    name: 'a merge patch without merge',
    kind: 'Vizier',
    spec: { patches: [{ target: { kind: 'DaemonSet' } }] },
    errors: ['spec.patches[0].merge: Required value: type is merge (the default), so give the JSON merge patch in merge; for RFC 6902 operations set type json'],
  },
  {
    name: 'a merge patch with operations',
    kind: 'Vizier',
    spec: { patches: [{ ...mergePatch, operations: [jsonOp] }] },
    errors: ['spec.patches[0].operations: Forbidden: operations are read only with type json: set type json, or give the change as a JSON merge patch in merge'],
  },
  {
    name: 'a json patch without operations',
    kind: 'Vizier',
    spec: { patches: [mergePatch, { target: { kind: 'Deployment' }, type: 'json', operations: [] }] },
    errors: ['spec.patches[1].operations: Required value: type is json, so list the RFC 6902 operations in operations'],
  },
  {
    name: 'a json patch with merge',
    kind: 'Vizier',
    spec: { patches: [{ ...mergePatch, type: 'json', operations: [jsonOp] }] },
    errors: ['spec.patches[0].merge: Forbidden: merge is read only with type merge: set type merge, or give the change as RFC 6902 operations'],
  },
  {
    name: 'a move without from',
    kind: 'Vizier',
    spec: { patches: [{ target: { kind: 'Service' }, type: 'json', operations: [jsonOp, { op: 'move', path: '/metadata/labels/owner' }] }] },
    errors: ['spec.patches[0].operations[1].from: Required value: op move needs from, the JSON pointer of the value to move'],
  },
  {
    name: 'a CIDR with an impossible octet and one with a zero-padded prefix length',
    kind: 'Vizier',
    spec: { pem: { clusterCIDRs: ['10.244.0.0/16', '10.300.0.0/16'], serviceCIDRs: ['10.96.0.0/012'] } },
    errors: [
      'spec.pem.clusterCIDRs[1]: Invalid value: "10.300.0.0/16": not a CIDR block: write an IPv4 or IPv6 block such as 10.244.0.0/16 or fd00:10:244::/56, its prefix length without leading zeros',
      'spec.pem.serviceCIDRs[0]: Invalid value: "10.96.0.0/012": not a CIDR block: write an IPv4 or IPv6 block such as 10.244.0.0/16 or fd00:10:244::/56, its prefix length without leading zeros',
    ],
  },
  {
    name: 'an IPv4-mapped IPv6 block',
    kind: 'Vizier',
    spec: { pem: { serviceCIDRs: ['::ffff:10.96.0.0/108'] } },
    errors: [
      'spec.pem.serviceCIDRs[0]: Invalid value: "::ffff:10.96.0.0/108": not a CIDR block: write an IPv4 or IPv6 block such as 10.244.0.0/16 or fd00:10:244::/56, its prefix length without leading zeros',
    ],
  },
];
