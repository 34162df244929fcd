// The rules `operator-sdk bundle validate --select-optional suite=operatorframework` applies to a
// registry+v1 bundle (operator-framework/api's CSV, bundle, operatorhub, standard categories and
// capabilities, good-practices and deprecated-API validators, and operator-registry's bundle
// format checks), written again here, plus the few Loupe adds (alm-examples checked against their
// CRD, descriptors that fit their field). Each rule returns its problems, one sentence each,
// naming the file or field and what to change. Pure: the bundle comes in as its files.
import { gzipSync } from 'node:zlib';
import { Ajv } from 'ajv';
import { parseAllDocuments } from 'yaml';
import { applyDefaults } from '../crds/definition.js';
import { MIN_KUBE_VERSION } from '../crds/kube-versions.js';
import { ruleViolations, type Schema } from '../crds/rules.js';
import { schemaAt, X, type Descriptor, type SchemaNode } from './descriptors.js';
import { parseImageRef } from './image-ref.js';
import { CAPABILITY_LEVELS, STANDARD_CATEGORIES, SUPPORTED_KINDS, removedApis } from './olm-facts.js';
import { compareSemVer, inRange, parseSemVer, parseSemVerRange } from './semver.js';

type Obj = Record<string, unknown>;

export interface OwnedCrd {
  name?: string;
  version?: string;
  kind?: string;
  displayName?: string;
  description?: string;
  resources?: { name?: string; kind?: string; version?: string }[];
  specDescriptors?: Partial<Descriptor>[];
  statusDescriptors?: Partial<Descriptor>[];
}

export interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  verbs?: string[];
  resourceNames?: string[];
}

export interface Permission {
  serviceAccountName?: string;
  rules?: PolicyRule[];
}

interface Container {
  name?: string;
  image?: string;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
}

export interface InstallDeployment {
  name?: string;
  spec?: { template?: { spec?: { serviceAccountName?: string; containers?: Container[]; initContainers?: Container[] } } };
}

export interface Csv {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; annotations?: Record<string, string> };
  spec?: {
    version?: string;
    replaces?: string;
    displayName?: string;
    description?: string;
    minKubeVersion?: string;
    maturity?: string;
    keywords?: string[];
    provider?: { name?: string; url?: string };
    maintainers?: { name?: string; email?: string }[];
    links?: { name?: string; url?: string }[];
    icon?: { base64data?: string; mediatype?: string }[];
    installModes?: { type?: string; supported?: boolean }[];
    customresourcedefinitions?: { owned?: OwnedCrd[]; required?: OwnedCrd[] };
    install?: { strategy?: string; spec?: { deployments?: InstallDeployment[]; permissions?: Permission[]; clusterPermissions?: Permission[] } };
    relatedImages?: { name?: string; image?: string }[];
  };
}

export interface Crd {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string };
  spec?: {
    group?: string;
    names?: { kind?: string; plural?: string };
    versions?: { name?: string; served?: boolean; storage?: boolean; schema?: { openAPIV3Schema?: SchemaNode } }[];
  };
}

/** A bundle as the rules read it: its files, every manifest parsed, its annotations. */
export interface LoadedBundle {
  /** Every file, relative to the bundle folder ("manifests/x.yaml"). */
  paths: string[];
  /** Each manifest file with the objects it holds. */
  manifests: { file: string; objects: Obj[] }[];
  /** metadata/annotations.yaml's `annotations`. */
  annotations?: Record<string, unknown>;
  /** Files that do not parse, with the parser's message. */
  unreadable: string[];
  /** Size of the manifests, gzip-compressed as OLM stores them. */
  gzipBytes: number;
}

export function loadBundle(files: ReadonlyMap<string, string>): LoadedBundle {
  const out: LoadedBundle = { paths: [...files.keys()].sort(), manifests: [], unreadable: [], gzipBytes: 0 };
  for (const [file, text] of files) {
    const docs = parseAllDocuments(text);
    const errors = (Array.isArray(docs) ? docs : [docs]).flatMap((d) => d.errors.map((e) => e.message));
    if (!Array.isArray(docs) || errors.length) {
      out.unreadable.push(`${file}: ${errors[0] ?? 'not YAML'}`);
      continue;
    }
    const objects = docs.map((d) => d.toJS() as unknown).filter((o): o is Obj => o !== null && typeof o === 'object');
    if (file.startsWith('manifests/')) out.manifests.push({ file, objects });
    if (file === 'metadata/annotations.yaml') out.annotations = (objects[0]?.['annotations'] as Record<string, unknown> | undefined) ?? {};
  }
  out.manifests.sort((a, b) => a.file.localeCompare(b.file));
  out.gzipBytes = gzipSync([...files].filter(([f]) => f.startsWith('manifests/')).map(([, t]) => t).join('')).length;
  return out;
}

export const csvOf = (b: LoadedBundle): Csv | undefined => b.manifests.flatMap((m) => m.objects).find((o) => o['kind'] === 'ClusterServiceVersion') as Csv | undefined;
export const crdsOf = (b: LoadedBundle): Crd[] => b.manifests.flatMap((m) => m.objects).filter((o) => o['kind'] === 'CustomResourceDefinition') as Crd[];

export interface Rule<T> {
  readonly id: string;
  /** Where the rule comes from: the validator (and its check) it restates, or "loupe". */
  readonly source: string;
  readonly description: string;
  check(subject: T): string[];
}

const ANNOTATION = {
  mediatype: 'operators.operatorframework.io.bundle.mediatype.v1',
  manifests: 'operators.operatorframework.io.bundle.manifests.v1',
  metadata: 'operators.operatorframework.io.bundle.metadata.v1',
  package: 'operators.operatorframework.io.bundle.package.v1',
  channels: 'operators.operatorframework.io.bundle.channels.v1',
  defaultChannel: 'operators.operatorframework.io.bundle.channel.default.v1',
} as const;

/** The channels annotations.yaml declares. */
export const bundleChannels = (b: LoadedBundle): string[] =>
  String(b.annotations?.[ANNOTATION.channels] ?? '')
    .split(',')
    .map((c) => c.trim())
    .filter((c) => c !== '');

/** OLM's limit: a bundle is unpacked into one ConfigMap, about 1 MiB. */
export const MAX_BUNDLE_GZIP_BYTES = 1 << 20;

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const EMAIL = /^[^\s@<>()[\]\\,;:"]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/;
/** Annotation keys OLM reads with this exact case. */
const CASE_SENSITIVE_ANNOTATIONS = ['olm.operatorGroup', 'olm.operatorNamespace', 'olm.targetNamespaces', 'olm.providedAPIs', 'olm.skipRange'];
const ICON_TYPES = ['image/gif', 'image/jpeg', 'image/png', 'image/svg+xml'];
const INSTALL_MODES = ['OwnNamespace', 'SingleNamespace', 'MultiNamespace', 'AllNamespaces'];
/** The one OLM may use for Loupe: see csv.ts. */
const SUPPORTED_INSTALL_MODE = 'AllNamespaces';
/** OperatorHub shows this many characters of the short description on a tile. */
export const TILE_DESCRIPTION_MAX = 135;

/** Checks that need the CSV report its absence once, in the rule that requires it. */
const withCsv = (b: LoadedBundle, check: (csv: Csv) => string[]): string[] => {
  const csv = csvOf(b);
  return csv ? check(csv) : [];
};

const deploymentsOf = (csv: Csv) => csv.spec?.install?.spec?.deployments ?? [];
const containersOf = (d: InstallDeployment) => [...(d.spec?.template?.spec?.initContainers ?? []), ...(d.spec?.template?.spec?.containers ?? [])];
const permissionsOf = (csv: Csv): [string, Permission[]][] => [
  ['permissions', csv.spec?.install?.spec?.permissions ?? []],
  ['clusterPermissions', csv.spec?.install?.spec?.clusterPermissions ?? []],
];
/** Every rule the CSV grants, with the field and the account it is granted to. */
const grantsOf = (csv: Csv) =>
  permissionsOf(csv).flatMap(([field, ps]) => ps.flatMap((p) => (p.rules ?? []).map((rule) => ({ rule, who: `${field} for ${p.serviceAccountName}` }))));
const ownedOf = (csv: Csv) => csv.spec?.customresourcedefinitions?.owned ?? [];
/** The group of an owned CRD entry: its name is plural.group. */
const groupOf = (owned: OwnedCrd) => (owned.name ?? '').slice((owned.name ?? '').indexOf('.') + 1);
const gvk = (group: string | undefined, version: string | undefined, kind: string | undefined) => `${group}/${version}, Kind=${kind}`;

function crdSchemaOf(b: LoadedBundle, group: string, version: string, kind: string): SchemaNode | undefined {
  const crd = crdsOf(b).find((c) => c.spec?.group === group && c.spec?.names?.kind === kind);
  return crd?.spec?.versions?.find((v) => v.name === version)?.schema?.openAPIV3Schema;
}

/** Every spec and status descriptor of the owned CRDs whose schema the bundle has, with the schema node it names (if any). */
function descriptorsOf(b: LoadedBundle, csv: Csv) {
  return ownedOf(csv).flatMap((o) => {
    const schema = crdSchemaOf(b, groupOf(o), o.version ?? '', o.kind ?? '');
    if (!schema) return [];
    return (['spec', 'status'] as const).flatMap((part) =>
      ((part === 'spec' ? o.specDescriptors : o.statusDescriptors) ?? []).map((d) => ({ kind: o.kind, part, d, node: d.path ? schemaAt(schema, `${part}.${d.path}`) : undefined })),
    );
  });
}

function parseExamples(csv: Csv): Obj[] | string {
  const raw = csv.metadata?.annotations?.['alm-examples'];
  if (raw === undefined) return 'metadata.annotations has no alm-examples: add one example per owned CRD';
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (err) {
    return `alm-examples is not JSON: ${(err as Error).message}`;
  }
  if (!Array.isArray(parsed) || parsed.some((e) => !e || typeof e !== 'object')) return 'alm-examples must be a JSON array of objects';
  return parsed as Obj[];
}

function exampleGvk(e: Obj): string {
  const [group, version] = String(e['apiVersion'] ?? '').includes('/') ? String(e['apiVersion']).split('/') : ['', String(e['apiVersion'] ?? '')];
  return gvk(group, version, String(e['kind'] ?? ''));
}

/** x-descriptors the console knows, each with the schema types it fits. */
function widgetProblem(xd: string, node: SchemaNode): string | undefined {
  const type = node['type'];
  const fits = (types: string[], what: string) => (types.includes(String(type)) ? undefined : `${xd} needs ${what}, the field is ${String(type)}`);
  if (xd === X.booleanSwitch || xd === `${'urn:alm:descriptor:com.tectonic.ui'}:checkbox`) return fits(['boolean'], 'a boolean');
  if (xd === X.number || xd === X.podCount) return fits(['integer', 'number'], 'a number');
  if (xd === X.text || xd === X.phaseReason || xd === X.link) return fits(['string'], 'a string');
  if (xd === X.statusText) return fits(['string', 'integer', 'number', 'boolean'], 'a scalar');
  if (xd === X.conditions) return fits(['array'], 'an array of conditions');
  if (xd === X.phase) return fits(['string'], 'a string');
  if (xd.startsWith('urn:alm:descriptor:io.kubernetes:')) return fits(['string'], 'an object name (string)');
  if (xd.startsWith(X.select(''))) {
    const value = xd.slice(X.select('').length);
    const values = (node['enum'] as unknown[] | undefined)?.map(String);
    return values?.includes(value) ? undefined : `${xd}: "${value}" is not one of the field's values (${values?.join(', ') ?? 'it has no enum'})`;
  }
  if (xd.startsWith(X.fieldGroup(''))) return undefined;
  return `${xd} is not an x-descriptor this bundle knows (olm-bundle/descriptors.ts)`;
}

/** Fields the schema does not declare: the API server's strict field validation (kubectl's default) refuses them. */
function unknownFields(schema: SchemaNode, value: unknown, path: string): string[] {
  if (schema['x-kubernetes-preserve-unknown-fields'] === true || value === null || typeof value !== 'object') return [];
  if (Array.isArray(value)) {
    const items = schema['items'] as SchemaNode | undefined;
    return items ? value.flatMap((v, i) => unknownFields(items, v, `${path}[${i}]`)) : [];
  }
  const props = schema['properties'] as Record<string, SchemaNode> | undefined;
  const addl = schema['additionalProperties'];
  return Object.entries(value as Obj).flatMap(([k, v]) => {
    const sub = props?.[k] ?? (addl && typeof addl === 'object' ? (addl as SchemaNode) : undefined);
    if (sub) return unknownFields(sub, v, `${path}.${k}`);
    return props && !(path === '' && ['apiVersion', 'kind', 'metadata'].includes(k)) ? [`${path}.${k}: unknown field`] : [];
  });
}

const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false });
const compiled = new Map<string, ReturnType<typeof ajv.compile>>();
/** The schema's validator, compiled once per distinct schema. */
function validatorOf(schema: SchemaNode): ReturnType<typeof ajv.compile> {
  const key = JSON.stringify(schema);
  let validate = compiled.get(key);
  if (!validate) compiled.set(key, (validate = ajv.compile(schema)));
  return validate;
}

function semverProblem(field: string, value: string | undefined): string | undefined {
  if (value === undefined || value === '') return `${field} is not set`;
  return parseSemVer(value) ? undefined : `${field} "${value}" is not a semantic version (MAJOR.MINOR.PATCH, no leading "v")`;
}

function urlProblem(what: string, url: string | undefined): string | undefined {
  if (!url) return `${what} has no url`;
  try {
    const u = new URL(url);
    return u.protocol === 'https:' || u.protocol === 'http:' ? undefined : `${what} url "${url}" is not http(s)`;
  } catch {
    return `${what} url "${url}" is not an absolute URL`;
  }
}

/** What the decoded icon data is, from its first bytes. */
function sniffImage(data: Buffer): string | undefined {
  if (data.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (data[0] === 0xff && data[1] === 0xd8 && data[2] === 0xff) return 'image/jpeg';
  if (data.subarray(0, 4).toString('latin1') === 'GIF8') return 'image/gif';
  const text = data.toString('utf8').replace(/^\s*(<\?xml[^>]*>\s*)?(<!--[\s\S]*?-->\s*)*/, '');
  return /^<svg[\s>]/.test(text) && /<\/svg>\s*$/.test(text) ? 'image/svg+xml' : undefined;
}

export const BUNDLE_RULES: readonly Rule<LoadedBundle>[] = [
  {
    id: 'format/layout',
    source: 'operator-registry ValidateBundleFormat; operator-framework/api bundle loader',
    description: 'the bundle holds manifests/ and metadata/ and nothing else, no folders inside them, every file parses',
    check: (b) => {
      const out = [...b.unreadable.map((u) => `${u}: fix the YAML`)];
      for (const dir of ['manifests', 'metadata']) if (!b.paths.some((p) => p.startsWith(`${dir}/`))) out.push(`the bundle has no ${dir}/ folder`);
      for (const p of b.paths) {
        const parts = p.split('/');
        if (parts.length !== 2 || !['manifests', 'metadata'].includes(parts[0]!)) out.push(`${p}: a bundle holds files directly in manifests/ and metadata/ only`);
        else if (parts[1]!.startsWith('.')) out.push(`${p}: hidden files are not allowed in a bundle`);
      }
      return out;
    },
  },
  {
    id: 'format/annotations',
    source: 'operator-registry validateAnnotations',
    description: 'metadata/annotations.yaml names mediatype registry+v1, manifests/, metadata/, the package, its channels and a default channel among them',
    check: (b) => {
      const a = b.annotations;
      if (!a) return ['metadata/annotations.yaml is missing or has no annotations'];
      const out: string[] = [];
      const want: [string, string][] = [
        [ANNOTATION.mediatype, 'registry+v1'],
        [ANNOTATION.manifests, 'manifests/'],
        [ANNOTATION.metadata, 'metadata/'],
      ];
      for (const [key, value] of want) if (a[key] !== value) out.push(`annotation ${key} is ${JSON.stringify(a[key])}, expected "${value}"`);
      if (typeof a[ANNOTATION.package] !== 'string' || a[ANNOTATION.package] === '') out.push(`annotation ${ANNOTATION.package} must name the package`);
      const channels = bundleChannels(b);
      if (channels.length === 0) out.push(`annotation ${ANNOTATION.channels} must list at least one channel`);
      const def = a[ANNOTATION.defaultChannel];
      if (def !== undefined && (typeof def !== 'string' || !channels.includes(def))) out.push(`default channel ${JSON.stringify(def)} is not among the channels (${channels.join(', ')})`);
      return out;
    },
  },
  {
    id: 'format/kinds',
    source: 'operator-registry ValidateBundleContent, supported_resources.go',
    description: 'each manifest file holds one object of a kind a registry+v1 bundle may carry, and exactly one is the ClusterServiceVersion',
    check: (b) => {
      const out: string[] = [];
      for (const m of b.manifests) {
        if (m.objects.length !== 1) out.push(`${m.file} holds ${m.objects.length} objects: OLM reads only the first, put each in its own file`);
        for (const o of m.objects) if (!SUPPORTED_KINDS.has(String(o['kind']))) out.push(`${m.file}: kind ${String(o['kind'])} cannot be shipped in a registry+v1 bundle`);
      }
      const csvs = b.manifests.flatMap((m) => m.objects).filter((o) => o['kind'] === 'ClusterServiceVersion').length;
      if (csvs !== 1) out.push(`the bundle has ${csvs} ClusterServiceVersions, it needs exactly one`);
      return out;
    },
  },
  {
    id: 'format/crd-api',
    source: 'operator-registry ValidateBundleContent (unsupported CRD api version); deprecation guide (v1beta1 removed in 1.22)',
    description: 'every CRD is apiextensions.k8s.io/v1',
    check: (b) => crdsOf(b).filter((c) => c.apiVersion !== 'apiextensions.k8s.io/v1').map((c) => `CRD ${c.metadata?.name} is ${c.apiVersion}: ship apiextensions.k8s.io/v1`),
  },
  {
    id: 'bundle/size',
    source: 'operator-framework/api validateBundleSize',
    description: 'the manifests, gzip-compressed, fit in the ConfigMap OLM unpacks a bundle into (1 MiB)',
    check: (b) => (b.gzipBytes > MAX_BUNDLE_GZIP_BYTES ? [`the manifests compress to ${b.gzipBytes} bytes, over OLM's ${MAX_BUNDLE_GZIP_BYTES}: trim descriptions or examples`] : []),
  },
  {
    id: 'csv/name',
    source: 'operator-framework/api validateCSV (parseCSVNameFormat)',
    description: 'metadata.name and spec.replaces are DNS-1123 subdomains of at most 63 characters (they become label values)',
    check: (b) =>
      withCsv(b, (csv) =>
        (
          [
            ['metadata.name', csv.metadata?.name],
            ['spec.replaces', csv.spec?.replaces],
          ] as const
        )
          .filter(([field, v]) => v !== undefined || field === 'metadata.name')
          .filter(([, v]) => !v || !DNS1123_SUBDOMAIN.test(v) || v.length > 63 || !LABEL_VALUE.test(v))
          .map(([field, v]) => `${field} ${JSON.stringify(v)} must be lower-case letters, digits, "-" and ".", at most 63 characters`),
      ),
  },
  {
    id: 'csv/required',
    source: 'operator-framework/api validateCSV (checkFields, validateVersionKind); operatorhub checkSpecVersion',
    description: 'there is a ClusterServiceVersion with apiVersion, kind, displayName, a version, and a deployment install strategy with deployments',
    check: (b) => {
      const csv = csvOf(b);
      if (!csv) return ['the bundle has no ClusterServiceVersion'];
      const out: string[] = [];
      if (csv.apiVersion !== 'operators.coreos.com/v1alpha1') out.push(`apiVersion is ${JSON.stringify(csv.apiVersion)}, expected operators.coreos.com/v1alpha1`);
      if (!csv.spec?.displayName) out.push('spec.displayName is not set');
      if (!csv.spec?.version) out.push('spec.version is not set');
      if (csv.spec?.install?.strategy !== 'deployment') out.push(`spec.install.strategy is ${JSON.stringify(csv.spec?.install?.strategy)}, expected "deployment"`);
      if (deploymentsOf(csv).length === 0) out.push('spec.install.spec.deployments is empty: OLM would install nothing');
      return out;
    },
  },
  {
    id: 'csv/version',
    source: 'operator-framework/api good practices (checkBundleName); operatorhub checkSpecVersion',
    description: 'spec.version is a semantic version and the name is <package>.v<version>',
    check: (b) =>
      withCsv(b, (csv) => {
        const problem = semverProblem('spec.version', csv.spec?.version);
        if (problem) return [problem];
        const want = `${String(b.annotations?.[ANNOTATION.package])}.v${csv.spec!.version}`;
        return csv.metadata?.name === want ? [] : [`metadata.name is ${JSON.stringify(csv.metadata?.name)}, expected ${want} (<package>.v<version>)`];
      }),
  },
  {
    id: 'csv/upgrade',
    source: 'operator-framework/api validateCSV (replaces), operator-registry (skipRange parse)',
    description: 'spec.replaces names an older version of the same package and olm.skipRange parses and stops below this version',
    check: (b) =>
      withCsv(b, (csv) => {
        const out: string[] = [];
        const version = parseSemVer(csv.spec?.version ?? '');
        const prefix = `${String(b.annotations?.[ANNOTATION.package])}.v`;
        const replaces = csv.spec?.replaces;
        if (replaces !== undefined) {
          const old = replaces.startsWith(prefix) ? parseSemVer(replaces.slice(prefix.length)) : undefined;
          if (!old) out.push(`spec.replaces ${JSON.stringify(replaces)} is not ${prefix}<version>`);
          else if (version && compareSemVer(old, version) >= 0) out.push(`spec.replaces ${replaces} is not older than ${csv.spec?.version}`);
        }
        const skipRange = csv.metadata?.annotations?.['olm.skipRange'];
        if (skipRange !== undefined) {
          const range = parseSemVerRange(skipRange);
          if (typeof range === 'string') out.push(`olm.skipRange: ${range}`);
          else if (version && inRange(range, version)) out.push(`olm.skipRange "${skipRange}" includes ${csv.spec?.version} itself`);
        }
        return out;
      }),
  },
  {
    id: 'csv/annotation-names',
    source: 'operator-framework/api ValidateAnnotationNames',
    description: 'annotations OLM reads case-sensitively are spelled with their case, and no olm.properties annotation (properties belong in metadata/properties.yaml)',
    check: (b) =>
      withCsv(b, (csv) =>
        Object.keys(csv.metadata?.annotations ?? {}).flatMap((key) => {
          const known = CASE_SENSITIVE_ANNOTATIONS.find((k) => k.toLowerCase() === key.toLowerCase());
          if (known && known !== key) return [`annotation ${key} must be spelled ${known}`];
          return key === 'olm.properties' ? ['annotation olm.properties: put properties in metadata/properties.yaml'] : [];
        }),
      ),
  },
  {
    id: 'csv/examples-kinds',
    source: 'operator-framework/api validateExamplesAnnotations',
    description: 'alm-examples is a JSON array, every example is of an owned kind and every owned kind has an example',
    check: (b) =>
      withCsv(b, (csv) => {
        const examples = parseExamples(csv);
        if (typeof examples === 'string') return [examples];
        const provided = new Set(ownedOf(csv).map((o) => gvk(groupOf(o), o.version, o.kind)));
        const given = new Set(examples.map(exampleGvk));
        return [
          ...[...given].filter((g) => !provided.has(g)).map((g) => `alm-examples has a ${g}, which the CSV does not own`),
          ...[...provided].filter((g) => !given.has(g)).map((g) => `alm-examples has no ${g}: add its sample to crds/samples/`),
        ];
      }),
  },
  {
    id: 'csv/examples-valid',
    source: 'loupe (the API server would refuse an example the console offers)',
    description: 'every alm-example passes its CRD schema (no unknown fields) and validation rules, as the API server would check it',
    check: (b) =>
      withCsv(b, (csv) => {
        const examples = parseExamples(csv);
        if (typeof examples === 'string') return [];
        return examples.flatMap((e) => {
          const [group, version] = String(e['apiVersion'] ?? '').split('/');
          const schema = crdSchemaOf(b, group ?? '', version ?? '', String(e['kind']));
          const name = `${String(e['kind'])} ${String((e['metadata'] as Obj | undefined)?.['name'])}`;
          if (!schema) return [];
          const unknown = unknownFields(schema, e, '');
          if (unknown.length) return unknown.map((u) => `alm-examples ${name}: ${u.slice(1)} (the schema has no such field)`);
          const defaulted = applyDefaults(schema, e) as Obj;
          const validate = validatorOf(schema);
          if (!validate(defaulted)) return (validate.errors ?? []).map((err) => `alm-examples ${name}: ${err.instancePath || '/'} ${err.message}`);
          const spec = schemaAt(schema, 'spec');
          return spec ? ruleViolations(spec as Schema, defaulted['spec']).map((v) => `alm-examples ${name}: ${v.text}`) : [];
        });
      }),
  },
  {
    id: 'csv/install-modes',
    source: 'operator-framework/api validateInstallModes',
    description: 'every install mode is listed once, AllNamespaces is the one supported (the operator watches every namespace)',
    check: (b) =>
      withCsv(b, (csv) => {
        const modes = csv.spec?.installModes ?? [];
        if (modes.length === 0) return ['spec.installModes is empty'];
        const out: string[] = [];
        for (const type of INSTALL_MODES) {
          const n = modes.filter((m) => m.type === type).length;
          if (n !== 1) out.push(`install mode ${type} is listed ${n} times, list it once`);
        }
        for (const m of modes) if (!INSTALL_MODES.includes(String(m.type))) out.push(`install mode ${String(m.type)} is not one OLM knows`);
        const supported = modes.filter((m) => m.supported === true).map((m) => m.type);
        if (supported.length === 0) out.push('no install mode is supported: OLM could not install the operator');
        else if (supported.join() !== SUPPORTED_INSTALL_MODE) out.push(`supported install modes are ${supported.join(', ')}; the operator watches all namespaces, so only ${SUPPORTED_INSTALL_MODE} is`);
        return out;
      }),
  },
  {
    id: 'csv/min-kube-version',
    source: 'operator-framework/api validateMinKubeVersion; crds/kube-versions.ts',
    description: `spec.minKubeVersion is a semantic version and at least ${MIN_KUBE_VERSION}, what the CRDs need`,
    check: (b) =>
      withCsv(b, (csv) => {
        const problem = semverProblem('spec.minKubeVersion', csv.spec?.minKubeVersion);
        if (problem) return [problem];
        return compareSemVer(parseSemVer(csv.spec!.minKubeVersion!)!, parseSemVer(MIN_KUBE_VERSION)!) < 0
          ? [`spec.minKubeVersion ${csv.spec!.minKubeVersion} is below ${MIN_KUBE_VERSION}: the CRDs' validation rules and selectable fields need ${MIN_KUBE_VERSION} (crds/kube-versions.ts)`]
          : [];
      }),
  },
  {
    id: 'bundle/owned-crds',
    source: 'operator-framework/api validateOwnedCRDs',
    description: 'every owned CRD version is in the bundle, every CRD in the bundle is owned, none twice',
    check: (b) =>
      withCsv(b, (csv) => {
        const inBundle = crdsOf(b).flatMap((c) => (c.spec?.versions ?? []).map((v) => gvk(c.spec?.group, v.name, c.spec?.names?.kind)));
        const owned = ownedOf(csv).map((o) => gvk(groupOf(o), o.version, o.kind));
        const ownedKinds = new Set(ownedOf(csv).map((o) => `${groupOf(o)}/${o.kind}`));
        return [
          ...inBundle.filter((k, i) => inBundle.indexOf(k) !== i).map((k) => `CRD ${k} is in the bundle twice`),
          ...owned.filter((k) => !inBundle.includes(k)).map((k) => `owned CRD ${k} is not in the bundle`),
          ...crdsOf(b)
            .filter((c) => !ownedKinds.has(`${c.spec?.group}/${c.spec?.names?.kind}`))
            .map((c) => `CRD ${c.metadata?.name} is in the bundle but the CSV does not own it`),
        ];
      }),
  },
  {
    id: 'bundle/owned-crd-names',
    source: 'operator-framework/api getOwnedCustomResourceDefintionKeys; OLM looks CRDs up by name',
    description: 'each owned CRD entry is named <plural>.<group> of the CRD of its kind',
    check: (b) =>
      withCsv(b, (csv) =>
        ownedOf(csv).flatMap((o) => {
          const crd = crdsOf(b).find((c) => c.spec?.group === groupOf(o) && c.spec?.names?.kind === o.kind);
          return crd && o.name !== crd.metadata?.name ? [`owned ${o.kind} is named ${o.name}, its CRD ${crd.metadata?.name}`] : [];
        }),
      ),
  },
  {
    id: 'bundle/service-accounts',
    source: 'operator-framework/api validateServiceAccounts; OLM creates the accounts the permissions name',
    description: 'no ServiceAccount manifest shadows the deployment\'s; every deployment\'s account has permissions (OLM creates it from them) and every permission\'s account runs a deployment',
    check: (b) =>
      withCsv(b, (csv) => {
        const used = new Set(deploymentsOf(csv).map((d) => d.spec?.template?.spec?.serviceAccountName ?? 'default'));
        const granted = new Set(permissionsOf(csv).flatMap(([, ps]) => ps.map((p) => p.serviceAccountName ?? '')));
        const shipped = b.manifests.flatMap((m) => m.objects).filter((o) => o['kind'] === 'ServiceAccount');
        return [
          ...shipped.filter((sa) => used.has(String((sa['metadata'] as Obj | undefined)?.['name']))).map((sa) => `ServiceAccount ${String((sa['metadata'] as Obj)['name'])} is in the bundle and in the CSV: OLM creates it, drop the manifest`),
          ...[...used].filter((sa) => !granted.has(sa)).map((sa) => `the deployment runs as ${sa}, which no permissions entry names: OLM would not create it`),
          ...[...granted].filter((sa) => !used.has(sa)).map((sa) => `permissions name ${sa}, which no deployment runs as`),
        ];
      }),
  },
  {
    id: 'bundle/related-images',
    source: 'operator-framework/api validateRelatedImages; operator-registry validateImagePullSpec',
    description: 'relatedImages have a unique name and a pullable reference with a tag or digest, and list every image the install deployments run',
    check: (b) =>
      withCsv(b, (csv) => {
        const related = csv.spec?.relatedImages ?? [];
        const out: string[] = [];
        related.forEach((r, i) => {
          if (!r.name) out.push(`relatedImages[${i}] has no name`);
          else if (related.findIndex((o) => o.name === r.name) !== i) out.push(`relatedImages[${i}] repeats the name ${r.name}`);
          const ref = parseImageRef(r.image ?? '');
          if (typeof ref === 'string') out.push(`relatedImages[${i}]: ${ref}`);
          else if (!ref.tag && !ref.digest) out.push(`relatedImages[${i}] "${r.image}" has neither tag nor digest`);
        });
        for (const d of deploymentsOf(csv)) {
          for (const c of containersOf(d)) if (!related.some((r) => r.image === c.image)) out.push(`deployment ${d.name} container ${c.name} runs ${c.image}, which relatedImages does not list (mirroring would miss it)`);
        }
        return out;
      }),
  },
  {
    id: 'csv/crd-descriptions',
    source: 'operator-framework/api good practices (validateCrdDescriptions)',
    description: 'every owned CRD has a display name and a description',
    check: (b) =>
      withCsv(b, (csv) =>
        ownedOf(csv).flatMap((o) => [...(o.description ? [] : [`owned CRD ${o.name} has an empty description`]), ...(o.displayName ? [] : [`owned CRD ${o.name} has no displayName`])]),
      ),
  },
  {
    id: 'csv/descriptor-paths',
    source: 'loupe (the console shows nothing for a path the schema lacks)',
    description: 'every spec and status descriptor names a field of its CRD schema, with a display name and a description',
    check: (b) =>
      withCsv(b, (csv) =>
        descriptorsOf(b, csv).flatMap(({ kind, part, d, node }) => {
          const where = `${kind} ${part}Descriptor ${d.path}`;
          if (!node) return [`${where}: ${part}.${d.path} is not in the CRD schema`];
          return !d.displayName || !d.description ? [`${where} needs a displayName and a description`] : [];
        }),
      ),
  },
  {
    id: 'csv/descriptor-widgets',
    source: 'loupe (OLM descriptor reference)',
    description: 'every x-descriptor is one the console knows and fits the type of its field',
    check: (b) =>
      withCsv(b, (csv) =>
        descriptorsOf(b, csv).flatMap(({ kind, part, d, node }) =>
          node
            ? (d['x-descriptors'] ?? []).flatMap((xd) => {
                const problem = widgetProblem(xd, node);
                return problem ? [`${kind} ${part}.${d.path}: ${problem}`] : [];
              })
            : [],
        ),
      ),
  },
  {
    id: 'csv/status-descriptors',
    source: 'loupe (status the console should show for every kind)',
    description: 'every owned CRD describes its status.phase and status.conditions, and has spec descriptors',
    check: (b) =>
      withCsv(b, (csv) =>
        ownedOf(csv).flatMap((o) => {
          const status = o.statusDescriptors ?? [];
          const out: string[] = [];
          if (!status.some((d) => d.path === 'phase' && d['x-descriptors']?.includes(X.phase))) out.push(`owned ${o.kind} has no status descriptor for phase with ${X.phase}`);
          if (!status.some((d) => d.path === 'conditions' && d['x-descriptors']?.includes(X.conditions))) out.push(`owned ${o.kind} has no status descriptor for conditions with ${X.conditions}`);
          if (!o.specDescriptors?.length) out.push(`owned ${o.kind} has no spec descriptors: the console form would be empty`);
          return out;
        }),
      ),
  },
  {
    id: 'operatorhub/provider',
    source: 'operator-framework/api operatorhub (checkSpecProviderName)',
    description: 'spec.provider.name is set',
    check: (b) => withCsv(b, (csv) => (csv.spec?.provider?.name?.trim() ? [] : ['spec.provider.name is not set'])),
  },
  {
    id: 'operatorhub/maintainers',
    source: 'operator-framework/api operatorhub (checkSpecMaintainers)',
    description: 'there are maintainers, each with a name and a valid e-mail address',
    check: (b) =>
      withCsv(b, (csv) => {
        const maintainers = csv.spec?.maintainers ?? [];
        if (maintainers.length === 0) return ['spec.maintainers is empty'];
        return maintainers.flatMap((m, i) => [
          ...(m.name ? [] : [`spec.maintainers[${i}] has no name`]),
          ...(m.email && EMAIL.test(m.email) ? [] : [`spec.maintainers[${i}] e-mail ${JSON.stringify(m.email)} is not an address`]),
        ]);
      }),
  },
  {
    id: 'operatorhub/links',
    source: 'operator-framework/api operatorhub (checkSpecLinks)',
    description: 'there are links, each with a name and an absolute http(s) URL; the provider URL too',
    check: (b) =>
      withCsv(b, (csv) => {
        const links = csv.spec?.links ?? [];
        const out = links.length === 0 ? ['spec.links is empty'] : [];
        links.forEach((l, i) => {
          if (!l.name) out.push(`spec.links[${i}] has no name`);
          const problem = urlProblem(`spec.links[${i}]`, l.url);
          if (problem) out.push(problem);
        });
        const provider = csv.spec?.provider?.url;
        const problem = provider === undefined ? undefined : urlProblem('spec.provider', provider);
        return problem ? [...out, problem] : out;
      }),
  },
  {
    id: 'operatorhub/icon',
    source: 'operator-framework/api operatorhub (checkSpecIcon); operator-registry Icon.validateData',
    description: 'exactly one icon, with base64 data that decodes to an image of its media type (png, jpeg, gif or svg+xml)',
    check: (b) =>
      withCsv(b, (csv) => {
        const icons = csv.spec?.icon ?? [];
        if (icons.length !== 1) return [`spec.icon has ${icons.length} entries, it needs exactly one`];
        const { base64data, mediatype } = icons[0]!;
        if (!base64data || !mediatype) return ['spec.icon[0] needs both base64data and mediatype'];
        if (!ICON_TYPES.includes(mediatype)) return [`spec.icon[0] mediatype ${mediatype} is not one of ${ICON_TYPES.join(', ')}`];
        if (!/^[A-Za-z0-9+/]+={0,2}$/.test(base64data)) return ['spec.icon[0].base64data is not base64'];
        const sniffed = sniffImage(Buffer.from(base64data, 'base64'));
        return sniffed === mediatype ? [] : [`spec.icon[0] says ${mediatype} but its data is ${sniffed ?? 'no image this checker recognizes'}`];
      }),
  },
  {
    id: 'operatorhub/capabilities',
    source: 'operator-framework/api standardcapabilities',
    description: 'the capabilities annotation is one of the five capability levels',
    check: (b) =>
      withCsv(b, (csv) => {
        const value = csv.metadata?.annotations?.['capabilities'];
        return value !== undefined && CAPABILITY_LEVELS.includes(value) ? [] : [`capabilities annotation ${JSON.stringify(value)} is not one of ${CAPABILITY_LEVELS.join(', ')}`];
      }),
  },
  {
    id: 'operatorhub/categories',
    source: 'operator-framework/api standardcategories',
    description: 'the categories annotation lists standard categories only',
    check: (b) =>
      withCsv(b, (csv) => {
        const value = csv.metadata?.annotations?.['categories'];
        if (value === undefined) return ['metadata.annotations has no categories'];
        return value
          .split(',')
          .map((c) => c.trim())
          .filter((c) => !STANDARD_CATEGORIES.includes(c))
          .map((c) => `category "${c}" is not a standard one (${STANDARD_CATEGORIES.join(', ')})`);
      }),
  },
  {
    id: 'operatorhub/listing',
    source: 'OperatorHub required CSV fields (community-operators packaging guide)',
    description: `the listing is complete: containerImage is the operator image, a short description of at most ${TILE_DESCRIPTION_MAX} characters, a long description, keywords, maturity, repository`,
    check: (b) =>
      withCsv(b, (csv) => {
        const a = csv.metadata?.annotations ?? {};
        const out: string[] = [];
        const images = deploymentsOf(csv).flatMap((d) => containersOf(d).map((c) => c.image));
        if (!a['containerImage'] || !images.includes(a['containerImage'])) out.push(`containerImage ${JSON.stringify(a['containerImage'])} is not the image the deployment runs (${images.join(', ')})`);
        const short = a['description'];
        if (!short) out.push('metadata.annotations.description (the tile text) is not set');
        else if (short.length > TILE_DESCRIPTION_MAX || short.includes('\n')) out.push(`the short description is ${short.length} characters or spans lines; the tile shows one line of ${TILE_DESCRIPTION_MAX}`);
        if (!csv.spec?.description) out.push('spec.description is empty');
        if (!csv.spec?.keywords?.length) out.push('spec.keywords is empty');
        if (!csv.spec?.maturity) out.push('spec.maturity is not set');
        const repo = a['repository'] === undefined ? 'metadata.annotations.repository is not set' : urlProblem('the repository annotation', a['repository']);
        if (repo) out.push(repo);
        return out;
      }),
  },
  {
    id: 'good-practices/resource-requests',
    source: 'operator-framework/api good practices (validateResourceRequests)',
    description: 'every container of the install deployments requests CPU and memory',
    check: (b) =>
      withCsv(b, (csv) =>
        deploymentsOf(csv).flatMap((d) =>
          containersOf(d)
            .filter((c) => !c.resources?.requests?.['cpu'] || !c.resources?.requests?.['memory'])
            .map((c) => `deployment ${d.name} container ${c.name} must request cpu and memory`),
        ),
      ),
  },
  {
    id: 'good-practices/channels',
    source: 'operator-framework/api good practices (validateHubChannels)',
    description: 'channel names follow the convention: they start with candidate, fast or stable',
    check: (b) => bundleChannels(b).filter((c) => !/^(candidate|fast|stable)/.test(c)).map((c) => `channel ${c} does not start with candidate, fast or stable`),
  },
  {
    id: 'good-practices/no-crd-writes',
    source: 'operator-framework/api good practices (validateRBACForCRDsWith)',
    description: 'the operator may not create or patch CustomResourceDefinitions (OLM owns them)',
    check: (b) =>
      withCsv(b, (csv) =>
        grantsOf(csv)
          .filter(({ rule: r }) => r.apiGroups?.includes('apiextensions.k8s.io') && r.resources?.some((x) => ['customresourcedefinitions', '*'].includes(x)) && r.verbs?.some((v) => ['create', 'patch', '*'].includes(v)))
          .map(({ who }) => `${who} may create or patch CustomResourceDefinitions`),
      ),
  },
  {
    id: 'good-practices/no-wildcards',
    source: 'loupe (least privilege, operator/README.md)',
    description: 'no RBAC rule uses "*" for groups, resources or verbs',
    check: (b) =>
      withCsv(b, (csv) =>
        grantsOf(csv)
          .filter(({ rule: r }) => [...(r.apiGroups ?? []), ...(r.resources ?? []), ...(r.verbs ?? [])].includes('*'))
          .map(({ who, rule }) => `${who} has a wildcard rule ${JSON.stringify(rule)}`),
      ),
  },
  {
    id: 'objects/rbac-audit',
    source: 'operator-framework/api ObjectValidator (audit)',
    description: 'no permission to write PodDisruptionBudgets or to change the default SecurityContextConstraints',
    check: (b) =>
      withCsv(b, (csv) =>
        grantsOf(csv).flatMap(({ rule: r, who }) => {
          const has = (list: string[] | undefined, ...items: string[]) => items.some((i) => list?.includes(i));
          return [
            ...(has(r.apiGroups, 'policy') && has(r.resources, 'poddisruptionbudgets') && has(r.verbs, '*', 'create', 'update', 'patch') ? [`${who} may write PodDisruptionBudgets`] : []),
            ...(has(r.apiGroups, 'security.openshift.io') && has(r.resources, 'securitycontextconstraints') && has(r.verbs, '*', 'delete', 'update', 'patch') ? [`${who} may change SecurityContextConstraints`] : []),
          ];
        }),
      ),
  },
  {
    id: 'deprecated-apis',
    source: 'operator-framework/api AlphaDeprecatedAPIsValidator',
    description: 'no manifest, owned-CRD resource or RBAC rule uses an API Kubernetes has removed (Loupe supports every release from minKubeVersion on)',
    check: (b) =>
      withCsv(b, (csv) => {
        const manifests = b.manifests.flatMap((m) => m.objects.map((o) => ({ where: m.file, apiVersion: String(o['apiVersion']), kind: String(o['kind']) })));
        const resources = ownedOf(csv).flatMap((o) => (o.resources ?? []).map((r) => ({ where: `owned ${o.kind} resources`, apiVersion: String(r.version), kind: String(r.kind) })));
        const psp = grantsOf(csv).filter(({ rule: r }) => r.apiGroups?.includes('policy') && r.resources?.includes('podsecuritypolicies'));
        return [
          ...removedApis([...manifests, ...resources]).map((f) => `${f.where}: ${f.apiVersion} ${f.kind} was removed in Kubernetes ${f.removedIn}`),
          ...psp.map(({ who }) => `${who}: policy/podsecuritypolicies were removed in Kubernetes 1.25`),
        ];
      }),
  },
];

/** Every problem the rules find, each prefixed with the rule's id. */
export function bundleProblems(files: ReadonlyMap<string, string>): string[] {
  const bundle = loadBundle(files);
  return BUNDLE_RULES.flatMap((r) => r.check(bundle).map((p) => `${r.id}: ${p}`));
}
