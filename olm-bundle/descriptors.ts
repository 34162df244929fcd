// What the OLM console shows and offers in its form for each Loupe kind: the fields picked here
// (the ones most installs set, and the status a user reads), each with the widget its schema
// type calls for. Paths and types come from the CRD schema, so a renamed field fails the
// generator instead of leaving a descriptor that points at nothing.

/** A descriptor as a ClusterServiceVersion carries it. */
export interface Descriptor {
  path: string;
  displayName: string;
  description: string;
  'x-descriptors': string[];
}

interface Pick {
  readonly path: string;
  readonly displayName: string;
  /** A name field of a reference to a core object: the console offers the existing ones. */
  readonly refersTo?: 'Secret' | 'ConfigMap';
}

const UI = 'urn:alm:descriptor:com.tectonic.ui';
export const X = {
  text: `${UI}:text`,
  number: `${UI}:number`,
  podCount: `${UI}:podCount`,
  booleanSwitch: `${UI}:booleanSwitch`,
  select: (value: string) => `${UI}:select:${value}`,
  fieldGroup: (group: string) => `${UI}:fieldGroup:${group}`,
  object: (kind: string) => `urn:alm:descriptor:io.kubernetes:${kind}`,
  conditions: 'urn:alm:descriptor:io.kubernetes.conditions',
  phase: 'urn:alm:descriptor:io.kubernetes.phase',
  phaseReason: 'urn:alm:descriptor:io.kubernetes.phase:reason',
  statusText: 'urn:alm:descriptor:text',
  link: 'urn:alm:descriptor:org.w3:link',
} as const;

const SPEC: Record<string, readonly Pick[]> = {
  Vizier: [
    { path: 'version', displayName: 'Version' },
    { path: 'registry', displayName: 'Image registry' },
    { path: 'clusterName', displayName: 'Cluster name' },
    { path: 'dataAccess', displayName: 'Data access' },
    { path: 'pem.resources.memoryRequest', displayName: 'PEM memory request' },
    { path: 'pem.resources.memoryLimit', displayName: 'PEM memory limit' },
    { path: 'pem.tableStorePercent', displayName: 'Table store share of PEM memory (%)' },
    { path: 'pem.dataRetention', displayName: 'PEM data retention' },
    { path: 'pem.traceRoles', displayName: 'Traced sides' },
    { path: 'kelvin.replicas', displayName: 'Kelvin replicas' },
    { path: 'metadata.storage', displayName: 'Metadata storage' },
    { path: 'cloud.address', displayName: 'Cloud address' },
    { path: 'cloud.deployKeySecretRef.name', displayName: 'Cloud deploy key Secret', refersTo: 'Secret' },
    { path: 'updateTimeoutSeconds', displayName: 'Update timeout (seconds)' },
    { path: 'paused', displayName: 'Paused' },
  ],
  ProfileAgent: [
    { path: 'frequencyHz', displayName: 'Sampling frequency (Hz)' },
    { path: 'uploadIntervalSeconds', displayName: 'Upload interval (seconds)' },
    { path: 'storage.replicas', displayName: 'Storage proxy replicas' },
    { path: 'storage.s3.bucket', displayName: 'S3 bucket' },
    { path: 'retention.profiles', displayName: 'Profile retention' },
    { path: 'retention.binaries', displayName: 'Binary retention' },
    { path: 'symbolizer.replicas', displayName: 'Symbolizer replicas' },
    { path: 'binaryUpload.enabled', displayName: 'Upload binaries' },
    { path: 'paused', displayName: 'Paused' },
  ],
  CronScript: [
    { path: 'vizierRef.name', displayName: 'Vizier' },
    { path: 'schedule', displayName: 'Schedule' },
    { path: 'frequency', displayName: 'Frequency' },
    { path: 'scriptRef.name', displayName: 'Script ConfigMap', refersTo: 'ConfigMap' },
    { path: 'scriptRef.key', displayName: 'Script ConfigMap key' },
    { path: 'timeout', displayName: 'Timeout' },
    { path: 'historyLimit', displayName: 'Runs kept' },
    { path: 'suspend', displayName: 'Suspend' },
  ],
  Plugin: [
    { path: 'type', displayName: 'Type' },
    { path: 'endpoint', displayName: 'Endpoint' },
    { path: 'headersSecretRef.name', displayName: 'Headers Secret', refersTo: 'Secret' },
    { path: 'insecure', displayName: 'Plaintext (no TLS)' },
    { path: 'exportInterval', displayName: 'Export interval' },
  ],
  SymbolizationJob: [
    { path: 'profileAgentRef.name', displayName: 'ProfileAgent' },
    { path: 'selector', displayName: 'Selector' },
    { path: 'last', displayName: 'Last' },
    { path: 'format', displayName: 'Format' },
    { path: 'maxProfiles', displayName: 'Maximum profiles' },
    { path: 'ttlSecondsAfterFinished', displayName: 'TTL after finished (seconds)' },
  ],
  Cloud: [
    { path: 'replicas', displayName: 'Replicas' },
    { path: 'version', displayName: 'Version' },
    { path: 'registry', displayName: 'Image registry' },
    { path: 'postgres.deploy', displayName: 'Deploy PostgreSQL' },
    { path: 'nats.deploy', displayName: 'Deploy NATS' },
    { path: 'console.enabled', displayName: 'Console' },
    { path: 'console.ingress.host', displayName: 'Console host' },
  ],
};

/** The status every kind shares (crds/schema.ts statusBase), then each kind's own. */
const STATUS_COMMON: readonly Pick[] = [
  { path: 'phase', displayName: 'Phase' },
  { path: 'message', displayName: 'Message' },
  { path: 'conditions', displayName: 'Conditions' },
];
const STATUS: Record<string, readonly Pick[]> = {
  Vizier: [
    { path: 'version', displayName: 'Running version' },
    { path: 'pems', displayName: 'PEMs ready' },
  ],
  ProfileAgent: [{ path: 'agents', displayName: 'Agents ready' }],
  CronScript: [
    { path: 'lastRunTime', displayName: 'Last run' },
    { path: 'lastSuccessTime', displayName: 'Last success' },
    { path: 'lastError', displayName: 'Last error' },
  ],
  Plugin: [
    { path: 'lastExportTime', displayName: 'Last export' },
    { path: 'exportErrors', displayName: 'Export errors' },
  ],
  SymbolizationJob: [
    { path: 'profilesMerged', displayName: 'Profiles merged' },
    { path: 'resultLocation', displayName: 'Result' },
  ],
  Cloud: [{ path: 'consoleURL', displayName: 'Console' }],
};

export type SchemaNode = Record<string, unknown>;

/** The schema node at a dotted path below `root`, or undefined when a segment does not exist. */
export function schemaAt(root: SchemaNode, path: string): SchemaNode | undefined {
  let node: SchemaNode | undefined = root;
  for (const key of path.split('.')) {
    const props = node?.['properties'] as Record<string, SchemaNode> | undefined;
    node = props?.[key];
  }
  return node;
}

export class DescriptorError extends Error {
  override readonly name = 'DescriptorError';
}

function specWidgets(kind: string, pick: Pick, node: SchemaNode): string[] {
  const enumValues = node['enum'] as unknown[] | undefined;
  switch (node['type']) {
    case 'boolean':
      return [X.booleanSwitch];
    case 'integer':
    case 'number':
      return [pick.path.endsWith('replicas') ? X.podCount : X.number];
    case 'string':
      if (pick.refersTo) return [X.object(pick.refersTo)];
      return enumValues ? enumValues.map((v) => X.select(String(v))) : [X.text];
    default:
      throw new DescriptorError(`${kind} spec.${pick.path} is of type ${String(node['type'])}: olm-bundle/descriptors.ts offers only strings, numbers and booleans in the form; drop it or give it a widget`);
  }
}

function statusWidgets(pick: Pick, node: SchemaNode): string[] {
  if (pick.path === 'conditions') return [X.conditions];
  if (pick.path === 'phase') return [X.phase];
  if (pick.path === 'message') return [X.phaseReason];
  if (pick.path.endsWith('URL') || pick.path === 'resultLocation') return [X.link];
  return node['type'] === 'object' || node['type'] === 'array' ? [] : [X.statusText];
}

function describe(kind: string, part: 'spec' | 'status', picks: readonly Pick[], schema: SchemaNode, widgets: (pick: Pick, node: SchemaNode) => string[]): Descriptor[] {
  return picks.map((pick) => {
    const node = schemaAt(schema, pick.path);
    if (!node) throw new DescriptorError(`${kind} has no field ${part}.${pick.path}: update the ${part} descriptors in olm-bundle/descriptors.ts`);
    const description = node['description'];
    if (typeof description !== 'string' || description === '') throw new DescriptorError(`${kind} ${part}.${pick.path} has no description in crds/kinds/: the console shows it`);
    return { path: pick.path, displayName: pick.displayName, description, 'x-descriptors': widgets(pick, node) };
  });
}

function picksOf(table: Record<string, readonly Pick[]>, kind: string, part: 'spec' | 'status'): readonly Pick[] {
  const picks = table[kind];
  if (!picks) throw new DescriptorError(`olm-bundle/descriptors.ts picks no ${part} fields of ${kind}: add the ones the console should show`);
  return picks;
}

/** The spec descriptors of a kind, from its CRD's spec schema. */
export function specDescriptors(kind: string, specSchema: SchemaNode): Descriptor[] {
  return describe(kind, 'spec', picksOf(SPEC, kind, 'spec'), specSchema, (pick, node) => [
    ...(pick.path.includes('.') ? [X.fieldGroup(pick.path.split('.')[0]!)] : []),
    ...specWidgets(kind, pick, node),
  ]);
}

/** The status descriptors of a kind, from its CRD's status schema. */
export function statusDescriptors(kind: string, statusSchema: SchemaNode): Descriptor[] {
  return describe(kind, 'status', [...STATUS_COMMON, ...picksOf(STATUS, kind, 'status')], statusSchema, statusWidgets);
}
