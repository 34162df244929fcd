// Writes the Loupe image from what scripts/image/build.sh staged: the Debian root file system (base layer)
// and the application (Node, dist/, production node_modules, the eBPF addon, the `loupe`
// launcher), as an OCI archive with its SPDX SBOM beside it. Run by scripts/image/build.sh; every input
// is a flag so that the output depends on nothing else.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError, parseFlags } from '../../lib/cli.js';
import { buildImage } from './oci.js';
import { debianPackage, parseControl, spdxDocument, type NpmPackage } from './sbom.js';
import { writeTar, type TarEntry } from './tar.js';
import { parentDirs, treeEntries } from './tree.js';

export const APP_ROOT = 'opt/loupe';
export const ENTRYPOINT = '/usr/local/bin/loupe';
/** The image's user unless a pod says otherwise ("nonroot", as distroless numbers it). */
export const IMAGE_USER = '65532:65532';

// Without a shell in the image, the launcher is a Node script: the kernel runs it with the
// image's Node through the #! line; import() loads the ES module CLI from a CommonJS file.
const LAUNCHER = `#!/usr/local/bin/node
// The image's \`loupe\` (bin/loupe in a checkout): dist/bin/cli.js on the Node the image ships.
import('/${APP_ROOT}/dist/bin/cli.js');
`;

/** What of the compiled tree ships: no tests, no end-to-end harness, no repository checks, no source maps of sources that do not ship. */
export function shipsFromDist(path: string): boolean {
  const top = path.split('/')[0];
  return !(top === 'e2e' || top === 'scripts' || path.endsWith('.test.js') || path.endsWith('.map'));
}

function npmPackages(nodeModules: string): NpmPackage[] {
  const found = new Map<string, NpmPackage>();
  const visit = (dir: string): void => {
    if (!existsSync(dir)) return;
    for (const name of readdirSync(dir).sort()) {
      if (name.startsWith('.')) continue;
      if (name.startsWith('@')) {
        for (const sub of readdirSync(join(dir, name)).sort()) readPackage(join(dir, name, sub));
      } else readPackage(join(dir, name));
    }
  };
  const readPackage = (dir: string): void => {
    const manifest = join(dir, 'package.json');
    if (!existsSync(manifest)) return;
    const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown; version?: unknown; license?: unknown };
    if (typeof pkg.name !== 'string' || typeof pkg.version !== 'string') throw new Error(`${manifest}: no name or version`);
    found.set(`${pkg.name}@${pkg.version}`, { name: pkg.name, version: pkg.version, ...(typeof pkg.license === 'string' ? { license: pkg.license } : {}) });
    visit(join(dir, 'node_modules'));
  };
  visit(nodeModules);
  return [...found.values()].sort((a, b) => `${a.name}@${a.version}`.localeCompare(`${b.name}@${b.version}`));
}

function main(): void {
  const { values } = parseFlags({
    options: {
      rootfs: { type: 'string' },
      dist: { type: 'string' },
      'node-modules': { type: 'string' },
      addon: { type: 'string' },
      node: { type: 'string' },
      'node-version': { type: 'string' },
      'package-json': { type: 'string' },
      version: { type: 'string' },
      revision: { type: 'string' },
      source: { type: 'string' },
      'ref-name': { type: 'string' },
      'debian-release': { type: 'string' },
      'debian-variant': { type: 'string' },
      epoch: { type: 'string' },
      arch: { type: 'string' },
      out: { type: 'string' },
      sbom: { type: 'string' },
    },
  });
  const need = (flag: keyof typeof values): string => {
    const v = values[flag];
    if (typeof v !== 'string' || v === '') throw new UsageError(`--${flag} is required (scripts/image/build.sh passes it)`, `--${flag}`);
    return v;
  };
  const epoch = Number(need('epoch'));
  if (!Number.isInteger(epoch) || epoch < 0) throw new UsageError(`--epoch must be whole seconds since 1970 (SOURCE_DATE_EPOCH), not "${values.epoch}"`, '--epoch');
  const version = need('version');
  const rootfs = need('rootfs');

  const base = treeEntries(rootfs, { prefix: '', owners: 'keep' });
  const file = (path: string, mode: number, data: Buffer): TarEntry => ({ kind: 'file', path, mode, uid: 0, gid: 0, data });
  const app: TarEntry[] = [
    ...parentDirs('usr/local/bin/x'),
    file('usr/local/bin/loupe', 0o755, Buffer.from(LAUNCHER)),
    file('usr/local/bin/node', 0o755, readFileSync(need('node'))),
    ...parentDirs(`${APP_ROOT}/x`),
    ...treeEntries(need('dist'), { prefix: `${APP_ROOT}/dist`, owners: 'normalize' }).filter((e) => shipsFromDist(e.path.slice(`${APP_ROOT}/dist/`.length))),
    ...parentDirs(`${APP_ROOT}/native-bpf/build/Release/x`).slice(2),
    file(`${APP_ROOT}/native-bpf/build/Release/loupe_bpf.node`, 0o755, readFileSync(need('addon'))),
    ...treeEntries(need('node-modules'), { prefix: `${APP_ROOT}/node_modules`, owners: 'normalize' }),
    file(`${APP_ROOT}/package.json`, 0o644, readFileSync(need('package-json'))),
  ];
  const revision = need('revision');
  const source = need('source');
  const labels = {
    'org.opencontainers.image.title': 'loupe',
    'org.opencontainers.image.description': 'Loupe: every role (operator, pem, kelvin, query-broker, ...) as `loupe <role>`',
    'org.opencontainers.image.version': version,
    'org.opencontainers.image.revision': revision,
    'org.opencontainers.image.source': source,
    'org.opencontainers.image.created': new Date(epoch * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    'org.opencontainers.image.licenses': 'Apache-2.0',
  };
  const nodeVersion = need('node-version');
  const debianRelease = need('debian-release');
  const image = buildImage({
    layers: [
      { tar: writeTar(base, epoch), createdBy: `scripts/image/build.sh: Debian ${debianRelease} runtime libraries (mmdebstrap --variant=${need('debian-variant')})` },
      { tar: writeTar(app, epoch), createdBy: `scripts/image/build.sh: Node ${nodeVersion}, Loupe ${version} (${revision}) in /${APP_ROOT}` },
    ],
    created: epoch,
    architecture: need('arch'),
    user: IMAGE_USER,
    entrypoint: [ENTRYPOINT],
    env: ['PATH=/usr/local/bin:/usr/bin:/bin'],
    labels,
    refName: need('ref-name'),
  });
  writeFileSync(need('out'), image.archive);

  const statusDir = join(rootfs, 'var/lib/dpkg/status.d');
  const debian = readdirSync(statusDir).sort().map((f) => debianPackage(parseControl(readFileSync(join(statusDir, f), 'utf8')), join(statusDir, f)));
  const sbom = spdxDocument({
    imageName: need('ref-name').replace(/:[^:/]+$/, ''),
    version,
    digest: image.digest,
    created: epoch,
    debianRelease,
    debian,
    node: { version: nodeVersion, arch: need('arch') === 'amd64' ? 'x64' : 'arm64' },
    npm: npmPackages(need('node-modules')),
  });
  writeFileSync(need('sbom'), `${JSON.stringify(sbom, null, 2)}\n`);
  const layerSizes = image.layers.map((l) => l.size);
  console.log(JSON.stringify({ digest: image.digest, archiveBytes: image.archive.length, layerBytes: layerSizes, unpackedBytes: [base, app].map((l) => l.reduce((n, e) => n + (e.kind === 'file' ? e.data.length : 0), 0)) }));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
