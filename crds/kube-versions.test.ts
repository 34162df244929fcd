import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MIN_KUBE_MINOR, serverMinorVersion, unsupportedServer } from './kube-versions.js';
import { repoRoot } from './generate.js';

describe('supported Kubernetes releases', () => {
  it('reads major.minor as providers write it', () => {
    assert.deepEqual(serverMinorVersion({ major: '1', minor: '37', gitVersion: 'v1.37.2' }), { major: 1, minor: 37 });
    assert.deepEqual(serverMinorVersion({ major: '1', minor: '32+', gitVersion: 'v1.32.4-eks-1a2b3c' }), { major: 1, minor: 32 });
    assert.deepEqual(serverMinorVersion({ major: '', minor: '', gitVersion: 'v1.33.1-gke.100' }), { major: 1, minor: 33 });
    assert.equal(serverMinorVersion({ gitVersion: 'master' }), undefined);
  });

  it('refuses a server older than the floor, naming both versions and what to do', () => {
    const msg = unsupportedServer({ major: '1', minor: '30+', gitVersion: 'v1.30.9-eks-abc' });
    assert.match(msg ?? '', /Kubernetes v1\.30\.9-eks-abc, older than 1\.32, the oldest release Loupe supports/);
    assert.match(msg ?? '', /Upgrade the cluster to 1\.32 or newer/);
    assert.equal(unsupportedServer({ major: '1', minor: '31', gitVersion: 'v1.31.0' })?.includes('1.31.0'), true);
  });

  it('accepts the floor, newer releases and an unreadable version', () => {
    assert.equal(unsupportedServer({ major: '1', minor: String(MIN_KUBE_MINOR), gitVersion: `v1.${MIN_KUBE_MINOR}.0` }), undefined);
    assert.equal(unsupportedServer({ major: '1', minor: '40', gitVersion: 'v1.40.0' }), undefined);
    assert.equal(unsupportedServer({}), undefined);
  });

  it('the README states the floor and the release CI tests', () => {
    const readme = readFileSync(join(repoRoot(), 'README.md'), 'utf8');
    const tested = readFileSync(join(repoRoot(), 'e2e', 'kube', 'VERSION'), 'utf8').trim();
    assert.match(readme, new RegExp(`Kubernetes 1\\.${MIN_KUBE_MINOR} or newer`));
    assert.ok(readme.includes(`Kubernetes ${tested}`), `README names the tested release ${tested}`);
  });
});
