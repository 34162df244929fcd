// Every image a Loupe install can run, for the release manifest (release-images.yaml) that an
// air-gapped install mirrors from, and for the OLM bundle's relatedImages.
import type { V1PodTemplateSpec } from '@kubernetes/client-node';
import { API_VERSION } from '../../crds/index.js';
import type { Vizier } from '../../crds/kinds/vizier.js';
import { withDefaults } from '../vizier/kind.js';
import { renderVizier } from '../vizier/render.js';

/** Every container image of a pod template. */
export function templateImages(t: V1PodTemplateSpec | undefined): string[] {
  const spec = t?.spec;
  return [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])].flatMap((c) => (c.image ? [c.image] : []));
}

/**
 * The images a Vizier with the given registry (the operator's --registry) and default version
 * runs, every optional component on (etcd metadata storage, a cloud connection), read from what
 * the Vizier controller renders.
 */
export function vizierImages(registry?: string): string[] {
  const vizier = withDefaults(
    {
      apiVersion: API_VERSION,
      kind: 'Vizier',
      metadata: { name: 'vizier', namespace: 'loupe', uid: 'images' },
      spec: { metadata: { storage: 'etcd' }, cloud: { address: 'cloud.example:443', deployKeySecretRef: { name: 'deploy-key' } } } as unknown as Vizier['spec'],
    },
    registry,
  );
  // The TLS material only ends up in a Secret and a hash; its content does not matter here.
  const objects = renderVizier({ vizier, tls: { caCrt: 'ca', caKey: 'key', crt: 'crt', key: 'key' } });
  const images = objects.flatMap((o) => templateImages((o as { spec?: { template?: V1PodTemplateSpec } }).spec?.template));
  return [...new Set(images)];
}

/** The repository's last path segment: "nats" for ".../nats:2.9.25-alpine". */
export function imageBaseName(image: string): string {
  const name = image.split('@')[0]!;
  const last = name.slice(name.lastIndexOf('/') + 1);
  return last.includes(':') ? last.slice(0, last.indexOf(':')) : last;
}

export interface ReleaseImage {
  readonly name: string;
  /** By tag, in the default registry: what `skopeo copy` reads from. */
  readonly image: string;
  /** sha256:<hex>, or null where this repository does not build the image and has not resolved it. */
  readonly digest: string | null;
}

/**
 * The release manifest: the operator image first (its digest when known: the image this
 * repository builds), then every other image a Vizier runs, once.
 */
export function releaseImages(operatorImage: string, loupeDigest: string | null, registry?: string): ReleaseImage[] {
  const out: ReleaseImage[] = [{ name: imageBaseName(operatorImage), image: operatorImage, digest: loupeDigest }];
  for (const image of vizierImages(registry)) {
    if (!out.some((r) => r.image === image)) out.push({ name: imageBaseName(image), image, digest: image === operatorImage ? loupeDigest : null });
  }
  return out;
}
