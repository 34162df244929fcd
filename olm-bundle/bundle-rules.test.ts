// Each bundle rule: the generated bundle passes it, and each change that breaks it is caught
// with a message that says what is wrong.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BUNDLE_RULES, crdsOf, csvOf, MAX_BUNDLE_GZIP_BYTES, type Csv, type LoadedBundle, type OwnedCrd } from './bundle-rules.js';
import { assertRule, generated, uncovered, type BreakCase } from './fixtures.test-util.js';

const GENERATED = generated().bundle;

const csv = (b: LoadedBundle): Csv & { spec: NonNullable<Csv['spec']>; metadata: { name: string; annotations: Record<string, string> } } => csvOf(b) as never;
const owned = (b: LoadedBundle, kind: string): OwnedCrd => csv(b).spec.customresourcedefinitions!.owned!.find((o) => o.kind === kind)!;
const examples = (b: LoadedBundle) => JSON.parse(csv(b).metadata.annotations['alm-examples']!) as Record<string, unknown>[];
const setExamples = (b: LoadedBundle, list: unknown[]) => (csv(b).metadata.annotations['alm-examples'] = JSON.stringify(list));
const deployment = (b: LoadedBundle) => csv(b).spec.install!.spec!.deployments![0]!;
const operatorContainer = (b: LoadedBundle) => deployment(b).spec!.template!.spec!.containers![0]!;
const clusterRules = (b: LoadedBundle) => csv(b).spec.install!.spec!.clusterPermissions![0]!.rules!;
const annotations = (b: LoadedBundle) => b.annotations!;
const dropManifest = (b: LoadedBundle, file: string) => {
  b.manifests = b.manifests.filter((m) => m.file !== file);
  b.paths = b.paths.filter((p) => p !== file);
};
const addManifest = (b: LoadedBundle, file: string, ...objects: Record<string, unknown>[]) => {
  b.manifests.push({ file, objects });
  b.paths.push(file);
};

const CASES: Record<string, BreakCase<LoadedBundle>[]> = {
  'format/layout': [
    { name: 'a nested folder', change: (b) => addManifest(b, 'manifests/extra/cm.yaml', { kind: 'ConfigMap' }), says: /manifests\/extra\/cm.yaml: a bundle holds files directly in manifests\/ and metadata\/ only/ },
    { name: 'no metadata folder', change: (b) => (b.paths = b.paths.filter((p) => !p.startsWith('metadata/'))), says: /the bundle has no metadata\/ folder/ },
    { name: 'a hidden file', change: (b) => b.paths.push('manifests/.keep'), says: /hidden files are not allowed/ },
    { name: 'a file that does not parse', change: (b) => b.unreadable.push('manifests/broken.yaml: bad indentation'), says: /manifests\/broken.yaml: bad indentation: fix the YAML/ },
  ],
  'format/annotations': [
    { name: 'a plain mediatype', change: (b) => (annotations(b)['operators.operatorframework.io.bundle.mediatype.v1'] = 'plain'), says: /mediatype.v1 is "plain", expected "registry\+v1"/ },
    { name: 'no package', change: (b) => delete annotations(b)['operators.operatorframework.io.bundle.package.v1'], says: /package.v1 must name the package/ },
    { name: 'a default channel not among the channels', change: (b) => (annotations(b)['operators.operatorframework.io.bundle.channel.default.v1'] = 'stable-v1'), says: /default channel "stable-v1" is not among the channels \(candidate-v0\)/ },
    { name: 'no annotations file', change: (b) => delete b.annotations, says: /metadata\/annotations.yaml is missing/ },
  ],
  'format/kinds': [
    { name: 'a Deployment manifest', change: (b) => addManifest(b, 'manifests/operator.yaml', { apiVersion: 'apps/v1', kind: 'Deployment' }), says: /manifests\/operator.yaml: kind Deployment cannot be shipped in a registry\+v1 bundle/ },
    { name: 'two objects in one file', change: (b) => b.manifests[0]!.objects.push({ kind: 'ConfigMap' }), says: /holds 2 objects: OLM reads only the first/ },
    { name: 'a second CSV', change: (b) => addManifest(b, 'manifests/other.csv.yaml', { kind: 'ClusterServiceVersion' }), says: /the bundle has 2 ClusterServiceVersions/ },
  ],
  'format/crd-api': [{ name: 'a v1beta1 CRD', change: (b) => (crdsOf(b)[0]!.apiVersion = 'apiextensions.k8s.io/v1beta1'), says: /is apiextensions.k8s.io\/v1beta1: ship apiextensions.k8s.io\/v1/ }],
  'bundle/size': [{ name: 'manifests over 1 MiB compressed', change: (b) => (b.gzipBytes = MAX_BUNDLE_GZIP_BYTES + 1), says: /compress to 1048577 bytes, over OLM's 1048576/ }],
  'csv/name': [
    { name: 'upper case and an underscore', change: (b) => (csv(b).metadata.name = 'Loupe_Operator.v0.1.0'), says: /metadata.name "Loupe_Operator.v0.1.0" must be lower-case/ },
    { name: 'a replaces longer than a label value', change: (b) => (csv(b).spec.replaces = `loupe-operator.v0.0.1-${'a'.repeat(50)}`), says: /spec.replaces "loupe-operator.v0.0.1-a+" must be lower-case letters, digits, "-" and ".", at most 63 characters/ },
  ],
  'csv/required': [
    { name: 'no CSV', change: (b) => dropManifest(b, 'manifests/loupe-operator.clusterserviceversion.yaml'), says: /the bundle has no ClusterServiceVersion/ },
    { name: 'no displayName', change: (b) => delete csv(b).spec.displayName, says: /spec.displayName is not set/ },
    { name: 'a helm strategy', change: (b) => (csv(b).spec.install!.strategy = 'helm'), says: /spec.install.strategy is "helm", expected "deployment"/ },
    { name: 'no deployments', change: (b) => (csv(b).spec.install!.spec!.deployments = []), says: /deployments is empty: OLM would install nothing/ },
  ],
  'csv/version': [
    { name: 'a leading v', change: (b) => (csv(b).spec.version = 'v0.1.0'), says: /spec.version "v0.1.0" is not a semantic version/ },
    { name: 'a name not after the package', change: (b) => (csv(b).metadata.name = 'loupe.v0.1.0'), says: /metadata.name is "loupe.v0.1.0", expected loupe-operator.v0.1.0/ },
  ],
  'csv/upgrade': [
    { name: 'replacing a newer version', change: (b) => (csv(b).spec.replaces = 'loupe-operator.v0.2.0'), says: /spec.replaces loupe-operator.v0.2.0 is not older than 0.1.0/ },
    { name: 'replacing another package', change: (b) => (csv(b).spec.replaces = 'other-operator.v0.0.1'), says: /spec.replaces "other-operator.v0.0.1" is not loupe-operator.v<version>/ },
    { name: 'a skipRange that includes itself', change: (b) => (csv(b).metadata.annotations['olm.skipRange'] = '>=0.0.1 <=0.1.0'), says: /olm.skipRange ">=0.0.1 <=0.1.0" includes 0.1.0 itself/ },
    { name: 'a skipRange that does not parse', change: (b) => (csv(b).metadata.annotations['olm.skipRange'] = '>=0.0.1 <next'), says: /olm.skipRange: "<next" in ">=0.0.1 <next" is not an operator/ },
  ],
  'csv/annotation-names': [
    { name: 'olm.skiprange in lower case', change: (b) => (csv(b).metadata.annotations['olm.skiprange'] = '<0.1.0'), says: /annotation olm.skiprange must be spelled olm.skipRange/ },
    { name: 'an olm.properties annotation', change: (b) => (csv(b).metadata.annotations['olm.properties'] = '[]'), says: /put properties in metadata\/properties.yaml/ },
  ],
  'csv/examples-kinds': [
    { name: 'alm-examples not JSON', change: (b) => (csv(b).metadata.annotations['alm-examples'] = '[{'), says: /alm-examples is not JSON/ },
    { name: 'no Cloud example', change: (b) => setExamples(b, examples(b).filter((e) => e['kind'] !== 'Cloud')), says: /alm-examples has no loupe.dev\/v1alpha1, Kind=Cloud: add its sample to crds\/samples\// },
    { name: 'an example of a kind not owned', change: (b) => setExamples(b, [...examples(b), { apiVersion: 'loupe.dev/v1alpha1', kind: 'Widget', metadata: { name: 'w' } }]), says: /alm-examples has a loupe.dev\/v1alpha1, Kind=Widget, which the CSV does not own/ },
    { name: 'an object instead of an array', change: (b) => (csv(b).metadata.annotations['alm-examples'] = '{}'), says: /alm-examples must be a JSON array of objects/ },
  ],
  'csv/examples-valid': [
    {
      name: 'a value outside the enum',
      change: (b) => setExamples(b, examples(b).map((e) => (e['kind'] === 'Vizier' ? { ...e, spec: { ...(e['spec'] as object), dataAccess: 'Everything' } } : e))),
      says: /alm-examples Vizier vizier: \/spec\/dataAccess must be equal to one of the allowed values/,
    },
    {
      name: 'a request above its limit (a CEL rule)',
      change: (b) => setExamples(b, examples(b).map((e) => (e['kind'] === 'Vizier' ? { ...e, spec: { pem: { resources: { memoryRequest: '4Gi', memoryLimit: '2Gi' } } } } : e))),
      says: /alm-examples Vizier vizier: spec.pem.resources.memoryRequest: Invalid value: .*memoryRequest 4Gi is above memoryLimit 2Gi/,
    },
    {
      name: 'a field the schema does not have',
      change: (b) => setExamples(b, examples(b).map((e) => (e['kind'] === 'Plugin' ? { ...e, spec: { ...(e['spec'] as object), retries: 3 } } : e))),
      says: /alm-examples Plugin otel-collector: spec.retries: unknown field \(the schema has no such field\)/,
    },
  ],
  'csv/install-modes': [
    { name: 'OwnNamespace supported too', change: (b) => (csv(b).spec.installModes![0]!.supported = true), says: /supported install modes are OwnNamespace, AllNamespaces; the operator watches all namespaces, so only AllNamespaces is/ },
    { name: 'none supported', change: (b) => csv(b).spec.installModes!.forEach((m) => (m.supported = false)), says: /no install mode is supported/ },
    { name: 'a mode listed twice', change: (b) => csv(b).spec.installModes!.push({ type: 'AllNamespaces', supported: true }), says: /install mode AllNamespaces is listed 2 times/ },
    { name: 'no install modes', change: (b) => (csv(b).spec.installModes = []), says: /spec.installModes is empty/ },
  ],
  'csv/min-kube-version': [
    { name: 'below what the CRDs need', change: (b) => (csv(b).spec.minKubeVersion = '1.31.0'), says: /spec.minKubeVersion 1.31.0 is below 1.32.0/ },
    { name: 'not semantic', change: (b) => (csv(b).spec.minKubeVersion = '1.32'), says: /spec.minKubeVersion "1.32" is not a semantic version/ },
    { name: 'unset', change: (b) => delete csv(b).spec.minKubeVersion, says: /spec.minKubeVersion is not set/ },
  ],
  'bundle/owned-crds': [
    { name: 'an owned CRD missing from the bundle', change: (b) => dropManifest(b, 'manifests/loupe.dev_clouds.yaml'), says: /owned CRD loupe.dev\/v1alpha1, Kind=Cloud is not in the bundle/ },
    { name: 'a CRD not owned', change: (b) => (csv(b).spec.customresourcedefinitions!.owned = csv(b).spec.customresourcedefinitions!.owned!.filter((o) => o.kind !== 'Plugin')), says: /CRD plugins.loupe.dev is in the bundle but the CSV does not own it/ },
    { name: 'a CRD twice', change: (b) => addManifest(b, 'manifests/copy.yaml', structuredClone(crdsOf(b)[0]!) as Record<string, unknown>), says: /CRD loupe.dev\/v1alpha1, Kind=\w+ is in the bundle twice/ },
    { name: 'an owned version the CRD lacks', change: (b) => (owned(b, 'Vizier').version = 'v1'), says: /owned CRD loupe.dev\/v1, Kind=Vizier is not in the bundle/ },
  ],
  'bundle/owned-crd-names': [{ name: 'an owned name not plural.group', change: (b) => (owned(b, 'Vizier').name = 'vizier.loupe.dev'), says: /owned Vizier is named vizier.loupe.dev, its CRD viziers.loupe.dev/ }],
  'bundle/service-accounts': [
    { name: 'a ServiceAccount manifest for the operator', change: (b) => addManifest(b, 'manifests/sa.yaml', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'loupe-operator' } }), says: /ServiceAccount loupe-operator is in the bundle and in the CSV: OLM creates it/ },
    { name: 'permissions for another account', change: (b) => csv(b).spec.install!.spec!.permissions!.concat(csv(b).spec.install!.spec!.clusterPermissions!).forEach((p) => (p.serviceAccountName = 'other')), says: /the deployment runs as loupe-operator, which no permissions entry names/ },
    { name: 'permissions for an account nothing runs as', change: (b) => (csv(b).spec.install!.spec!.permissions![0]!.serviceAccountName = 'spare'), says: /permissions name spare, which no deployment runs as/ },
  ],
  'bundle/related-images': [
    { name: 'an image without a name', change: (b) => (csv(b).spec.relatedImages![1]!.name = ''), says: /relatedImages\[1\] has no name/ },
    { name: 'a name twice', change: (b) => (csv(b).spec.relatedImages![2]!.name = csv(b).spec.relatedImages![1]!.name!), says: /relatedImages\[2\] repeats the name nats/ },
    { name: 'an upper-case repository', change: (b) => (csv(b).spec.relatedImages![1]!.image = 'ghcr.io/Loupe-Dev/nats:2.9'), says: /relatedImages\[1\]: "ghcr.io\/Loupe-Dev\/nats:2.9": path component "Loupe-Dev" must be lower-case/ },
    { name: 'neither tag nor digest', change: (b) => (csv(b).spec.relatedImages![1]!.image = 'ghcr.io/loupe-dev/nats'), says: /relatedImages\[1\] "ghcr.io\/loupe-dev\/nats" has neither tag nor digest/ },
    { name: 'the operator image not listed', change: (b) => (operatorContainer(b).image = 'ghcr.io/loupe-dev/loupe:9.9.9'), says: /container operator runs ghcr.io\/loupe-dev\/loupe:9.9.9, which relatedImages does not list/ },
  ],
  'csv/crd-descriptions': [
    { name: 'an empty description', change: (b) => (owned(b, 'Plugin').description = ''), says: /owned CRD plugins.loupe.dev has an empty description/ },
    { name: 'no display name', change: (b) => delete owned(b, 'Plugin').displayName, says: /owned CRD plugins.loupe.dev has no displayName/ },
  ],
  'csv/descriptor-paths': [
    { name: 'a spec path the schema lacks', change: (b) => (owned(b, 'Vizier').specDescriptors![0]!.path = 'pem.memory'), says: /Vizier specDescriptor pem.memory: spec.pem.memory is not in the CRD schema/ },
    { name: 'a status path the schema lacks', change: (b) => (owned(b, 'Cloud').statusDescriptors![0]!.path = 'ready'), says: /Cloud statusDescriptor ready: status.ready is not in the CRD schema/ },
    { name: 'no display name', change: (b) => delete owned(b, 'Plugin').specDescriptors![0]!.displayName, says: /Plugin specDescriptor type needs a displayName and a description/ },
  ],
  'csv/descriptor-widgets': [
    { name: 'a switch on a string', change: (b) => (owned(b, 'Vizier').specDescriptors!.find((d) => d.path === 'version')!['x-descriptors'] = ['urn:alm:descriptor:com.tectonic.ui:booleanSwitch']), says: /Vizier spec.version: urn:alm:descriptor:com.tectonic.ui:booleanSwitch needs a boolean, the field is string/ },
    { name: 'a select value outside the enum', change: (b) => owned(b, 'Vizier').specDescriptors!.find((d) => d.path === 'dataAccess')!['x-descriptors']!.push('urn:alm:descriptor:com.tectonic.ui:select:Everything'), says: /"Everything" is not one of the field's values \(Full, Restricted, PIIRestricted\)/ },
    { name: 'an unknown descriptor', change: (b) => owned(b, 'Plugin').specDescriptors![0]!['x-descriptors']!.push('urn:alm:descriptor:com.example:slider'), says: /urn:alm:descriptor:com.example:slider is not an x-descriptor this bundle knows/ },
    { name: 'a pod count on a string', change: (b) => (owned(b, 'Cloud').specDescriptors!.find((d) => d.path === 'version')!['x-descriptors'] = ['urn:alm:descriptor:com.tectonic.ui:podCount']), says: /Cloud spec.version: urn:alm:descriptor:com.tectonic.ui:podCount needs a number/ },
  ],
  'csv/status-descriptors': [
    { name: 'no conditions descriptor', change: (b) => (owned(b, 'CronScript').statusDescriptors = owned(b, 'CronScript').statusDescriptors!.filter((d) => d.path !== 'conditions')), says: /owned CronScript has no status descriptor for conditions/ },
    { name: 'no phase descriptor', change: (b) => (owned(b, 'CronScript').statusDescriptors = owned(b, 'CronScript').statusDescriptors!.filter((d) => d.path !== 'phase')), says: /owned CronScript has no status descriptor for phase/ },
    { name: 'no spec descriptors', change: (b) => delete owned(b, 'Cloud').specDescriptors, says: /owned Cloud has no spec descriptors/ },
  ],
  'operatorhub/provider': [{ name: 'no provider', change: (b) => delete csv(b).spec.provider, says: /spec.provider.name is not set/ }],
  'operatorhub/maintainers': [
    { name: 'an e-mail without a domain', change: (b) => (csv(b).spec.maintainers![0]!.email = 'maintainers'), says: /spec.maintainers\[0\] e-mail "maintainers" is not an address/ },
    { name: 'no maintainers', change: (b) => (csv(b).spec.maintainers = []), says: /spec.maintainers is empty/ },
  ],
  'operatorhub/links': [
    { name: 'a relative URL', change: (b) => (csv(b).spec.links![0]!.url = 'github.com/loupe-dev/loupe'), says: /spec.links\[0\] url "github.com\/loupe-dev\/loupe" is not an absolute URL/ },
    { name: 'a link without a name', change: (b) => delete csv(b).spec.links![1]!.name, says: /spec.links\[1\] has no name/ },
    { name: 'no links', change: (b) => (csv(b).spec.links = []), says: /spec.links is empty/ },
  ],
  'operatorhub/icon': [
    { name: 'SVG data declared as PNG', change: (b) => (csv(b).spec.icon![0]!.mediatype = 'image/png'), says: /spec.icon\[0\] says image\/png but its data is image\/svg\+xml/ },
    { name: 'a bitmap type', change: (b) => (csv(b).spec.icon![0]!.mediatype = 'image/bmp'), says: /mediatype image\/bmp is not one of/ },
    { name: 'two icons', change: (b) => csv(b).spec.icon!.push(csv(b).spec.icon![0]!), says: /spec.icon has 2 entries, it needs exactly one/ },
    { name: 'data that is not an image', change: (b) => (csv(b).spec.icon![0]!.base64data = Buffer.from('hello').toString('base64')), says: /its data is no image this checker recognizes/ },
  ],
  'operatorhub/capabilities': [{ name: 'a level not in the model', change: (b) => (csv(b).metadata.annotations['capabilities'] = 'Level 2'), says: /capabilities annotation "Level 2" is not one of Basic Install/ }],
  'operatorhub/categories': [{ name: 'a category of our own', change: (b) => (csv(b).metadata.annotations['categories'] = 'Monitoring, eBPF'), says: /category "eBPF" is not a standard one/ }],
  'operatorhub/listing': [
    { name: 'containerImage not the operator image', change: (b) => (csv(b).metadata.annotations['containerImage'] = 'ghcr.io/loupe-dev/loupe:latest'), says: /containerImage "ghcr.io\/loupe-dev\/loupe:latest" is not the image the deployment runs/ },
    { name: 'a tile description too long', change: (b) => (csv(b).metadata.annotations['description'] = 'x'.repeat(136)), says: /the short description is 136 characters or spans lines; the tile shows one line of 135/ },
    { name: 'no keywords', change: (b) => (csv(b).spec.keywords = []), says: /spec.keywords is empty/ },
    { name: 'no repository', change: (b) => delete csv(b).metadata.annotations['repository'], says: /metadata.annotations.repository is not set/ },
  ],
  'good-practices/resource-requests': [{ name: 'no CPU request', change: (b) => delete operatorContainer(b).resources!.requests!['cpu'], says: /deployment loupe-operator container operator must request cpu and memory/ }],
  'good-practices/channels': [{ name: 'a channel named alpha', change: (b) => (annotations(b)['operators.operatorframework.io.bundle.channels.v1'] = 'alpha'), says: /channel alpha does not start with candidate, fast or stable/ }],
  'good-practices/no-crd-writes': [
    { name: 'creating CRDs', change: (b) => clusterRules(b).push({ apiGroups: ['apiextensions.k8s.io'], resources: ['customresourcedefinitions'], verbs: ['get', 'create'] }), says: /clusterPermissions for loupe-operator may create or patch CustomResourceDefinitions/ },
  ],
  'good-practices/no-wildcards': [{ name: 'every verb', change: (b) => (clusterRules(b)[0]!.verbs = ['*']), says: /clusterPermissions for loupe-operator has a wildcard rule/ }],
  'objects/rbac-audit': [
    { name: 'writing PodDisruptionBudgets', change: (b) => clusterRules(b).push({ apiGroups: ['policy'], resources: ['poddisruptionbudgets'], verbs: ['create'] }), says: /clusterPermissions for loupe-operator may write PodDisruptionBudgets/ },
    { name: 'patching SecurityContextConstraints', change: (b) => clusterRules(b).push({ apiGroups: ['security.openshift.io'], resources: ['securitycontextconstraints'], verbs: ['patch'], resourceNames: ['restricted'] }), says: /may change SecurityContextConstraints/ },
  ],
  'deprecated-apis': [
    { name: 'a v1beta1 CRD', change: (b) => (crdsOf(b)[0]!.apiVersion = 'apiextensions.k8s.io/v1beta1'), says: /apiextensions.k8s.io\/v1beta1 CustomResourceDefinition was removed in Kubernetes 1.22/ },
    { name: 'a v1beta1 CronJob among owned resources', change: (b) => owned(b, 'Vizier').resources!.push({ name: 'cronjobs', kind: 'CronJob', version: 'v1beta1' }), says: /owned Vizier resources: v1beta1 CronJob was removed in Kubernetes 1.25/ },
    { name: 'PodSecurityPolicies in RBAC', change: (b) => clusterRules(b).push({ apiGroups: ['policy'], resources: ['podsecuritypolicies'], verbs: ['use'] }), says: /policy\/podsecuritypolicies were removed in Kubernetes 1.25/ },
  ],
};

for (const rule of BUNDLE_RULES) {
  test(`bundle rule ${rule.id}: ${rule.description} (${rule.source})`, () => assertRule(rule, GENERATED, CASES[rule.id] ?? []));
}

test('every bundle rule has a case that breaks it, and every case names a rule', () => {
  assert.deepEqual(uncovered(BUNDLE_RULES, CASES), { rulesWithoutCases: [], casesWithoutRules: [] });
});
