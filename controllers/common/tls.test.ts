import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { checkTls, issueTls, notAfter, LEAF_VALIDITY_DAYS, ROTATE_BEFORE_DAYS } from './tls.js';

const DAY = 86_400_000;
const names = ['vz-nats.obs.svc', 'vz-nats', 'vz-kelvin.obs.svc'];
const now = new Date('2026-11-22T00:00:00Z');
const material = await issueTls(undefined, names, now, true);

test('issued material chains to its CA, covers every name, and is accepted as is', () => {
  const leaf = new X509Certificate(material.crt);
  assert.ok(leaf.verify(new X509Certificate(material.caCrt).publicKey));
  for (const n of names) assert.ok(leaf.subjectAltName!.includes(`DNS:${n}`), n);
  assert.equal(notAfter(material.crt).getTime() - now.getTime() > (LEAF_VALIDITY_DAYS - 1) * DAY, true);
  assert.deepEqual(checkTls(material, names, now), { ok: true });
});

test('missing, unparsable, expiring and renamed material is reissued, keeping the CA when it can', async () => {
  assert.deepEqual(checkTls(undefined, names, now), { ok: false, reason: 'Missing', regenerateCA: true });
  assert.deepEqual(checkTls({ ...material, crt: 'garbage' }, names, now), { ok: false, reason: 'Invalid', regenerateCA: true });
  const nearExpiry = new Date(notAfter(material.crt).getTime() - (ROTATE_BEFORE_DAYS - 1) * DAY);
  assert.deepEqual(checkTls(material, names, nearExpiry), { ok: false, reason: 'Expiring', regenerateCA: false });
  assert.deepEqual(checkTls(material, [...names, 'vz-etcd.obs.svc'], now), { ok: false, reason: 'NamesChanged', regenerateCA: false });
  const rotated = await issueTls(material, names, nearExpiry, false);
  assert.equal(rotated.caCrt, material.caCrt, 'the CA survives a leaf rotation');
  assert.notEqual(rotated.crt, material.crt);
  assert.deepEqual(checkTls(rotated, names, nearExpiry), { ok: true });
});

test('a leaf signed by another CA is rejected', async () => {
  const other = await issueTls(undefined, names, now, true);
  assert.equal(checkTls({ ...material, crt: other.crt }, names, now).ok, false);
});

test('the material works for a mutual-TLS handshake on loopback, as NATS and the roles use it', async () => {
  const tls = await import('node:tls');
  const fresh = await issueTls(undefined, names, new Date(), true);
  const server = tls.createServer({ key: fresh.key, cert: fresh.crt, ca: fresh.caCrt, requestCert: true, rejectUnauthorized: true }, (s) => s.end('hello'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  try {
    const reply = await new Promise<string>((resolve, reject) => {
      const c = tls.connect({ host: '127.0.0.1', port, servername: 'vz-nats.obs.svc', ca: fresh.caCrt, key: fresh.key, cert: fresh.crt }, () => {
        assert.equal(c.authorized, true, String(c.authorizationError));
      });
      let data = '';
      c.on('data', (d: Buffer) => (data += d.toString()));
      c.on('end', () => resolve(data));
      c.on('error', reject);
    });
    assert.equal(reply, 'hello');
    await assert.rejects(
      new Promise((resolve, reject) => {
        const c = tls.connect({ host: '127.0.0.1', port, servername: 'not-covered.example', ca: fresh.caCrt, key: fresh.key, cert: fresh.crt }, () => resolve(c));
        c.on('error', reject);
      }),
      /does not match certificate's altnames|Hostname\/IP does not match/,
    );
  } finally {
    server.close();
  }
});
