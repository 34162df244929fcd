import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../crds/generate.js';

const loupe = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [join(repoRoot(), 'bin', 'loupe'), ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 20_000 });

test('no role prints the usage and exits 2', () => {
  const r = loupe([]);
  assert.equal(r.status, 2);
  assert.match(r.stdout, /usage: loupe <role>/);
});

test('an unknown role, an unbuilt role and bad operator flags each exit non-zero with a message naming the problem', () => {
  const cases: [string[], number, RegExp][] = [
    [['frobnicate'], 2, /unknown role "frobnicate"/],
    [['metadata'], 2, /loupe metadata: this role is not built yet/],
    [['pem', '--listen', 'nowhere'], 2, /loupe pem: --listen "nowhere": not HOST:PORT/],
    [['kelvin', '--query-memory', 'lots'], 2, /loupe kelvin: --query-memory "lots": not a quantity of bytes/],
    [['query-broker', '--listen', '127.0.0.1:0', '--nats', 'nats://127.0.0.1:1'], 1, /loupe query-broker: cannot connect to NATS at nats:\/\/127\.0\.0\.1:1/],
    [['operator', '--workers', '0'], 2, /--workers: "0" must be an integer from 1 to 64/],
    [['operator', '--health-addr', 'nowhere'], 2, /--health-addr: "nowhere" is not HOST:PORT/],
    [['operator', '--leader-elect', 'maybe'], 2, /--leader-elect: "maybe" is not true or false/],
    [['operator', '--retry-period', '20'], 2, /--retry-period < --renew-deadline < --lease-duration/],
    [['operator', '--bogus'], 2, /Unknown option '--bogus'/],
    [['operator'], 2, /cannot load \$KUBECONFIG \(\/nonexistent\/kubeconfig\): ENOENT/],
  ];
  for (const [args, code, message] of cases) {
    const r = loupe(args, { KUBECONFIG: '/nonexistent/kubeconfig' });
    assert.equal(r.status, code, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message, args.join(' '));
    assert.doesNotMatch(r.stderr, /\n\s+at /, `${args.join(' ')} prints no stack trace`);
  }
});
