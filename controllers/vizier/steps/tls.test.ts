import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubernetesObject } from '@kubernetes/client-node';
import { MemoryCluster } from '../../common/memory-cluster.test-util.js';
import { issueTls, notAfter, type TlsMaterial } from '../../common/tls.js';
import { tlsDnsNames } from '../components.js';
import { tls, vizier } from '../fixtures.test-util.js';
import { renderVizier } from '../render.js';
import { ensureTls, reportedTlsNotAfter } from './tls.js';
import type { Lister, ResourceType } from '../../../operator/runtime/types.js';

const VZ = vizier();

/** A cluster holding the Secrets a Vizier renders for `material`. */
function storing(material: TlsMaterial): MemoryCluster {
  const c = new MemoryCluster();
  for (const o of renderVizier({ vizier: VZ, tls: material })) if (o.kind === 'Secret') c.put(o);
  return c;
}

test('a new Vizier gets new material, not yet stored, and no rotation Event', async () => {
  const c = new MemoryCluster();
  const step = await ensureTls(c.ctx(), VZ, c.now);
  assert.equal(step.stored, false);
  assert.match(step.material.crt, /BEGIN CERTIFICATE/);
  assert.deepEqual(c.events, []);
});

test('valid stored material is kept as it is, without writes', async () => {
  const c = storing(tls());
  const step = await ensureTls(c.ctx(), VZ, new Date());
  assert.equal(step.stored, true);
  assert.deepEqual(step.material, tls());
  assert.deepEqual(c.writes, []);
});

test('a Secret the cache has not seen yet is read live, so a cache lag never reissues', async () => {
  const c = storing(tls());
  const none: Lister = { get: () => undefined, list: () => [] };
  const ctx = { ...c.ctx(), lister: <T extends KubernetesObject>(t: ResourceType) => (t.kind === 'Secret' ? none : c.lister(t)) as Lister<T> };
  const step = await ensureTls(ctx, VZ, new Date());
  assert.equal(step.stored, true);
  assert.equal(step.material.crt, tls().crt);
});

test('a certificate within 30 days of expiry is reissued under the same CA, with a TLSRotated Event', async () => {
  const issuedLongAgo = new Date(Date.now() - 340 * 86_400_000);
  const old = await issueTls(undefined, tlsDnsNames('vz', 'obs'), issuedLongAgo, true);
  const c = storing(old);
  const step = await ensureTls(c.ctx(), VZ, new Date());
  assert.equal(step.stored, false);
  assert.equal(step.material.caCrt, old.caCrt, 'clients holding the CA keep working');
  assert.notEqual(step.material.crt, old.crt);
  assert.deepEqual(c.events, [{ type: 'Normal', reason: 'TLSRotated', message: 'internal TLS certificate reissued (Expiring)' }]);
});

test('status reports the stored certificate, a new one only once its Secret was applied, else what it said before', () => {
  const expiry = notAfter(tls().crt).toISOString();
  assert.equal(reportedTlsNotAfter('before', { material: tls(), stored: true }, false), expiry);
  assert.equal(reportedTlsNotAfter('before', { material: tls(), stored: false }, true), expiry);
  assert.equal(reportedTlsNotAfter('before', { material: tls(), stored: false }, false), 'before');
  assert.equal(reportedTlsNotAfter(undefined, { material: tls(), stored: false }, false), undefined);
  assert.equal(reportedTlsNotAfter('before', undefined, true), 'before', 'paused: nothing was looked at');
});
