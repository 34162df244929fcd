import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, cpSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../../crds/generate.js';
import { DEFAULT_REGISTRY } from '../../crds/kinds/vizier.js';
import { withDefaults } from '../vizier/kind.js';
import { vizier } from '../vizier/fixtures.test-util.js';
import { readGenerateInputs, renderInstallFiles, RELEASE_IMAGES_FILE, staleInstallFiles } from './generate.js';
import { CHART_DIR } from './helm.js';
import { releaseImages, vizierImages } from './images.js';
import { operatorDeployment, operatorImage } from './objects.js';

const ROOT = repoRoot();
const DIGEST = `sha256:${'ab'.repeat(32)}`;

test('the install files on disk are what controllers/install/generate.ts renders (make gen)', () => {
  assert.deepEqual(staleInstallFiles(ROOT), []);
});

test('a hand edit of a generated install file is caught as stale', () => {
  const dir = mkdtempSync(join(tmpdir(), 'loupe-install-'));
  cpSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
  cpSync(join(ROOT, 'operator'), join(dir, 'operator'), { recursive: true });
  const values = join(dir, CHART_DIR, 'values.yaml');
  writeFileSync(values, readFileSync(values, 'utf8').replace('replicas: 2', 'replicas: 3'));
  assert.deepEqual(staleInstallFiles(dir), [`${CHART_DIR}/values.yaml`]);
});

test('no marker of the chart generator survives into the chart', () => {
  for (const [path, content] of renderInstallFiles({ version: '0.1.0', digest: null })) {
    if (path.startsWith(CHART_DIR)) assert.doesNotMatch(content, /__LOUPE_/, path);
  }
});

test('the operator Deployment passes its registry to the operator and pins the image by digest when given one', () => {
  const c = operatorDeployment({ namespace: 'x', registry: 'mirror.local:5000/obs', version: '1.2.3', digest: DIGEST }).spec!.template.spec!.containers[0]!;
  assert.equal(c.image, `mirror.local:5000/obs/loupe@${DIGEST}`);
  assert.deepStrictEqual(c.args, ['operator', '--health-addr=0.0.0.0:8081', '--registry=mirror.local:5000/obs']);
});

test('a Vizier without spec.registry takes the operator\'s; its own registry wins', () => {
  const bare = vizier();
  assert.equal(withDefaults({ ...bare, spec: { ...bare.spec, registry: undefined } } as never, 'mirror.local/obs').spec.registry, 'mirror.local/obs');
  assert.equal(withDefaults({ ...bare, spec: { ...bare.spec, registry: 'own.example/x' } }, 'mirror.local/obs').spec.registry, 'own.example/x');
  assert.deepStrictEqual(vizierImages('mirror.local/obs').sort(), ['mirror.local/obs/etcd:3.5.15', 'mirror.local/obs/loupe:0.1.0', 'mirror.local/obs/nats:2.9.25-alpine']);
});

test('the release manifest lists the operator image and every image a Vizier can run, the loupe digest where known', () => {
  const images = releaseImages(operatorImage({ registry: DEFAULT_REGISTRY, version: '0.1.0' }), DIGEST);
  assert.deepStrictEqual(images, [
    { name: 'loupe', image: `${DEFAULT_REGISTRY}/loupe:0.1.0`, digest: DIGEST },
    ...vizierImages().filter((i) => !i.includes('/loupe:')).map((image) => ({ name: image.includes('/nats:') ? 'nats' : 'etcd', image, digest: null })),
  ]);
});

test('--image-digest must be a sha256 digest; without it the one release-images.yaml records is kept', () => {
  assert.throws(() => readGenerateInputs(ROOT, 'sha256:XYZ'), /--image-digest: "sha256:XYZ" is not sha256: and 64 lowercase hex digits/);
  const dir = mkdtempSync(join(tmpdir(), 'loupe-install-'));
  cpSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
  const files = renderInstallFiles({ ...readGenerateInputs(ROOT), digest: DIGEST });
  cpSync(join(ROOT, 'operator'), join(dir, 'operator'), { recursive: true });
  writeFileSync(join(dir, RELEASE_IMAGES_FILE), files.get(RELEASE_IMAGES_FILE)!);
  assert.equal(readGenerateInputs(dir).digest, DIGEST);
  assert.match(files.get('operator/deploy/overlays/airgapped/kustomization.yaml')!, new RegExp(`digest: ${DIGEST}`));
});
