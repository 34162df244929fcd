import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../crds/generate.js';
import { COMMANDS } from './commands.js';

const loupe = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(join(repoRoot(), 'bin', 'loupe'), args, { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 20_000 });

test('no command prints the usage and exits 2; --help lists every registered command with its summary and exits 0', () => {
  const none = loupe([]);
  assert.equal(none.status, 2);
  assert.match(none.stdout, /usage: loupe <role>/);
  const help = loupe(['--help']);
  assert.equal(help.status, 0);
  for (const c of COMMANDS) assert.match(help.stdout, new RegExp(`^  ${c.name} +${c.summary.replace(/[()]/g, '\\$&')}$`, 'm'), c.name);
  assert.match(help.stdout, /not built yet: cloud-connector, profile-agent/);
});

test('--version prints the version package.json names and the Node that runs it, and exits 0', () => {
  const r = loupe(['--version']);
  assert.equal(r.status, 0, r.stderr);
  const pkg = JSON.parse(readFileSync(join(repoRoot(), 'package.json'), 'utf8')) as { version: string };
  assert.equal(r.stdout, `loupe ${pkg.version} (node ${process.versions.node}, linux ${process.arch})\n`);
});

test('every command prints its usage for --help and -h and exits 0', () => {
  for (const c of COMMANDS) {
    for (const flag of ['--help', '-h']) {
      const r = loupe([c.name, flag]);
      assert.equal(r.status, 0, `${c.name} ${flag}: ${r.stderr}`);
      assert.match(r.stdout, new RegExp(`usage: loupe ${c.name}`), `${c.name} ${flag}`);
    }
  }
});

test('loupe operator checks the leader-election timings before starting: --retry-period 9 --renew-deadline 10 exits 2 naming both flags', () => {
  const r = loupe(['operator', '--retry-period', '9', '--renew-deadline', '10'], { KUBECONFIG: '/nonexistent/kubeconfig' });
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stderr, 'loupe operator: leader election: --renew-deadline (10 s) must be longer than 1.2 × --retry-period (9 s) (retries are jittered by up to 20%) (see loupe operator --help)\n');
  const longer = loupe(['operator', '--lease-duration', '5', '--renew-deadline', '5'], { KUBECONFIG: '/nonexistent/kubeconfig' });
  assert.equal(longer.status, 2, longer.stderr);
  assert.match(longer.stderr, /--lease-duration \(5 s\) must be longer than --renew-deadline \(5 s\)/);
});

test('an unknown command, an unbuilt role and bad flags each exit 2 with one line naming the problem and no stack trace', () => {
  const cases: [string[], number, RegExp][] = [
    [['frobnicate'], 2, /unknown command "frobnicate"/],
    [['cloud-connector'], 2, /loupe cloud-connector: this role is not built yet/],
    [['metadata', '--storage', 'disk'], 2, /^loupe metadata: --storage "disk": .*persistent.*etcd.*memory/],
    [['pem', '--listen', 'nowhere'], 2, /^loupe pem: --listen "nowhere": not HOST:PORT.*\(see loupe pem --help\)$/],
    [['kelvin', '--query-memory', 'lots'], 2, /^loupe kelvin: --query-memory "lots": not a quantity of bytes/],
    [['standalone', '--protocols', 'http,gopher'], 2, /^loupe standalone: --protocols "http,gopher": unknown protocol gopher/],
    [['query-broker', '--listen', '127.0.0.1:0', '--nats', 'nats://127.0.0.1:1'], 1, /loupe query-broker: cannot connect to NATS at nats:\/\/127\.0\.0\.1:1/],
    [['operator', '--workers', '0'], 2, /^loupe operator: --workers: "0" must be an integer from 1 to 64/],
    [['operator', '--health-addr', 'nowhere'], 2, /^loupe operator: --health-addr: "nowhere" is not HOST:PORT/],
    [['operator', '--leader-elect', 'maybe'], 2, /^loupe operator: --leader-elect: "maybe" is not true or false/],
    [['operator', '--lease-duration', 'soon'], 2, /^loupe operator: --lease-duration: "soon" must be a number of seconds/],
    [['operator', '--bogus'], 2, /^loupe operator: Unknown option '--bogus'/],
    [['operator'], 2, /^loupe operator: cannot load \$KUBECONFIG \(\/nonexistent\/kubeconfig\): ENOENT/],
    [['standalone', '--listen', 'nowhere'], 2, /^loupe standalone: --listen "nowhere": not HOST:PORT/],
    [['standalone', '--stats-interval', 'often'], 2, /^loupe standalone: --stats-interval "often": must be a positive duration/],
    [['run'], 2, /^loupe run: name a script: px\/NAME or a \.pxl file \(see loupe run --help\)$/],
    [['run', 'px/nope'], 2, /^loupe run: no bundled script px\/nope; bundled scripts: .*px\/http_data/],
    [['run', '--timeout', 'never', 'px/http_data'], 2, /^loupe run: --timeout "never": must be a positive duration/],
  ];
  for (const [args, code, message] of cases) {
    const r = loupe(args, { KUBECONFIG: '/nonexistent/kubeconfig' });
    assert.equal(r.status, code, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr.trimEnd(), message, args.join(' '));
    assert.doesNotMatch(r.stderr, /\n\s+at /, `${args.join(' ')} prints no stack trace`);
    if (code === 2 && args[0] !== 'frobnicate') assert.equal(r.stderr.trimEnd().split('\n').length, 1, `${args.join(' ')}: one line:\n${r.stderr}`);
  }
});

test('a bad variable exits 2 naming it, as a bad flag does', () => {
  const r = loupe(['pem'], { LOUPE_DATA_ACCESS: 'Everything' });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /loupe pem: \$LOUPE_DATA_ACCESS "Everything": not one of Full, Restricted, PIIRestricted/);
});

test('loupe ROLE --help comes from the role contract, for roles not built yet too', () => {
  for (const role of ['pem', 'kelvin', 'query-broker', 'standalone', 'metadata', 'cloud-connector']) {
    const r = loupe([role, '--help']);
    assert.equal(r.status, 0, `${role}: ${r.stderr}`);
    assert.match(r.stdout, new RegExp(`^usage: loupe ${role} \\[flags\\]`), role);
  }
  assert.match(loupe(['pem', '--help']).stdout, /--data-access MODE[\s\S]*\$LOUPE_DATA_ACCESS/);
  assert.match(loupe(['cloud-connector', '--help']).stdout, /Not built yet[\s\S]*LOUPE_CLOUD_ADDR/);
});
