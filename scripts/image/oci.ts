// An OCI image (image-spec 1.1) from layer tars: gzip'd layer blobs, the config, the manifest and
// the index, and the image layout they make (oci-layout, index.json, blobs/sha256/...) as one
// deterministic tar: what `skopeo copy oci-archive:...`, `podman load` and `ctr import` read.
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { writeTar, type TarEntry } from './tar.js';

export const MEDIA = {
  index: 'application/vnd.oci.image.index.v1+json',
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar+gzip',
} as const;

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

export interface ImageSpec {
  /** Each layer as an uncompressed tar, base first, with what made it (the config's history). */
  layers: { tar: Buffer; createdBy: string }[];
  /** Seconds since the epoch: the config's `created` and every history entry's. */
  created: number;
  architecture: string;
  user: string;
  entrypoint: string[];
  env: string[];
  labels: Record<string, string>;
  /** The name the index gives the manifest (org.opencontainers.image.ref.name), e.g. registry/loupe:0.1.0. */
  refName: string;
}

export interface BuiltImage {
  /** The OCI archive (a tar of the image layout). */
  archive: Buffer;
  /** The manifest's digest: the image's identity in a registry. */
  digest: string;
  config: Descriptor;
  layers: Descriptor[];
}

const sha256 = (data: Buffer): string => `sha256:${createHash('sha256').update(data).digest('hex')}`;
const blob = (mediaType: string, data: Buffer): Descriptor => ({ mediaType, digest: sha256(data), size: data.length });
const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value), 'utf8');

export function buildImage(spec: ImageSpec): BuiltImage {
  const created = new Date(spec.created * 1000).toISOString();
  // Node's bundled zlib with a fixed level writes a gzip header with mtime 0 and OS "unix":
  // the same tar always compresses to the same bytes.
  const gzipped = spec.layers.map((l) => gzipSync(l.tar, { level: 9 }));
  const layers = gzipped.map((data) => blob(MEDIA.layer, data));
  const configBytes = json({
    created,
    architecture: spec.architecture,
    os: 'linux',
    config: { User: spec.user, Entrypoint: spec.entrypoint, Env: spec.env, WorkingDir: '/', Labels: spec.labels },
    rootfs: { type: 'layers', diff_ids: spec.layers.map((l) => sha256(l.tar)) },
    history: spec.layers.map((l) => ({ created, created_by: l.createdBy })),
  });
  const config = blob(MEDIA.config, configBytes);
  const manifestBytes = json({ schemaVersion: 2, mediaType: MEDIA.manifest, config, layers, annotations: spec.labels });
  const manifest = blob(MEDIA.manifest, manifestBytes);
  const index = {
    schemaVersion: 2,
    mediaType: MEDIA.index,
    manifests: [{ ...manifest, annotations: { 'org.opencontainers.image.ref.name': spec.refName, 'io.containerd.image.name': spec.refName } }],
  };
  const blobs = new Map<string, Buffer>([[config.digest, configBytes], [manifest.digest, manifestBytes]]);
  gzipped.forEach((data, i) => blobs.set(layers[i]!.digest, data));
  const file = (path: string, data: Buffer): TarEntry => ({ kind: 'file', path, mode: 0o644, uid: 0, gid: 0, data });
  const dir = (path: string): TarEntry => ({ kind: 'dir', path, mode: 0o755, uid: 0, gid: 0 });
  const entries: TarEntry[] = [
    dir('blobs'),
    dir('blobs/sha256'),
    ...[...blobs.keys()].sort().map((d) => file(`blobs/sha256/${d.slice('sha256:'.length)}`, blobs.get(d)!)),
    file('index.json', json(index)),
    file('oci-layout', json({ imageLayoutVersion: '1.0.0' })),
  ];
  return { archive: writeTar(entries, spec.created), digest: manifest.digest, config, layers };
}
