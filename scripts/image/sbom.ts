// The image's software bill of materials as an SPDX 2.3 JSON document: the Debian packages of the
// root file system (with their versions, as purls), the Node release that runs Loupe and the npm
// packages shipped in /opt/loupe/node_modules. Pure: the build reads the inputs and writes it.

export interface DebianPackage {
  name: string;
  version: string;
  architecture: string;
  /** The source package when it differs from the binary one ("glibc" for libc6). */
  source?: string;
}

export interface NpmPackage {
  name: string;
  version: string;
  /** package.json's `license` when it is a string, else undefined (NOASSERTION). */
  license?: string;
}

export interface SbomInput {
  imageName: string;
  version: string;
  digest: string;
  created: number;
  debianRelease: string;
  debian: DebianPackage[];
  node: { version: string; arch: string };
  npm: NpmPackage[];
}

/** The fields of one Debian control paragraph (a dpkg status entry); continuation lines are folded in. */
export function parseControl(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  let last: string | undefined;
  for (const line of text.split('\n')) {
    if (/^\s/.test(line) && last) fields[last] += `\n${line.trim()}`;
    else {
      const m = /^([A-Za-z0-9-]+):\s*(.*)$/.exec(line);
      if (m) fields[(last = m[1]!)] = m[2]!;
    }
  }
  return fields;
}

export function debianPackage(control: Record<string, string>, origin: string): DebianPackage {
  const { Package: name, Version: version, Architecture: architecture } = control;
  if (!name || !version || !architecture) throw new Error(`${origin}: a Debian package entry needs Package, Version and Architecture (has ${Object.keys(control).join(', ') || 'nothing'})`);
  const source = control['Source']?.split(' ')[0];
  return { name, version, architecture, ...(source && source !== name ? { source } : {}) };
}

const spdxId = (kind: string, name: string, version: string): string => `SPDXRef-${kind}-${`${name}-${version}`.replace(/[^A-Za-z0-9.-]/g, '-')}`;
const purlName = (name: string): string => (name.startsWith('@') ? `%40${name.slice(1)}` : name);

export function spdxDocument(input: SbomInput): Record<string, unknown> {
  const imageId = 'SPDXRef-Image';
  const packages = [
    ...input.debian.map((p) => ({
      SPDXID: spdxId('deb', p.name, p.version),
      name: p.name,
      versionInfo: p.version,
      supplier: 'Organization: Debian',
      downloadLocation: 'NOASSERTION',
      filesAnalyzed: false,
      licenseConcluded: 'NOASSERTION',
      licenseDeclared: 'NOASSERTION',
      ...(p.source ? { sourceInfo: `built from the Debian source package ${p.source}` } : {}),
      externalRefs: [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: `pkg:deb/debian/${p.name}@${encodeURIComponent(p.version)}?arch=${p.architecture}&distro=${input.debianRelease}` }],
    })),
    {
      SPDXID: spdxId('node', 'node', input.node.version),
      name: 'node',
      versionInfo: input.node.version,
      supplier: 'Organization: OpenJS Foundation',
      downloadLocation: `https://registry.npmjs.org/node-linux-${input.node.arch}/-/node-linux-${input.node.arch}-${input.node.version}.tgz`,
      filesAnalyzed: false,
      licenseConcluded: 'NOASSERTION',
      licenseDeclared: 'MIT',
      externalRefs: [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: `pkg:npm/node-linux-${input.node.arch}@${input.node.version}` }],
    },
    ...input.npm.map((p) => ({
      SPDXID: spdxId('npm', p.name, p.version),
      name: p.name,
      versionInfo: p.version,
      downloadLocation: 'NOASSERTION',
      filesAnalyzed: false,
      licenseConcluded: 'NOASSERTION',
      licenseDeclared: p.license ?? 'NOASSERTION',
      externalRefs: [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: `pkg:npm/${purlName(p.name)}@${p.version}` }],
    })),
  ];
  return {
    spdxVersion: 'SPDX-2.3',
    dataLicense: 'CC0-1.0',
    SPDXID: 'SPDXRef-DOCUMENT',
    name: `${input.imageName}:${input.version}`,
    documentNamespace: `https://loupe.dev/spdx/${input.imageName.replace(/[^A-Za-z0-9.-]/g, '-')}-${input.version}-${input.digest.replace('sha256:', '')}`,
    creationInfo: { created: new Date(input.created * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'), creators: ['Tool: loupe scripts/image/build.sh'] },
    documentDescribes: [imageId],
    packages: [
      {
        SPDXID: imageId,
        name: input.imageName,
        versionInfo: input.version,
        downloadLocation: 'NOASSERTION',
        filesAnalyzed: false,
        licenseConcluded: 'NOASSERTION',
        licenseDeclared: 'Apache-2.0',
        checksums: [{ algorithm: 'SHA256', checksumValue: input.digest.replace('sha256:', '') }],
        primaryPackagePurpose: 'CONTAINER',
      },
      ...packages,
    ],
    relationships: packages.map((p) => ({ spdxElementId: imageId, relationshipType: 'CONTAINS', relatedSpdxElement: p.SPDXID })),
  };
}
