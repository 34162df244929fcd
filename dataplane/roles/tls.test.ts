import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { dnsNames, loadInternalTls, natsTls } from './tls.js';
import { UsageError } from '../../lib/cli.js';

// Self-signed EC certificates (openssl req -x509, valid until 2126). CERT's subjectAltName:
// IP:127.0.0.1, DNS:vizier-kelvin.loupe.svc, DNS:vizier-pem.loupe.svc; NO_DNS_CERT's: IP:127.0.0.1.
const CERT = `-----BEGIN CERTIFICATE-----
MIIBzTCCAXOgAwIBAgIUIyAJNEDJMoS8Np9x7o5e+6vxRAEwCgYIKoZIzj0EAwIw
GjEYMBYGA1UEAwwPbG91cGUtdGVzdC1sZWFmMCAXDTI2MTEyMjA5MTA0NVoYDzIx
MjYxMDI5MDkxMDQ1WjAaMRgwFgYDVQQDDA9sb3VwZS10ZXN0LWxlYWYwWTATBgcq
hkjOPQIBBggqhkjOPQMBBwNCAATEABR3GnT1mNtPC5/wvBSYBJX3q/g0ueJdS6S6
wJniCEUf5KyKC/O58o8UbPRd92YM09/9AU/PA10DJq6zaZfYo4GUMIGRMB0GA1Ud
DgQWBBQtSpAEZ/gFtfyqrLrP/KqYu8EQijAfBgNVHSMEGDAWgBQtSpAEZ/gFtfyq
rLrP/KqYu8EQijAPBgNVHRMBAf8EBTADAQH/MD4GA1UdEQQ3MDWHBH8AAAGCF3Zp
emllci1rZWx2aW4ubG91cGUuc3ZjghR2aXppZXItcGVtLmxvdXBlLnN2YzAKBggq
hkjOPQQDAgNIADBFAiEAhpnmdTZvMdR3R+jdEQjvqkVHUPjiLzBZ7YmCsUP3o7AC
IFMH2dxa7+8uOxWyi7JGVuDEi6hiIaeqz5X51V+JePuF
-----END CERTIFICATE-----`;

const NO_DNS_CERT = `-----BEGIN CERTIFICATE-----
MIIBizCCATCgAwIBAgIUIwiXd2/HnyCOemA0M/wkOV88D08wCgYIKoZIzj0EAwIw
ETEPMA0GA1UEAwwGbm8tZG5zMCAXDTI2MTEyMjA5MTA0NloYDzIxMjYxMDI5MDkx
MDQ2WjARMQ8wDQYDVQQDDAZuby1kbnMwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNC
AAR5sYT5lXlgmsk+60l+ve4e70jTop98pRu3Xnhld0dYVjYqU0G30CDVe4ea+dYG
oIAgFh5NlKe4tyCrckMbnZPDo2QwYjAdBgNVHQ4EFgQUqM6W/x6cIPido/VJBfFm
BGMT0uYwHwYDVR0jBBgwFoAUqM6W/x6cIPido/VJBfFmBGMT0uYwDwYDVR0TAQH/
BAUwAwEB/zAPBgNVHREECDAGhwR/AAABMAoGCCqGSM49BAMCA0kAMEYCIQDtC+y8
1CMsQ6scqVNithNNlM+7nJUetUnfGhgFojnDtwIhALeZmPGuT9Ol1KcvgtojbVM8
BNByLoFakbqDOIrVhab1
-----END CERTIFICATE-----`;

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function dirWith(files: Record<string, string>): string {
  const d = mkdtempSync(join(tmpdir(), 'loupe-tls-test-'));
  dirs.push(d);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(d, name), text);
  return d;
}

function rejects(dir: string, message: RegExp): void {
  assert.throws(() => loadInternalTls({ value: dir, from: '$LOUPE_TLS_DIR' }), (err: unknown) => {
    assert.ok(err instanceof UsageError);
    assert.equal(err.flag, '$LOUPE_TLS_DIR');
    assert.match(err.message, message);
    return true;
  });
}

/** Runs fn as a user without privileges: root reads every file, so as root this switches the
 * effective ids to nobody's (65534) for the call and back after it. */
function asNonRoot(fn: () => void): void {
  const [uid, gid] = [process.geteuid!(), process.getegid!()];
  if (uid !== 0) return fn();
  process.setegid!(65534);
  process.seteuid!(65534);
  try {
    fn();
  } finally {
    process.seteuid!(uid);
    process.setegid!(gid);
  }
}

describe('internal TLS material', () => {
  it('takes the DNS names from a subjectAltName, in order, and nothing else', () => {
    assert.deepEqual(dnsNames('DNS:vizier-kelvin.loupe.svc, IP Address:127.0.0.1, DNS:vizier-pem.loupe.svc'), ['vizier-kelvin.loupe.svc', 'vizier-pem.loupe.svc']);
    assert.deepEqual(dnsNames(undefined), []);
    assert.deepEqual(dnsNames('IP Address:10.0.0.1'), []);
  });

  it('reads the three files; servers are checked against the leaf\'s first DNS name', () => {
    const d = dirWith({ 'ca.crt': CERT, 'tls.crt': CERT, 'tls.key': 'key' });
    const tls = loadInternalTls({ value: d, from: '--tls-dir' });
    assert.equal(tls.serverName, 'vizier-kelvin.loupe.svc');
    assert.deepEqual([tls.caFile, tls.certFile, tls.keyFile], [join(d, 'ca.crt'), join(d, 'tls.crt'), join(d, 'tls.key')]);
    assert.equal(tls.key.toString(), 'key');
  });

  it('refuses a leaf without a DNS name', () => {
    rejects(dirWith({ 'ca.crt': CERT, 'tls.crt': NO_DNS_CERT, 'tls.key': 'k' }), /tls\.crt carries no DNS subject alternative name/);
  });

  it('names the missing file and what the directory must hold', () => {
    const d = dirWith({ 'ca.crt': CERT, 'tls.crt': CERT });
    rejects(d, new RegExp(`\\$LOUPE_TLS_DIR "${d}": ${d}/tls\\.key does not exist; the directory must hold ca\\.crt, tls\\.crt, tls\\.key`));
    rejects(join(d, 'nope'), /nope\/ca\.crt does not exist/);
  });

  it('names a file that is not a certificate', () => {
    rejects(dirWith({ 'ca.crt': 'garbage', 'tls.crt': CERT, 'tls.key': 'k' }), /ca\.crt is not a PEM certificate/);
  });

  it('names an unreadable file', () => {
    const d = dirWith({ 'ca.crt': CERT, 'tls.crt': CERT, 'tls.key': 'k' });
    chmodSync(d, 0o755);
    chmodSync(join(d, 'tls.crt'), 0o000);
    asNonRoot(() => rejects(d, /tls\.crt is not readable by this user/));
  });

  it('checks a NATS server dialled by IP against the leaf name; by name, against that name', () => {
    const tls = { dir: '/t', caFile: '/t/ca.crt', certFile: '/t/tls.crt', keyFile: '/t/tls.key', ca: Buffer.alloc(0), cert: Buffer.alloc(0), key: Buffer.alloc(0), serverName: 'vizier-nats.loupe.svc' };
    assert.deepEqual(natsTls(tls, 'tls://127.0.0.1:4222'), { caFile: '/t/ca.crt', certFile: '/t/tls.crt', keyFile: '/t/tls.key', servername: 'vizier-nats.loupe.svc' });
    assert.deepEqual(natsTls(tls, 'nats://[::1]:4222'), { caFile: '/t/ca.crt', certFile: '/t/tls.crt', keyFile: '/t/tls.key', servername: 'vizier-nats.loupe.svc' });
    assert.deepEqual(natsTls(tls, 'tls://vizier-nats.loupe.svc:4222'), { caFile: '/t/ca.crt', certFile: '/t/tls.crt', keyFile: '/t/tls.key' });
  });
});
