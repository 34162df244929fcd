// The ClusterServiceVersion of the operator: what OLM installs (the operator's Deployment and
// its RBAC, both from the same sources as operator/deploy) and what the console shows (the
// owned kinds with their descriptors and examples, the listing). Pure: every input that is
// not code of ours comes in as an argument.
import type { KubernetesObject, V1Deployment, V1DeploymentSpec } from '@kubernetes/client-node';
import { ALL_KINDS, GROUP, VERSION, toCRD, type KindDefinition } from '../crds/index.js';
import { MIN_KUBE_MINOR, MIN_KUBE_VERSION } from '../crds/kube-versions.js';
import { operatorControllers } from '../controllers/index.js';
import { OPERATOR_ACCOUNT } from '../controllers/generate-rbac.js';
import { imageBaseName, vizierImages } from '../controllers/install/images.js';
import { clusterPermissions, compactRules, LEADER_ELECTION_PERMISSIONS } from '../operator/runtime/rbac.js';
import type { Controller, PolicyRule } from '../operator/runtime/types.js';
import { specDescriptors, statusDescriptors, type Descriptor, type SchemaNode } from './descriptors.js';
import * as listing from './listing.js';

export const CSV_API_VERSION = 'operators.coreos.com/v1alpha1';
/** The container of the operator's Deployment whose image is the operator image. */
export const OPERATOR_CONTAINER = 'operator';

export interface UpgradeEdge {
  /** The CSV this one replaces (the newest released before it). */
  readonly replaces: string;
  /** The versions a cluster may jump from straight to this one. */
  readonly skipRange: string;
}

export interface CsvInputs {
  /** The operator's version (package.json), without a leading "v". */
  readonly version: string;
  /** The operator image, tag or digest: the one input the image build fills in. */
  readonly operatorImage: string;
  /** operator/deploy/base/deployment.yaml, parsed. */
  readonly deployment: V1Deployment;
  /** crds/samples/*.yaml, parsed: one example per kind. */
  readonly samples: readonly KubernetesObject[];
  readonly iconSvg: string;
  readonly upgrade?: UpgradeEdge;
  /** When the operator image was built (RFC 3339), for OperatorHub's `createdAt`; left out when unknown. */
  readonly createdAt?: string;
}

export const csvName = (version: string) => `${listing.PACKAGE}.v${version}`;

export class BundleInputError extends Error {
  override readonly name = 'BundleInputError';
}

export interface RelatedImage {
  name: string;
  image: string;
}

export interface Icon {
  base64data: string;
  mediatype: string;
}

export interface OwnedCrdDescription {
  name: string;
  version: string;
  kind: string;
  displayName: string;
  description: string;
  resources?: { name: string; kind: string; version: string }[];
  specDescriptors: Descriptor[];
  statusDescriptors: Descriptor[];
}

interface StrategyPermissions {
  serviceAccountName: string;
  rules: PolicyRule[];
}

/** The ClusterServiceVersion as renderCsv writes it. */
export interface ClusterServiceVersion {
  apiVersion: typeof CSV_API_VERSION;
  kind: 'ClusterServiceVersion';
  metadata: { name: string; annotations: Record<string, string> };
  spec: {
    displayName: string;
    description: string;
    version: string;
    replaces?: string;
    minKubeVersion: string;
    maturity: string;
    provider: { name: string; url: string };
    maintainers: { name: string; email: string }[];
    links: { name: string; url: string }[];
    keywords: string[];
    icon: Icon[];
    installModes: { type: string; supported: boolean }[];
    customresourcedefinitions: { owned: OwnedCrdDescription[] };
    install: {
      strategy: 'deployment';
      spec: { clusterPermissions: StrategyPermissions[]; permissions: StrategyPermissions[]; deployments: { name: string; label: Record<string, string>; spec: V1DeploymentSpec }[] };
    };
    relatedImages: RelatedImage[];
  };
}

/** The operator image first, then each other image a Vizier runs, once. */
function relatedImages(operatorImage: string, operands: readonly string[]): RelatedImage[] {
  const out: RelatedImage[] = [{ name: listing.PACKAGE, image: operatorImage }];
  for (const image of operands) if (!out.some((r) => r.image === image)) out.push({ name: imageBaseName(image), image });
  return out;
}

/** The operator's Deployment spec with its operator container running `image`. */
function operatorDeploymentSpec(deployment: V1Deployment, image: string): V1DeploymentSpec {
  const spec = structuredClone(deployment.spec);
  const container = spec?.template.spec?.containers.find((c) => c.name === OPERATOR_CONTAINER);
  if (!spec || !container) throw new BundleInputError(`operator/deploy/base/deployment.yaml has no container named "${OPERATOR_CONTAINER}": the bundle sets the operator image on it`);
  container.image = image;
  return spec;
}

/** alm-examples: the samples without their namespace (the console creates them where the user is). */
function almExamples(samples: readonly KubernetesObject[]): KubernetesObject[] {
  const byKind = new Map(samples.map((s) => [s.kind, s]));
  return ALL_KINDS.map((def) => {
    const sample = byKind.get(def.kind);
    if (!sample) throw new BundleInputError(`crds/samples/ has no ${def.kind}: every kind needs an example for alm-examples`);
    const metadata = { ...sample.metadata };
    delete metadata.namespace;
    return { ...sample, metadata };
  });
}

function openApiSchema(def: KindDefinition): SchemaNode {
  const crd = toCRD(def) as { spec: { versions: { schema: { openAPIV3Schema: SchemaNode } }[] } };
  return crd.spec.versions[0]!.schema.openAPIV3Schema;
}

const words = (kind: string) => kind.replace(/([a-z])([A-Z])/g, '$1 $2');

function ownedCrd(def: KindDefinition, controller: Controller | undefined): OwnedCrdDescription {
  const schema = openApiSchema(def);
  const props = schema['properties'] as Record<string, SchemaNode>;
  return {
    name: `${def.plural}.${GROUP}`,
    version: VERSION,
    kind: def.kind,
    displayName: words(def.kind),
    description: controller ? def.description : `${def.description} Accepted and validated; its reconciler is not built yet.`,
    ...(controller ? { resources: controller.owns.map((t) => ({ name: t.plural, kind: t.kind, version: t.version })) } : {}),
    specDescriptors: specDescriptors(def.kind, props['spec']!),
    statusDescriptors: statusDescriptors(def.kind, props['status']!),
  };
}

/** The rules as operator/deploy/base/rbac.yaml lists them (controllers/generate-rbac.ts). */
const rulesOf = (permissions: readonly { rules: readonly PolicyRule[] }[]): PolicyRule[] => permissions.flatMap((p) => compactRules(p.rules));

export function renderCsv(inputs: CsvInputs): ClusterServiceVersion {
  const controllers = operatorControllers();
  const controllerOf = (def: KindDefinition) => controllers.find((c) => c.for.group === GROUP && c.for.kind === def.kind);
  const reconciled = ALL_KINDS.filter(controllerOf).map((d) => d.kind);
  const deploymentSpec = operatorDeploymentSpec(inputs.deployment, inputs.operatorImage);
  if (deploymentSpec.template.spec?.serviceAccountName !== OPERATOR_ACCOUNT) {
    throw new BundleInputError(`operator/deploy/base/deployment.yaml runs as "${String(deploymentSpec.template.spec?.serviceAccountName)}", but the generated RBAC binds "${OPERATOR_ACCOUNT}"`);
  }
  return {
    apiVersion: CSV_API_VERSION,
    kind: 'ClusterServiceVersion',
    metadata: {
      name: csvName(inputs.version),
      annotations: {
        'alm-examples': JSON.stringify(almExamples(inputs.samples), null, 2),
        capabilities: listing.CAPABILITIES,
        categories: listing.CATEGORIES.join(','),
        containerImage: inputs.operatorImage,
        ...(inputs.createdAt ? { createdAt: inputs.createdAt } : {}),
        description: listing.SHORT_DESCRIPTION,
        repository: listing.REPOSITORY,
        support: listing.MAINTAINERS[0]!.name,
        'operatorframework.io/suggested-namespace': listing.SUGGESTED_NAMESPACE,
        ...(inputs.upgrade ? { 'olm.skipRange': inputs.upgrade.skipRange } : {}),
      },
    },
    spec: {
      displayName: listing.DISPLAY_NAME,
      description: longDescriptionFor(reconciled),
      version: inputs.version,
      ...(inputs.upgrade ? { replaces: inputs.upgrade.replaces } : {}),
      minKubeVersion: MIN_KUBE_VERSION,
      maturity: listing.MATURITY,
      provider: listing.PROVIDER,
      maintainers: listing.MAINTAINERS,
      links: listing.LINKS,
      keywords: listing.KEYWORDS,
      icon: [{ base64data: Buffer.from(inputs.iconSvg).toString('base64'), mediatype: 'image/svg+xml' }],
      // The operator's informers watch every namespace and each Vizier gets a ClusterRole, so
      // it runs cluster-wide only; an OperatorGroup that targets namespaces cannot install it.
      installModes: [
        { type: 'OwnNamespace', supported: false },
        { type: 'SingleNamespace', supported: false },
        { type: 'MultiNamespace', supported: false },
        { type: 'AllNamespaces', supported: true },
      ],
      customresourcedefinitions: {
        owned: ALL_KINDS.map((def) => ownedCrd(def, controllerOf(def))),
      },
      install: {
        strategy: 'deployment',
        spec: {
          clusterPermissions: [{ serviceAccountName: OPERATOR_ACCOUNT, rules: rulesOf(clusterPermissions(controllers)) }],
          permissions: [{ serviceAccountName: OPERATOR_ACCOUNT, rules: rulesOf([LEADER_ELECTION_PERMISSIONS]) }],
          deployments: [{ name: inputs.deployment.metadata?.name ?? listing.PACKAGE, label: inputs.deployment.metadata?.labels ?? {}, spec: deploymentSpec }],
        },
      },
      relatedImages: relatedImages(inputs.operatorImage, vizierImages()),
    },
  };
}

function longDescriptionFor(reconciled: readonly string[]): string {
  return listing.longDescription({
    reconciled,
    notReconciled: ALL_KINDS.map((d) => d.kind).filter((k) => !reconciled.includes(k)),
    minKube: `1.${MIN_KUBE_MINOR}`,
  });
}
