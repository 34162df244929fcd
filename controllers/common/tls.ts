// Internal TLS for a data plane: a CA and one serving certificate covering every internal
// Service. Keys come from node:crypto; node-forge only builds the X.509 structures.
import { generateKeyPair, X509Certificate, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import forge from 'node-forge';

export interface TlsMaterial {
  caCrt: string;
  caKey: string;
  crt: string;
  key: string;
}

const DAY_MS = 86_400_000;
export const CA_VALIDITY_DAYS = 3650;
export const LEAF_VALIDITY_DAYS = 365;
/** Rotate a certificate when less than this much validity is left. */
export const ROTATE_BEFORE_DAYS = 30;

const generateKeyPairAsync = promisify(generateKeyPair);

// Key generation runs on libuv's thread pool: a synchronous 2048-bit RSA keygen would stall
// every other reconcile and watch for tens of milliseconds.
async function newKeyPair(): Promise<{ pem: string; forgeKey: forge.pki.rsa.PrivateKey; forgePub: forge.pki.rsa.PublicKey }> {
  const { privateKey } = await generateKeyPairAsync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const forgeKey = forge.pki.privateKeyFromPem(pem) as forge.pki.rsa.PrivateKey;
  return { pem, forgeKey, forgePub: forge.pki.setRsaPublicKey(forgeKey.n, forgeKey.e) };
}

function serial(): string {
  const b = randomBytes(16);
  b[0] = b[0]! & 0x7f; // positive
  return b.toString('hex');
}

async function newCA(commonName: string, now: Date): Promise<{ crt: string; key: string }> {
  const kp = await newKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = kp.forgePub;
  cert.serialNumber = serial();
  cert.validity.notBefore = new Date(now.getTime() - 60_000);
  cert.validity.notAfter = new Date(now.getTime() + CA_VALIDITY_DAYS * DAY_MS);
  const subject = [{ name: 'commonName', value: commonName }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(kp.forgeKey, forge.md.sha256.create());
  return { crt: forge.pki.certificateToPem(cert), key: kp.pem };
}

async function newLeaf(ca: { crt: string; key: string }, dnsNames: string[], now: Date): Promise<{ crt: string; key: string }> {
  const caCert = forge.pki.certificateFromPem(ca.crt);
  const caKey = forge.pki.privateKeyFromPem(ca.key);
  const kp = await newKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = kp.forgePub;
  cert.serialNumber = serial();
  cert.validity.notBefore = new Date(now.getTime() - 60_000);
  cert.validity.notAfter = new Date(now.getTime() + LEAF_VALIDITY_DAYS * DAY_MS);
  cert.setSubject([{ name: 'commonName', value: dnsNames[0]! }]);
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
    { name: 'subjectAltName', altNames: dnsNames.map((value) => ({ type: 2, value })) },
  ]);
  cert.sign(caKey, forge.md.sha256.create());
  return { crt: forge.pki.certificateToPem(cert), key: kp.pem };
}

export type TlsVerdict = { ok: true } | { ok: false; reason: 'Missing' | 'Invalid' | 'Expiring' | 'NamesChanged'; regenerateCA: boolean };

/** Whether existing material can be kept: parses, chains, covers `dnsNames`, and is not near expiry. */
export function checkTls(existing: Partial<TlsMaterial> | undefined, dnsNames: string[], now: Date): TlsVerdict {
  if (!existing?.caCrt || !existing.caKey || !existing.crt || !existing.key) return { ok: false, reason: 'Missing', regenerateCA: !existing?.caCrt || !existing?.caKey };
  let ca: X509Certificate;
  let leaf: X509Certificate;
  try {
    ca = new X509Certificate(existing.caCrt);
    leaf = new X509Certificate(existing.crt);
  } catch {
    return { ok: false, reason: 'Invalid', regenerateCA: true };
  }
  const soon = now.getTime() + ROTATE_BEFORE_DAYS * DAY_MS;
  if (new Date(ca.validTo).getTime() < soon) return { ok: false, reason: 'Expiring', regenerateCA: true };
  if (!leaf.verify(ca.publicKey)) return { ok: false, reason: 'Invalid', regenerateCA: false };
  if (new Date(leaf.validTo).getTime() < soon) return { ok: false, reason: 'Expiring', regenerateCA: false };
  const sans = (leaf.subjectAltName ?? '').split(', ').map((s) => s.replace(/^DNS:/, ''));
  if (dnsNames.some((n) => !sans.includes(n))) return { ok: false, reason: 'NamesChanged', regenerateCA: false };
  return { ok: true };
}

/** New material; keeps the CA when it is still good so clients holding it keep working. */
export async function issueTls(existing: Partial<TlsMaterial> | undefined, dnsNames: string[], now: Date, regenerateCA: boolean): Promise<TlsMaterial> {
  const ca = !regenerateCA && existing?.caCrt && existing.caKey ? { crt: existing.caCrt, key: existing.caKey } : await newCA('loupe-internal-ca', now);
  const leaf = await newLeaf(ca, dnsNames, now);
  return { caCrt: ca.crt, caKey: ca.key, crt: leaf.crt, key: leaf.key };
}

export function notAfter(crt: string): Date {
  return new Date(new X509Certificate(crt).validTo);
}
