// `loupe operator` against an API server older than the supported floor: a loopback HTTP server
// that answers GET /version as a 1.30 server does (and nothing else), so the refusal is the
// first and only thing the operator can do.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '../crds/generate.js';

const execFileP = promisify(execFile);
const LOUPE = join(repoRoot(), 'bin', 'loupe');
let server: Server;
let dir: string;
const paths: string[] = [];

before(async () => {
  server = createServer((req, res) => {
    paths.push(req.url ?? '');
    if (req.url === '/version') {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ major: '1', minor: '30+', gitVersion: 'v1.30.9-eks-1a2b3c', platform: 'linux/amd64' }));
    } else {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  dir = mkdtempSync(join(tmpdir(), 'loupe-operator-'));
});
after(() => {
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

test('refuses an API server older than the supported floor: exit 1, the versions and what to do, nothing else requested', async () => {
  const addr = server.address() as { port: number };
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, [
    'apiVersion: v1', 'kind: Config',
    `clusters: [{name: old, cluster: {server: "http://127.0.0.1:${addr.port}", insecure-skip-tls-verify: true}}]`,
    'users: [{name: u, user: {token: t}}]',
    'contexts: [{name: c, context: {cluster: old, user: u}}]',
    'current-context: c',
  ].join('\n'));
  const run = execFileP(LOUPE, ['operator', '--kubeconfig', kubeconfig, '--leader-elect', 'false', '--health-addr', '127.0.0.1:0'], { timeout: 20_000 });
  const err = await run.then(() => undefined, (e: unknown) => e as { code?: number; stderr?: string });
  assert.ok(err, 'the operator must not start');
  assert.equal(err.code, 1);
  assert.match(err.stderr ?? '', /^loupe operator: the API server is Kubernetes v1\.30\.9-eks-1a2b3c, older than 1\.32, the oldest release Loupe supports: .*Upgrade the cluster to 1\.32 or newer\.$/m);
  assert.deepEqual(paths, ['/version']);
});
