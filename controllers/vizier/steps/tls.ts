// Step "TLS": the internal CA and the certificate every internal Service presents. Kept while
// valid; reissued when missing, unreadable, expiring within ROTATE_BEFORE_DAYS, or no longer
// covering every Service name. The material is stored by the apply step (the rendered Secrets).
import type { KubernetesObject, V1Secret } from '@kubernetes/client-node';
import type { Vizier } from '../../../crds/kinds/vizier.js';
import type { ReconcileContext } from '../../../operator/runtime/types.js';
import { childName } from '../../common/labels.js';
import { Types } from '../../common/resources.js';
import { checkTls, issueTls, notAfter, type TlsMaterial } from '../../common/tls.js';
import { tlsDnsNames } from '../components.js';
import { VizierEventReason } from '../reasons.js';
import { tlsSecretName } from '../render.js';

export interface TlsStep {
  material: TlsMaterial;
  /** True when `material` is what the Secrets already hold; false when it was issued now. */
  stored: boolean;
}

const b64decode = (s: string | undefined) => (s ? Buffer.from(s, 'base64').toString() : undefined);

/** The stored material; read live when the cache has none yet, so a cache lag never reissues it. */
async function storedTls(ctx: ReconcileContext, vz: Vizier): Promise<Partial<TlsMaterial> | undefined> {
  const ns = vz.metadata.namespace!;
  const secrets = ctx.lister<V1Secret>(Types.Secret);
  const read = async (name: string) => secrets.get(ns, name) ?? (await ctx.client.get<V1Secret>(Types.Secret, { namespace: ns, name }));
  const tls = await read(tlsSecretName(vz.metadata.name!));
  const ca = await read(childName(vz.metadata.name!, 'tls-ca'));
  if (!tls && !ca) return undefined;
  return { caCrt: b64decode(ca?.data?.['ca.crt']), caKey: b64decode(ca?.data?.['ca.key']), crt: b64decode(tls?.data?.['tls.crt']), key: b64decode(tls?.data?.['tls.key']) };
}

export async function ensureTls(ctx: ReconcileContext, vz: Vizier, now: Date): Promise<TlsStep> {
  const dnsNames = tlsDnsNames(vz.metadata.name!, vz.metadata.namespace!);
  const existing = await storedTls(ctx, vz);
  const verdict = checkTls(existing, dnsNames, now);
  if (verdict.ok) return { material: existing as TlsMaterial, stored: true };
  const material = await issueTls(existing, dnsNames, now, verdict.regenerateCA);
  if (verdict.reason !== 'Missing') {
    ctx.events.event(vz as KubernetesObject, 'Normal', VizierEventReason.TLSRotated, `internal TLS certificate reissued (${verdict.reason}${verdict.regenerateCA ? ', new CA' : ''})`);
  }
  return { material, stored: false };
}

/**
 * The certificate expiry status reports: the stored certificate's, or a newly issued one's once
 * its Secret was applied; otherwise what was reported before (nothing for a new Vizier).
 */
export function reportedTlsNotAfter(previous: string | undefined, step: TlsStep | undefined, secretsApplied: boolean): string | undefined {
  if (step && (step.stored || secretsApplied)) return notAfter(step.material.crt).toISOString();
  return previous;
}
