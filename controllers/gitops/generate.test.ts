import { test } from 'node:test';
import assert from 'node:assert/strict';
import { repoRoot } from '../../crds/generate.js';
import { staleFiles } from './generate.js';

test('the generated GitOps files (health.lua of every kind, argocd-cm.yaml, the Vizier health cases) are current', () => {
  assert.deepEqual(staleFiles(repoRoot()), [], 'run `make gen` and commit controllers/gitops/');
});
