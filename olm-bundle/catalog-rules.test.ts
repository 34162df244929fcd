// Each catalog rule: the generated catalog passes it, and each change that breaks it is caught
// with a message that says what is wrong. Then the upgrade graph over several releases.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BUNDLE_IN_CATALOG, bundlesOf, CATALOG_RULES, channelsOf, graphProblems, packagesOf, type LoadedCatalog } from './catalog-rules.js';
import { csvOf, type LoadedBundle } from './bundle-rules.js';
import type { BundleBlob, ChannelBlob, ChannelEntry } from './catalog.js';
import { assertRule, generated, uncovered, type BreakCase } from './fixtures.test-util.js';

const GENERATED = generated();

const pkg = (c: LoadedCatalog) => packagesOf(c)[0]!;
const channel = (c: LoadedCatalog) => channelsOf(c)[0]!;
const bundle = (c: LoadedCatalog) => bundlesOf(c)[0]!;
const add = (c: LoadedCatalog, blob: object, file = 'loupe-operator/extra.yaml') => c.blobs.push({ file, blob: blob as Record<string, unknown> });
const older = (c: LoadedCatalog, version: string): BundleBlob => {
  const b = structuredClone(bundle(c));
  b.name = `loupe-operator.v${version}`;
  b.properties = b.properties.map((p) => (p.type === 'olm.package' ? { ...p, value: { packageName: 'loupe-operator', version } } : p));
  return b;
};
const chain = (...entries: ChannelEntry[]): ChannelBlob => ({ schema: 'olm.channel', package: 'loupe-operator', name: 'candidate-v0', entries });

const CASES: Record<string, BreakCase<LoadedCatalog>[]> = {
  'fbc/parse': [
    { name: 'a file that does not parse', change: (c) => c.unreadable.push('loupe-operator/notes.yaml: unexpected end'), says: /notes.yaml: unexpected end: every file in the catalog must be a declarative config/ },
    { name: 'a README among the blobs', change: (c) => add(c, { value: 'Loupe catalog' }, 'README.md'), says: /README.md: an object without a schema field/ },
  ],
  'fbc/package': [
    { name: 'two packages', change: (c) => add(c, { ...pkg(c), name: 'loupe-operator-2' }), says: /the catalog has 2 olm.package blobs/ },
    { name: 'a name with capitals', change: (c) => (pkg(c).name = 'Loupe'), says: /package name "Loupe" is not a DNS-1123 label/ },
    { name: 'no icon', change: (c) => delete pkg(c).icon, says: /package loupe-operator needs an icon/ },
  ],
  'fbc/default-channel': [
    { name: 'a default channel that does not exist', change: (c) => (pkg(c).defaultChannel = 'stable-v1'), says: /default channel stable-v1 is not an olm.channel of it/ },
    { name: 'no default channel', change: (c) => (pkg(c).defaultChannel = ''), says: /package loupe-operator has no defaultChannel/ },
  ],
  'fbc/channels': [
    { name: 'a channel of an unknown package', change: (c) => (channel(c).package = 'other'), says: /channel candidate-v0 names unknown package "other"/ },
    { name: 'a channel twice', change: (c) => add(c, structuredClone(channel(c))), says: /package loupe-operator has channel candidate-v0 twice/ },
    { name: 'a channel without entries', change: (c) => (channel(c).entries = []), says: /channel candidate-v0 has no entries/ },
    { name: 'an entry twice', change: (c) => channel(c).entries.push({ ...channel(c).entries[0]! }), says: /channel candidate-v0 lists loupe-operator.v0.1.0 twice/ },
  ],
  'fbc/entries-have-bundles': [
    { name: 'an entry without its bundle', change: (c) => channel(c).entries.push({ name: 'loupe-operator.v0.0.9' }), says: /channel candidate-v0 lists loupe-operator.v0.0.9, which has no olm.bundle/ },
    { name: 'a bundle in no channel', change: (c) => add(c, older(c, '0.0.9')), says: /olm.bundle loupe-operator.v0.0.9 is in no channel/ },
  ],
  'fbc/bundles': [
    { name: 'two olm.package properties', change: (c) => bundle(c).properties.push({ type: 'olm.package', value: { packageName: 'loupe-operator', version: '0.1.0' } }), says: /has 2 olm.package properties, it needs exactly 1/ },
    { name: 'a property naming another package', change: (c) => (bundle(c).properties[0]!.value = { packageName: 'other', version: '0.1.0' }), says: /its olm.package property names "other", the bundle loupe-operator/ },
    { name: 'a version with a leading v', change: (c) => (bundle(c).properties[0]!.value = { packageName: 'loupe-operator', version: 'v0.1.0' }), says: /version "v0.1.0" is not a semantic version/ },
    { name: 'two bundles of one version', change: (c) => add(c, { ...older(c, '0.1.0'), name: 'loupe-operator.v0.1.0-copy' }), says: /olm.bundle loupe-operator.v0.1.0-copy has version 0.1.0, like loupe-operator.v0.1.0/ },
    { name: 'no image', change: (c) => (bundle(c).image = ''), says: /olm.bundle loupe-operator.v0.1.0 image: the image reference is empty/ },
    { name: 'a related image with a bad digest', change: (c) => (bundle(c).relatedImages![1]!.image = 'ghcr.io/loupe-dev/loupe@sha256:xyz'), says: /relatedImages\[1\]: .* digest "sha256:xyz" is not ALGORITHM:HEX/ },
    { name: 'a bundle of an unknown package', change: (c) => (bundle(c).package = 'other'), says: /olm.bundle loupe-operator.v0.1.0 names unknown package "other"/ },
  ],
  'fbc/bundle-names': [{ name: 'a name not after the version', change: (c) => (bundle(c).name = 'loupe-operator-0.1.0'), says: /olm.bundle loupe-operator-0.1.0 should be named loupe-operator.v0.1.0/ }],
  'fbc/properties': [
    { name: 'a GVK without a kind', change: (c) => (bundle(c).properties[1]!.value = { group: 'loupe.dev', version: 'v1alpha1' }), says: /properties\[1\] \(olm.gvk\) has no kind/ },
    { name: 'a property without a type', change: (c) => bundle(c).properties.push({ type: '', value: {} }), says: /has no type/ },
    { name: 'CSV metadata that is a string', change: (c) => (bundle(c).properties.at(-1)!.value = 'Loupe'), says: /\(olm.csv.metadata\) is not an object/ },
  ],
  'fbc/upgrade-graph': [
    { name: 'two heads', change: (c) => channel(c).entries.push({ name: 'loupe-operator.v0.0.9' }), says: /channel candidate-v0 has 2 heads \(loupe-operator.v0.0.9, loupe-operator.v0.1.0\)/ },
    { name: 'a skipRange that does not parse', change: (c) => (channel(c).entries[0]!.skipRange = 'below 0.1.0'), says: /entry loupe-operator.v0.1.0 skipRange: "below" in "below 0.1.0" is not an operator/ },
    { name: 'an empty skip', change: (c) => (channel(c).entries[0]!.skips = ['']), says: /entry loupe-operator.v0.1.0 has an empty skip/ },
  ],
};

for (const rule of CATALOG_RULES) {
  test(`catalog rule ${rule.id}: ${rule.description} (${rule.source})`, () => assertRule(rule, GENERATED.catalog, CASES[rule.id] ?? []));
}

test('every catalog rule has a case that breaks it, and every case names a rule', () => {
  assert.deepEqual(uncovered(CATALOG_RULES, CASES), { rulesWithoutCases: [], casesWithoutRules: [] });
});

const CROSS_CASES: BreakCase<{ bundle: LoadedBundle; catalog: LoadedCatalog }>[] = [
  { name: 'the bundle missing from the catalog', change: (x) => (bundle(x.catalog).name = 'loupe-operator.v0.0.1'), says: /the catalog has no olm.bundle loupe-operator.v0.1.0/ },
  { name: 'another version', change: (x) => (bundle(x.catalog).properties[0]!.value = { packageName: 'loupe-operator', version: '0.1.1' }), says: /has version 0.1.1, the CSV 0.1.0/ },
  { name: 'a GVK the CSV does not own', change: (x) => bundle(x.catalog).properties.splice(1, 1), says: /provides loupe.dev\/v1alpha1\/\w+(, loupe.dev\/v1alpha1\/\w+){4}; the CSV owns/ },
  { name: 'a related image the catalog lacks', change: (x) => (bundle(x.catalog).relatedImages = bundle(x.catalog).relatedImages!.slice(0, 1)), says: /relatedImages lack ghcr.io\/loupe-dev\/loupe:0.1.0/ },
  { name: 'a channel annotations.yaml does not declare', change: (x) => (channel(x.catalog).name = 'fast-v0'), says: /is in channels fast-v0; annotations.yaml declares candidate-v0/ },
  { name: 'a replaces the CSV does not have', change: (x) => (channel(x.catalog).entries[0]!.replaces = 'loupe-operator.v0.0.9'), says: /channel candidate-v0 says loupe-operator.v0.1.0 replaces loupe-operator.v0.0.9, the CSV nothing/ },
  { name: 'a skipRange the CSV does not have', change: (x) => (channel(x.catalog).entries[0]!.skipRange = '<0.1.0'), says: /gives loupe-operator.v0.1.0 skipRange <0.1.0, the CSV's olm.skipRange is none/ },
  {
    name: 'a newer bundle heading the channel',
    change: (x) => {
      add(x.catalog, older(x.catalog, '0.2.0'));
      channel(x.catalog).entries.push({ name: 'loupe-operator.v0.2.0', replaces: 'loupe-operator.v0.1.0' });
    },
    says: /loupe-operator.v0.1.0 is not the head of channel candidate-v0/,
  },
  { name: 'a default channel unlike annotations.yaml', change: (x) => (pkg(x.catalog).defaultChannel = 'stable-v0'), says: /the catalog's default channel is stable-v0, annotations.yaml's candidate-v0/ },
];

test(`rule ${BUNDLE_IN_CATALOG.id}: ${BUNDLE_IN_CATALOG.description}`, () => {
  assertRule(BUNDLE_IN_CATALOG, { bundle: GENERATED.bundle, catalog: GENERATED.catalog }, CROSS_CASES);
  assert.equal(csvOf(GENERATED.bundle)?.metadata?.name, 'loupe-operator.v0.1.0');
});

test('upgrade graph: a chain through replaces, with skips, has one head and nothing stranded', () => {
  assert.deepEqual(graphProblems(chain({ name: 'a.v3', replaces: 'a.v2', skipRange: '>=1.0.0 <3.0.0' }, { name: 'a.v2', replaces: 'a.v1' }, { name: 'a.v1' })), []);
  assert.deepEqual(graphProblems(chain({ name: 'a.v3', replaces: 'a.v2', skips: ['a.v1'] }, { name: 'a.v2', replaces: 'a.v1' }, { name: 'a.v1' })), [], 'a skipped entry is not stranded');
  assert.deepEqual(graphProblems(chain({ name: 'a.v3', replaces: 'a.v2', skips: ['a.v2'] }, { name: 'a.v2', replaces: 'a.v1' }, { name: 'a.v1' })), [
    'channel candidate-v0 strands a.v1: no replaces chain from the head a.v3 reaches them',
  ], 'as in opm, the chain stops at a skipped entry, so what only it replaces is stranded');
});

test('upgrade graph: a cycle along replaces is named with its path', () => {
  assert.deepEqual(graphProblems(chain({ name: 'a.v3', replaces: 'a.v2' }, { name: 'a.v2', replaces: 'a.v1' }, { name: 'a.v1', replaces: 'a.v2' })), [
    'channel candidate-v0 has a cycle in replaces: a.v2 -> a.v1 -> a.v2',
  ]);
  assert.deepEqual(graphProblems(chain({ name: 'a.v2', replaces: 'a.v1' }, { name: 'a.v1', replaces: 'a.v2' })), ['channel candidate-v0 has no head: every entry is replaced or skipped by another']);
});

test('upgrade graph: an entry only a skipped entry replaces is stranded', () => {
  assert.deepEqual(graphProblems(chain({ name: 'a.v3', replaces: 'a.v2', skips: ['a.v2b'] }, { name: 'a.v2' }, { name: 'a.v2b', replaces: 'a.v1' }, { name: 'a.v1' })), [
    'channel candidate-v0 strands a.v1: no replaces chain from the head a.v3 reaches them',
  ]);
});
