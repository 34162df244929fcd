// Internal TLS for a data plane: a CA and one serving certificate covering every internal
// Service. EC P-256 keys and ECDSA signatures come from node:crypto (native, about a
// millisecond); node-forge only encodes the X.509 fields, which node:crypto cannot build.
import { generateKeyPair, X509Certificate, randomBytes, createPrivateKey, sign, type KeyObject } from 'node:crypto';
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
const { asn1, pki } = forge;
const ECDSA_SHA256 = '1.2.840.10045.4.3.2';

function serial(): string {
  const b = randomBytes(16);
  b[0] = b[0]! & 0x7f; // positive
  return b.toString('hex');
}

// forge requires an RSA key to lay out the TBSCertificate; its SubjectPublicKeyInfo is then
// replaced by the real EC key, so this placeholder never appears in a certificate.
const PLACEHOLDER_KEY = pki.setRsaPublicKey(new forge.jsbn.BigInteger('3'), new forge.jsbn.BigInteger('3'));

interface CertSpec {
  subject: forge.pki.CertificateField[];
  /** The issuer Name exactly as encoded in the issuing certificate; absent: self-signed. */
  issuer?: forge.asn1.Asn1;
  publicKey: KeyObject;
  signingKey: KeyObject;
  notBefore: Date;
  notAfter: Date;
  extensions: object[];
}

function algorithmId(): forge.asn1.Asn1 {
  return asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OID, false, asn1.oidToDer(ECDSA_SHA256).getBytes())]);
}

function buildCertificate(spec: CertSpec): string {
  const cert = pki.createCertificate();
  cert.publicKey = PLACEHOLDER_KEY;
  cert.serialNumber = serial();
  cert.validity.notBefore = spec.notBefore;
  cert.validity.notAfter = spec.notAfter;
  cert.setSubject(spec.subject);
  cert.setIssuer(spec.subject);
  cert.setExtensions(spec.extensions);
  // forge lays out the TBSCertificate for an RSA signature; fields 2 and 6 are replaced below.
  cert.siginfo.algorithmOid = pki.oids['sha256WithRSAEncryption']!;
  const tbs = (pki as unknown as { getTBSCertificate(c: forge.pki.Certificate): forge.asn1.Asn1 }).getTBSCertificate(cert);
  const fields = tbs.value as forge.asn1.Asn1[];
  // [0] version, [1] serial, [2] signature algorithm, [3] issuer, [4] validity, [5] subject, [6] key, [7] extensions
  fields[2] = algorithmId();
  if (spec.issuer) fields[3] = spec.issuer;
  fields[6] = asn1.fromDer(spec.publicKey.export({ type: 'spki', format: 'der' }).toString('binary'));
  const tbsDer = asn1.toDer(tbs).getBytes();
  const signature = sign('sha256', Buffer.from(tbsDer, 'binary'), spec.signingKey);
  const certificate = asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
    tbs,
    algorithmId(),
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.BITSTRING, false, String.fromCharCode(0) + signature.toString('binary')),
  ]);
  return forge.pem.encode({ type: 'CERTIFICATE', body: asn1.toDer(certificate).getBytes() });
}

async function newKeyPair(): Promise<{ privateKey: KeyObject; publicKey: KeyObject; pem: string }> {
  const { privateKey, publicKey } = await generateKeyPairAsync('ec', { namedCurve: 'prime256v1' });
  return { privateKey, publicKey, pem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
}

async function newCA(commonName: string, now: Date): Promise<{ crt: string; key: string }> {
  const kp = await newKeyPair();
  const name = [{ name: 'commonName', value: commonName }];
  const crt = buildCertificate({
    subject: name,
    publicKey: kp.publicKey,
    signingKey: kp.privateKey,
    notBefore: new Date(now.getTime() - 60_000),
    notAfter: new Date(now.getTime() + CA_VALIDITY_DAYS * DAY_MS),
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  return { crt, key: kp.pem };
}

async function newLeaf(ca: { crt: string; key: string }, dnsNames: string[], now: Date): Promise<{ crt: string; key: string }> {
  const kp = await newKeyPair();
  // The CA's subject Name, byte for byte (forge cannot parse certificates with EC keys).
  const caTbs = (asn1.fromDer(forge.pem.decode(ca.crt)[0]!.body).value as forge.asn1.Asn1[])[0]!;
  const caSubject = (caTbs.value as forge.asn1.Asn1[])[5]!;
  const crt = buildCertificate({
    subject: [{ name: 'commonName', value: dnsNames[0]! }],
    issuer: caSubject,
    publicKey: kp.publicKey,
    signingKey: createPrivateKey(ca.key),
    notBefore: new Date(now.getTime() - 60_000),
    notAfter: new Date(now.getTime() + LEAF_VALIDITY_DAYS * DAY_MS),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
      { name: 'subjectAltName', altNames: dnsNames.map((value) => ({ type: 2, value })) },
    ],
  });
  return { crt, key: kp.pem };
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
