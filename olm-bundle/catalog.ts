// The file-based catalog (FBC) OLM reads: one olm.package, one olm.channel per channel with the
// upgrade graph, one olm.bundle per released version. Pure: the blobs of earlier releases and
// the current ClusterServiceVersion come in as arguments.
import { CHANNEL, DEFAULT_CHANNEL, PACKAGE, SHORT_DESCRIPTION } from './listing.js';
import { compareSemVer, parseSemVer, type SemVer } from './semver.js';
import { BundleInputError, csvName, type ClusterServiceVersion, type Icon, type RelatedImage, type UpgradeEdge } from './csv.js';

export interface Property {
  type: string;
  value: unknown;
}

export interface PackageBlob {
  schema: 'olm.package';
  name: string;
  defaultChannel: string;
  description?: string;
  icon?: Icon;
}

export interface ChannelEntry {
  name: string;
  replaces?: string;
  skips?: string[];
  skipRange?: string;
}

export interface ChannelBlob {
  schema: 'olm.channel';
  package: string;
  name: string;
  entries: ChannelEntry[];
}

export interface BundleBlob {
  schema: 'olm.bundle';
  name: string;
  package: string;
  image: string;
  properties: Property[];
  relatedImages?: RelatedImage[];
}

export type Blob = PackageBlob | ChannelBlob | BundleBlob;

function semverOf(version: string, what: string): SemVer {
  const v = parseSemVer(version);
  if (!v) throw new BundleInputError(`${what} version "${version}" is not a semantic version (MAJOR.MINOR.PATCH)`);
  return v;
}

/**
 * How `version` is reached from the `released` versions before it: it replaces the newest of
 * them, and a cluster on any of them may jump straight to it. Undefined for the first release.
 */
export function upgradeEdge(released: readonly string[], version: string): UpgradeEdge | undefined {
  const v = semverOf(version, 'the bundle');
  const older = released.filter((r) => compareSemVer(semverOf(r, 'a released bundle'), v) < 0).sort((a, b) => compareSemVer(parseSemVer(a)!, parseSemVer(b)!));
  if (older.length === 0) return undefined;
  return { replaces: csvName(older.at(-1)!), skipRange: `>=${older[0]} <${version}` };
}

/** The olm.bundle blob `opm render` would write for the bundle image holding `csv`. */
export function bundleBlob(csv: ClusterServiceVersion, bundleImage: string): BundleBlob {
  const spec = csv.spec;
  const owned = spec.customresourcedefinitions.owned;
  const metadata = {
    annotations: csv.metadata.annotations,
    crdDescriptions: spec.customresourcedefinitions,
    description: spec.description,
    displayName: spec.displayName,
    installModes: spec.installModes,
    keywords: spec.keywords,
    links: spec.links,
    maintainers: spec.maintainers,
    maturity: spec.maturity,
    minKubeVersion: spec.minKubeVersion,
    provider: spec.provider,
  };
  return {
    schema: 'olm.bundle',
    name: csv.metadata.name,
    package: PACKAGE,
    image: bundleImage,
    properties: [
      { type: 'olm.package', value: { packageName: PACKAGE, version: spec.version } },
      ...owned.map((o) => ({ type: 'olm.gvk', value: { group: o.name.slice(o.name.indexOf('.') + 1), kind: o.kind, version: o.version } })),
      { type: 'olm.csv.metadata', value: metadata },
    ],
    relatedImages: [{ name: 'bundle', image: bundleImage }, ...spec.relatedImages],
  };
}

/** The version an olm.bundle blob carries in its olm.package property. */
export function bundleVersion(blob: BundleBlob): string | undefined {
  const value = blob.properties.find((p) => p.type === 'olm.package')?.value as { version?: unknown } | undefined;
  return typeof value?.version === 'string' ? value.version : undefined;
}

export function packageBlob(icon: Icon): PackageBlob {
  return { schema: 'olm.package', name: PACKAGE, defaultChannel: DEFAULT_CHANNEL, description: SHORT_DESCRIPTION, icon };
}

/** The channel holding every bundle, oldest first, each with its upgrade edge. */
export function channelBlob(bundles: readonly BundleBlob[]): ChannelBlob {
  const versioned = bundles.map((b) => {
    const version = bundleVersion(b);
    if (!version) throw new BundleInputError(`catalog bundle ${b.name} has no olm.package property with a version`);
    return { name: b.name, version, semver: semverOf(version, `catalog bundle ${b.name}`) };
  });
  const versions = versioned.map((b) => b.version);
  return {
    schema: 'olm.channel',
    package: PACKAGE,
    name: CHANNEL,
    entries: versioned.sort((a, b) => compareSemVer(a.semver, b.semver)).map((b) => ({ name: b.name, ...(upgradeEdge(versions, b.version) ?? {}) })),
  };
}
