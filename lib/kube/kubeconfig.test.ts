import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { UsageError } from '../cli.js';
import { loadKubeConfig } from './kubeconfig.js';

const dir = mkdtempSync(join(tmpdir(), 'loupe-kubeconfig-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const KUBECONFIG = `apiVersion: v1
kind: Config
clusters: [{ name: c, cluster: { server: 'https://127.0.0.1:6443' } }]
users: [{ name: u, user: { token: t } }]
contexts: [{ name: x, context: { cluster: c, user: u } }]
current-context: x
`;

describe('loadKubeConfig', () => {
  it('loads a file and names its cluster', () => {
    const path = join(dir, 'good');
    writeFileSync(path, KUBECONFIG);
    assert.equal(loadKubeConfig({ kind: 'file', path }).getCurrentCluster()?.server, 'https://127.0.0.1:6443');
  });

  it('a missing file, a kubeconfig without a cluster and a bad $KUBECONFIG are UsageErrors naming the flag or variable', () => {
    const missing = join(dir, 'missing');
    assert.throws(() => loadKubeConfig({ kind: 'file', path: missing }, { hint: 'or --no-kube for /proc only' }), (err: unknown) => {
      assert.ok(err instanceof UsageError);
      assert.equal(err.flag, '--kubeconfig');
      assert.match(err.message, new RegExp(`^cannot load --kubeconfig ${missing}: ENOENT.*; point --kubeconfig or KUBECONFIG at a readable kubeconfig, or --no-kube for /proc only$`));
      return true;
    });
    const empty = join(dir, 'empty');
    writeFileSync(empty, 'apiVersion: v1\nkind: Config\n');
    assert.throws(() => loadKubeConfig({ kind: 'file', path: empty }), (err: unknown) => err instanceof UsageError && /^no Kubernetes cluster in --kubeconfig /.test(err.message));
    const saved = process.env['KUBECONFIG'];
    process.env['KUBECONFIG'] = missing;
    try {
      assert.throws(() => loadKubeConfig({ kind: 'default' }), (err: unknown) => err instanceof UsageError && err.flag === '$KUBECONFIG' && err.message.startsWith(`cannot load $KUBECONFIG (${missing})`));
    } finally {
      if (saved === undefined) delete process.env['KUBECONFIG'];
      else process.env['KUBECONFIG'] = saved;
    }
  });
});
