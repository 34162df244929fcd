import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { repoRoot } from '../crds/generate.js';
import { describeCycle, folderCycles, relativeImports, repositoryCycles } from './folder-cycles.js';

describe('folder import cycles', () => {
  it('finds every kind of relative import, with its line', () => {
    const source = [
      "import { a } from './a.js';",
      "import type { B } from '../b/b.js';",
      "export { c } from './c/index.js';",
      "import './side-effect.js';",
      "const d = await import('../d.js');",
      "import { parseArgs } from 'node:util';",
    ].join('\n');
    assert.deepEqual(relativeImports(source), [
      { line: 1, specifier: './a.js' },
      { line: 2, specifier: '../b/b.js' },
      { line: 3, specifier: './c/index.js' },
      { line: 4, specifier: './side-effect.js' },
      { line: 5, specifier: '../d.js' },
    ]);
  });

  it('reports a cycle between sibling folders with the import behind each step', () => {
    const cycles = folderCycles(new Map([
      ['dataplane/query/run.ts', "import { pick } from '../roles/settings.js';"],
      ['dataplane/roles/pem.ts', "\nimport { PEM } from '../query/grpc.js';"],
      ['dataplane/roles/settings.ts', ''],
      ['dataplane/query/grpc.ts', ''],
    ]));
    assert.equal(cycles.length, 1);
    assert.deepEqual(cycles[0]!.path, ['dataplane/query', 'dataplane/roles', 'dataplane/query']);
    assert.equal(describeCycle(cycles[0]!), [
      'dataplane/query → dataplane/roles → dataplane/query',
      "  dataplane/query → dataplane/roles: dataplane/query/run.ts:1 imports '../roles/settings.js'",
      "  dataplane/roles → dataplane/query: dataplane/roles/pem.ts:2 imports '../query/grpc.js'",
    ].join('\n'));
  });

  it('sees a cycle through subfolders and across top-level folders, and a longer circle', () => {
    const nested = folderCycles(new Map([
      ['lib/kube/reflector.ts', "import { x } from '../../operator/runtime/x.js';"],
      ['operator/runtime/x.ts', "import { y } from '../../lib/y.js';"],
      ['lib/y.ts', ''],
    ]));
    assert.deepEqual(nested.map((c) => c.path), [['lib', 'operator', 'lib']]);
    const three = folderCycles(new Map([
      ['a/1.ts', "import '../b/2.js';"],
      ['b/2.ts', "import '../c/3.js';"],
      ['c/3.ts', "import '../a/1.js';"],
    ]));
    assert.deepEqual(three.map((c) => c.path), [['a', 'b', 'c', 'a']]);
  });

  it('lets a folder and its own subfolders import each other', () => {
    assert.deepEqual(folderCycles(new Map([
      ['crds/index.ts', "import { V } from './kinds/vizier.js';"],
      ['crds/kinds/vizier.ts', "import { Type } from '../schema.js';"],
      ['crds/schema.ts', ''],
    ])), []);
  });

  it('the repository has no folder import cycles', () => {
    const cycles = repositoryCycles(repoRoot());
    assert.equal(cycles.length, 0, `folder import cycles (ARCHITECTURE.md: no folder imports in a circle):\n${cycles.map(describeCycle).join('\n')}`);
  });
});
