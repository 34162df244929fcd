// The rules `opm validate` applies to a file-based catalog (operator-registry's declcfg loading,
// its conversion to the model, and the model's validation: packages, channels, bundles,
// properties, the upgrade graph), written again here, plus the check that the catalog's newest
// bundle is the bundle in olm-bundle/bundle. Pure: the catalog comes in as its files.
import { parseAllDocuments } from 'yaml';
import { bundleChannels, csvOf, type LoadedBundle, type Rule } from './bundle-rules.js';
import type { BundleBlob, ChannelBlob, ChannelEntry, PackageBlob } from './catalog.js';
import { parseImageRef } from './image-ref.js';
import { parseSemVer, parseSemVerRange } from './semver.js';

type Obj = Record<string, unknown>;

export interface LoadedCatalog {
  /** Every object of every file, with the file it came from (relative to the catalog folder). */
  blobs: { file: string; blob: Obj }[];
  /** Files that do not parse, with the parser's message. */
  unreadable: string[];
}

export function loadCatalog(files: ReadonlyMap<string, string>): LoadedCatalog {
  const out: LoadedCatalog = { blobs: [], unreadable: [] };
  for (const [file, text] of [...files].sort(([a], [b]) => a.localeCompare(b))) {
    const docs = parseAllDocuments(text);
    const errors = (Array.isArray(docs) ? docs : [docs]).flatMap((d) => d.errors.map((e) => e.message));
    if (!Array.isArray(docs) || errors.length) {
      out.unreadable.push(`${file}: ${errors[0] ?? 'not YAML or JSON'}`);
      continue;
    }
    for (const d of docs) {
      const value = d.toJS() as unknown;
      if (value !== null) out.blobs.push({ file, blob: (typeof value === 'object' && !Array.isArray(value) ? value : { value }) as Obj });
    }
  }
  return out;
}

const ofSchema = <T>(c: LoadedCatalog, schema: string) => c.blobs.filter((b) => b.blob['schema'] === schema).map((b) => b.blob as unknown as T);
export const packagesOf = (c: LoadedCatalog) => ofSchema<PackageBlob>(c, 'olm.package');
export const channelsOf = (c: LoadedCatalog) => ofSchema<ChannelBlob>(c, 'olm.channel');
export const bundlesOf = (c: LoadedCatalog) => ofSchema<BundleBlob>(c, 'olm.bundle');

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const isString = (v: unknown): v is string => typeof v === 'string' && v !== '';

/** The olm.package property values of a bundle. */
const packageProps = (b: BundleBlob) => (b.properties ?? []).filter((p) => p.type === 'olm.package').map((p) => p.value as { packageName?: unknown; version?: unknown });

/** Channel entries nothing replaces or skips: the heads of the channel's graph. */
export function channelHeads(entries: readonly ChannelEntry[]): string[] {
  const incoming = new Set(entries.flatMap((e) => [...(e.replaces ? [e.replaces] : []), ...(e.skips ?? [])]));
  return entries.map((e) => e.name).filter((n) => !incoming.has(n));
}

/** What is wrong with a channel's upgrade graph, as opm finds it: one head, no cycle along replaces, nothing stranded. */
export function graphProblems(channel: ChannelBlob): string[] {
  const entries = channel.entries ?? [];
  const heads = channelHeads(entries);
  if (heads.length !== 1) return [heads.length === 0 ? `channel ${channel.name} has no head: every entry is replaced or skipped by another` : `channel ${channel.name} has ${heads.length} heads (${heads.sort().join(', ')}): exactly one entry must be replaced by none`];
  const byName = new Map(entries.map((e) => [e.name, e]));
  const skipped = new Set(entries.flatMap((e) => e.skips ?? []));
  const chain = [heads[0]!];
  for (let cur = byName.get(heads[0]!); cur?.replaces && !skipped.has(cur.replaces); cur = byName.get(cur.replaces)) {
    if (chain.includes(cur.replaces)) return [`channel ${channel.name} has a cycle in replaces: ${[...chain.slice(chain.indexOf(cur.replaces)), cur.replaces].join(' -> ')}`];
    chain.push(cur.replaces);
  }
  const stranded = entries.map((e) => e.name).filter((n) => !chain.includes(n) && !skipped.has(n));
  return stranded.length ? [`channel ${channel.name} strands ${stranded.sort().join(', ')}: no replaces chain from the head ${heads[0]} reaches them`] : [];
}

export const CATALOG_RULES: readonly Rule<LoadedCatalog>[] = [
  {
    id: 'fbc/parse',
    source: 'operator-registry declcfg.LoadFS (missing root schema field)',
    description: 'every file parses as YAML or JSON objects, each with a schema',
    check: (c) => [
      ...c.unreadable.map((u) => `${u}: every file in the catalog must be a declarative config`),
      ...c.blobs.filter((b) => !isString(b.blob['schema'])).map((b) => `${b.file}: an object without a schema field`),
    ],
  },
  {
    id: 'fbc/package',
    source: 'operator-registry ConvertToModel, Package.Validate; loupe (one operator per catalog)',
    description: 'exactly one olm.package, named as a DNS-1123 label, with an icon that has data and a media type',
    check: (c) => {
      const pkgs = packagesOf(c);
      if (pkgs.length !== 1) return [`the catalog has ${pkgs.length} olm.package blobs; it ships one operator, so exactly one`];
      const p = pkgs[0]!;
      const out: string[] = [];
      if (!isString(p.name) || !DNS1123_LABEL.test(p.name) || p.name.length > 63) out.push(`package name ${JSON.stringify(p.name)} is not a DNS-1123 label`);
      if (!p.icon?.base64data || !p.icon.mediatype) out.push(`package ${p.name} needs an icon with base64data and mediatype`);
      return out;
    },
  },
  {
    id: 'fbc/default-channel',
    source: 'operator-registry Package.Validate (default channel must be set / not found)',
    description: 'each package names a default channel, and an olm.channel of that name exists in it',
    check: (c) =>
      packagesOf(c).flatMap((p) => {
        if (!isString(p.defaultChannel)) return [`package ${p.name} has no defaultChannel`];
        return channelsOf(c).some((ch) => ch.package === p.name && ch.name === p.defaultChannel) ? [] : [`package ${p.name}'s default channel ${p.defaultChannel} is not an olm.channel of it`];
      }),
  },
  {
    id: 'fbc/channels',
    source: 'operator-registry ConvertToModel, Channel.Validate',
    description: 'each channel belongs to a known package, has a name unique in it, and has entries, each named once',
    check: (c) => {
      const packages = new Set(packagesOf(c).map((p) => p.name));
      const seen = new Set<string>();
      return channelsOf(c).flatMap((ch) => {
        const out: string[] = [];
        if (!packages.has(ch.package)) out.push(`channel ${ch.name} names unknown package ${JSON.stringify(ch.package)}`);
        if (!isString(ch.name)) out.push(`package ${ch.package} has a channel without a name`);
        const key = `${ch.package}/${ch.name}`;
        if (seen.has(key)) out.push(`package ${ch.package} has channel ${ch.name} twice`);
        seen.add(key);
        const names = (ch.entries ?? []).map((e) => e.name);
        if (names.length === 0) out.push(`channel ${ch.name} has no entries`);
        names.forEach((n, i) => {
          if (!isString(n)) out.push(`channel ${ch.name} entry ${i} has no name`);
          else if (names.indexOf(n) !== i) out.push(`channel ${ch.name} lists ${n} twice`);
        });
        return out;
      });
    },
  },
  {
    id: 'fbc/entries-have-bundles',
    source: 'operator-registry ConvertToModel (no olm.bundle blobs found for olm.channel entries; bundle not found in any channel entries)',
    description: 'every channel entry is an olm.bundle of the catalog and every olm.bundle is in a channel',
    check: (c) => {
      const bundles = bundlesOf(c);
      const entries = channelsOf(c).flatMap((ch) => (ch.entries ?? []).map((e) => ({ channel: ch, entry: e })));
      return [
        ...entries.filter(({ channel, entry }) => !bundles.some((b) => b.package === channel.package && b.name === entry.name)).map(({ channel, entry }) => `channel ${channel.name} lists ${entry.name}, which has no olm.bundle`),
        ...bundles.filter((b) => !entries.some(({ channel, entry }) => channel.package === b.package && entry.name === b.name)).map((b) => `olm.bundle ${b.name} is in no channel`),
      ];
    },
  },
  {
    id: 'fbc/bundles',
    source: 'operator-registry ConvertToModel, Bundle.Validate, validateUniqueBundleVersions, validateImagePullSpec',
    description: 'each olm.bundle has a name unique in its known package, exactly one olm.package property naming that package with a semantic version unique in the package, and a pullable image',
    check: (c) => {
      const packages = new Set(packagesOf(c).map((p) => p.name));
      const versions = new Map<string, string>();
      return bundlesOf(c).flatMap((b, i, all) => {
        const out: string[] = [];
        if (!isString(b.name)) return [`an olm.bundle of ${b.package} has no name`];
        if (!packages.has(b.package)) out.push(`olm.bundle ${b.name} names unknown package ${JSON.stringify(b.package)}`);
        if (all.findIndex((o) => o.package === b.package && o.name === b.name) !== i) out.push(`package ${b.package} has olm.bundle ${b.name} twice`);
        const props = packageProps(b);
        if (props.length !== 1) out.push(`olm.bundle ${b.name} has ${props.length} olm.package properties, it needs exactly 1`);
        const prop = props[0];
        if (prop && prop.packageName !== b.package) out.push(`olm.bundle ${b.name}: its olm.package property names ${JSON.stringify(prop.packageName)}, the bundle ${b.package}`);
        if (prop && (typeof prop.version !== 'string' || !parseSemVer(prop.version))) out.push(`olm.bundle ${b.name}: version ${JSON.stringify(prop.version)} is not a semantic version`);
        else if (prop) {
          const other = versions.get(`${b.package}@${String(prop.version)}`);
          if (other) out.push(`olm.bundle ${b.name} has version ${String(prop.version)}, like ${other}`);
          versions.set(`${b.package}@${String(prop.version)}`, b.name);
        }
        const image = parseImageRef(b.image ?? '');
        if (typeof image === 'string') out.push(`olm.bundle ${b.name} image: ${image}`);
        (b.relatedImages ?? []).forEach((r, j) => {
          const ref = parseImageRef(r.image ?? '');
          if (typeof ref === 'string') out.push(`olm.bundle ${b.name} relatedImages[${j}]: ${ref}`);
        });
        return out;
      });
    },
  },
  {
    id: 'fbc/bundle-names',
    source: 'operator-registry Bundle.Validate (normalized name); loupe (CSV naming)',
    description: 'each olm.bundle is named <package>.v<version>, its ClusterServiceVersion\'s name',
    check: (c) =>
      bundlesOf(c).flatMap((b) => {
        const version = packageProps(b)[0]?.version;
        return typeof version === 'string' && b.name !== `${b.package}.v${version}` ? [`olm.bundle ${b.name} should be named ${b.package}.v${version}`] : [];
      }),
  },
  {
    id: 'fbc/properties',
    source: 'operator-registry property.Parse, Property.Validate',
    description: 'every property has a type and a value of its shape: olm.gvk group, kind and version; olm.package packageName and version; olm.csv.metadata an object',
    check: (c) =>
      bundlesOf(c).flatMap((b) =>
        (b.properties ?? []).flatMap((p, i) => {
          const where = `olm.bundle ${b.name} properties[${i}]`;
          if (!isString(p.type)) return [`${where} has no type`];
          if (p.value === undefined || p.value === null) return [`${where} (${p.type}) has no value`];
          const v = p.value as Obj;
          const fields = (...names: string[]) => names.filter((n) => !isString(v[n])).map((n) => `${where} (${p.type}) has no ${n}`);
          if (p.type === 'olm.gvk') return isObj(v) ? fields('group', 'kind', 'version') : [`${where} (olm.gvk) is not an object`];
          if (p.type === 'olm.package') return isObj(v) ? fields('packageName', 'version') : [`${where} (olm.package) is not an object`];
          if (p.type === 'olm.csv.metadata') return isObj(v) ? [] : [`${where} (olm.csv.metadata) is not an object`];
          return [];
        }),
      ),
  },
  {
    id: 'fbc/upgrade-graph',
    source: 'operator-registry Channel.validateReplacesChain, Bundle.Validate (skips, skipRange)',
    description: 'each channel has one head, no cycle along replaces, no stranded entry, non-empty skips and skipRanges that parse',
    check: (c) =>
      channelsOf(c).flatMap((ch) => [
        ...(ch.entries?.length ? graphProblems(ch) : []),
        ...(ch.entries ?? []).flatMap((e) => [
          ...(e.skips ?? []).filter((s) => !isString(s)).map(() => `channel ${ch.name} entry ${e.name} has an empty skip`),
          ...(e.skipRange === undefined ? [] : [parseSemVerRange(e.skipRange)].filter((r): r is string => typeof r === 'string').map((r) => `channel ${ch.name} entry ${e.name} skipRange: ${r}`)),
        ]),
      ]),
  },
];

/** Every problem the catalog rules find, each prefixed with the rule's id. */
export function catalogProblems(files: ReadonlyMap<string, string>): string[] {
  const catalog = loadCatalog(files);
  return CATALOG_RULES.flatMap((r) => r.check(catalog).map((p) => `${r.id}: ${p}`));
}

export interface BundleAndCatalog {
  readonly bundle: LoadedBundle;
  readonly catalog: LoadedCatalog;
}

/**
 * What opm would see differently if it rendered the bundle image built from olm-bundle/bundle
 * than what the catalog says about that bundle: the catalog's newest bundle must be it.
 */
function bundleInCatalogProblems({ bundle, catalog }: BundleAndCatalog): string[] {
  const csv = csvOf(bundle);
  if (!csv) return [];
  const name = csv.metadata?.name;
  const blob = bundlesOf(catalog).find((b) => b.name === name);
  if (!blob) return [`the catalog has no olm.bundle ${name}`];
  const out: string[] = [];
  const pkg = String(bundle.annotations?.['operators.operatorframework.io.bundle.package.v1']);
  if (blob.package !== pkg) out.push(`olm.bundle ${name} is in package ${blob.package}, annotations.yaml says ${pkg}`);
  if (packageProps(blob)[0]?.version !== csv.spec?.version) out.push(`olm.bundle ${name} has version ${String(packageProps(blob)[0]?.version)}, the CSV ${csv.spec?.version}`);
  const gvks = (blob.properties ?? []).filter((p) => p.type === 'olm.gvk').map((p) => p.value as { group?: string; version?: string; kind?: string }).map((g) => `${g.group}/${g.version}/${g.kind}`).sort();
  const owned = (csv.spec?.customresourcedefinitions?.owned ?? []).map((o) => `${(o.name ?? '').slice((o.name ?? '').indexOf('.') + 1)}/${o.version}/${o.kind}`).sort();
  if (gvks.join() !== owned.join()) out.push(`olm.bundle ${name} provides ${gvks.join(', ')}; the CSV owns ${owned.join(', ')}`);
  for (const r of csv.spec?.relatedImages ?? []) if (!(blob.relatedImages ?? []).some((o) => o.image === r.image)) out.push(`olm.bundle ${name} relatedImages lack ${r.image}`);
  const channels = channelsOf(catalog).filter((ch) => (ch.entries ?? []).some((e) => e.name === name));
  const declared = bundleChannels(bundle);
  if (channels.map((ch) => ch.name).sort().join() !== [...declared].sort().join()) out.push(`${name} is in channels ${channels.map((ch) => ch.name).join(', ') || 'none'}; annotations.yaml declares ${declared.join(', ')}`);
  const def = bundle.annotations?.['operators.operatorframework.io.bundle.channel.default.v1'];
  const pkgBlob = packagesOf(catalog).find((p) => p.name === blob.package);
  if (def !== undefined && pkgBlob && pkgBlob.defaultChannel !== def) out.push(`the catalog's default channel is ${pkgBlob.defaultChannel}, annotations.yaml's ${String(def)}`);
  for (const ch of channels) {
    const entry = ch.entries.find((e) => e.name === name)!;
    if (channelHeads(ch.entries).join() !== name) out.push(`${name} is not the head of channel ${ch.name}: a bundle newer than package.json's version is in the catalog`);
    if ((entry.replaces ?? '') !== (csv.spec?.replaces ?? '')) out.push(`channel ${ch.name} says ${name} replaces ${entry.replaces ?? 'nothing'}, the CSV ${csv.spec?.replaces ?? 'nothing'}`);
    if ((entry.skipRange ?? '') !== (csv.metadata?.annotations?.['olm.skipRange'] ?? '')) out.push(`channel ${ch.name} gives ${name} skipRange ${entry.skipRange ?? 'none'}, the CSV's olm.skipRange is ${csv.metadata?.annotations?.['olm.skipRange'] ?? 'none'}`);
  }
  return out;
}

export const BUNDLE_IN_CATALOG: Rule<BundleAndCatalog> = {
  id: 'fbc/bundle-in-catalog',
  source: 'loupe (what opm render makes of the bundle image built from olm-bundle/bundle)',
  description: 'the catalog\'s olm.bundle for the CSV has its package, version, GVKs and related images, heads the channels annotations.yaml declares, with the CSV\'s replaces and skipRange',
  check: bundleInCatalogProblems,
};
