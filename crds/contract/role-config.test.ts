import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { boolean, bytes, choice, defineRole, duration, flagSwitch, hostPort, natsUrl, path, repeated, set, text, PEM_CONTRACT, STANDALONE_CONTRACT, VIZIER_ROLE_CONTRACTS, type RoleContract } from './index.js';
import { UsageError } from '../../lib/cli.js';
import { parseRoleConfig, roleUsage, toEnv } from './role-config.js';

const TEST_ROLE = defineRole({
  role: 'test-role',
  built: true,
  summary: 'A role for tests.',
  settings: {
    name: text({ env: 'T_NAME', flag: 'name', help: 'a name' }),
    dir: path({ env: 'T_DIR', help: 'a directory' }),
    memory: bytes(1024)({ env: 'T_MEMORY', flag: 'memory', default: 4096, help: 'bytes' }),
    every: duration({ bareSeconds: true, hint: 'must be a positive duration' })({ env: 'T_EVERY', flag: 'every', default: 10_000, help: 'a period' }),
    mode: choice(['a', 'b'])({ env: 'T_MODE', flag: 'mode', default: 'a', help: 'a mode' }),
    kinds: set(['x', 'y', 'z'], 'kind')({ env: 'T_KINDS', flag: 'kinds', default: ['x'], help: 'kinds' }),
    addr: hostPort({ env: 'T_ADDR', flag: 'addr', default: { host: '127.0.0.1', port: 0 }, help: 'an address' }),
    bus: natsUrl({ env: 'T_BUS', help: 'a NATS URL' }),
    insecure: boolean({ env: 'T_INSECURE', default: false, help: 'a boolean' }),
    quiet: flagSwitch({ flag: 'quiet', default: false, help: 'a switch' }),
    ids: repeated({ flag: 'id', help: 'ids' }),
    pod: text({ env: 'T_POD', source: { fieldRef: 'metadata.name' }, help: 'the pod' }),
    secret: text({ env: 'T_SECRET', source: { secretKeyRef: true }, help: 'a secret' }),
  },
});

const parse = (args: string[], env: NodeJS.ProcessEnv = {}) => {
  const parsed = parseRoleConfig(TEST_ROLE, args, env);
  assert.notEqual(parsed, 'help');
  return parsed as Exclude<typeof parsed, 'help'>;
};

function rejects(run: () => unknown, setting: string, message: RegExp): void {
  assert.throws(run, (err: unknown) => err instanceof UsageError && err.flag === setting && message.test(err.message));
}

describe('role settings from flags and environment', () => {
  it('a flag wins over its variable, the variable over the default; an empty variable is unset', () => {
    assert.equal(parse([]).values.mode, 'a');
    assert.equal(parse([], { T_MODE: 'b' }).values.mode, 'b');
    assert.equal(parse(['--mode', 'a'], { T_MODE: 'b' }).values.mode, 'a');
    assert.equal(parse([], { T_MODE: '' }).values.mode, 'a');
    assert.deepEqual(parse(['--mode', 'a'], { T_MODE: 'b', T_NAME: 'n' }).from, { mode: '--mode', name: '$T_NAME' });
    assert.equal(parse([]).values.name, undefined);
  });

  it('parses each kind', () => {
    const { values } = parse(['--memory', '2Ki', '--every', '1.5', '--kinds', 'z, y,z', '--addr', '[::1]:80', '--quiet', '--id', '1,2', '--id', '3'], { T_DIR: '/d', T_BUS: 'host:4222', T_INSECURE: 'true' });
    assert.equal(values.memory, 2048);
    assert.equal(values.every, 1500);
    assert.deepEqual(values.kinds, ['z', 'y']);
    assert.deepEqual(values.addr, { host: '::1', port: 80 });
    assert.equal(values.quiet, true);
    assert.deepEqual(values.ids, ['1', '2', '3']);
    assert.equal(values.dir, '/d');
    assert.equal(values.bus, 'nats://host:4222');
    assert.equal(values.insecure, true);
    assert.deepEqual(parse(['--kinds', 'none']).values.kinds, []);
  });

  it('names the flag or variable, its value and what to write', () => {
    rejects(() => parse(['--memory', '1']), '--memory', /--memory "1": at least 1024 bytes/);
    rejects(() => parse([], { T_EVERY: '-1s' }), '$T_EVERY', /\$T_EVERY "-1s": must be a positive duration/);
    rejects(() => parse(['--mode', 'c']), '--mode', /not one of a, b/);
    rejects(() => parse(['--kinds', 'x,w']), '--kinds', /unknown kind w; choose from x, y, z \(or none\)/);
    rejects(() => parse(['--kinds', ',']), '--kinds', /unknown kind \(empty\)/);
    rejects(() => parse(['--addr', 'nowhere']), '--addr', /not HOST:PORT; write e.g. 127.0.0.1:12345/);
    rejects(() => parse([], { T_BUS: 'http://x:1' }), '$T_BUS', /scheme http:\/\/ is not nats:\/\/ or tls:\/\//);
    rejects(() => parse([], { T_INSECURE: 'yes' }), '$T_INSECURE', /not true or false/);
    rejects(() => parse(['--id', '1,,2']), '--id', /an empty entry/);
    rejects(() => parse(['--name', '  ']), '--name', /--name: empty/);
    rejects(() => parse(['--nope']), '--nope', /Unknown option '--nope'/);
    assert.throws(() => parse(['stray']), (err: unknown) => err instanceof UsageError && /Unexpected argument 'stray'/.test(err.message));
  });

  it('--help wins over everything else', () => {
    assert.equal(parseRoleConfig(TEST_ROLE, ['--mode', 'c', '-h'], {}), 'help');
  });
});

describe('role settings into a pod environment', () => {
  it('renders the values given, the downward API and the Secret, in the contract order, and they parse back', () => {
    const values = { name: 'n', dir: '/d', memory: 8192, every: 5_400_000, mode: 'b', kinds: [], addr: { host: '::1', port: 9 }, bus: 'tls://nats:4222', insecure: true } as const;
    const env = toEnv(TEST_ROLE, values, { secret: { name: 's', key: 'k' } });
    assert.deepEqual(env, [
      { name: 'T_NAME', value: 'n' },
      { name: 'T_DIR', value: '/d' },
      { name: 'T_MEMORY', value: '8192' },
      { name: 'T_EVERY', value: '1h30m' },
      { name: 'T_MODE', value: 'b' },
      { name: 'T_KINDS', value: 'none' },
      { name: 'T_ADDR', value: '[::1]:9' },
      { name: 'T_BUS', value: 'tls://nats:4222' },
      { name: 'T_INSECURE', value: 'true' },
      { name: 'T_POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'T_SECRET', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } },
    ]);
    const back = parse([], Object.fromEntries(env.flatMap((e) => (e.value !== undefined ? [[e.name, e.value]] : [])))).values;
    for (const [key, value] of Object.entries(values)) assert.deepEqual(back[key as keyof typeof back], value, key);
  });

  it('refuses a value the role could not read, or a Secret given as a value', () => {
    assert.throws(() => toEnv(TEST_ROLE, { quiet: true }), /test-role reads quiet from no environment variable/);
    assert.throws(() => toEnv(TEST_ROLE, { secret: 'plain' }), /secret comes from a Secret, never as a value/);
  });
});

describe('loupe ROLE --help', () => {
  const contracts: RoleContract[] = [...Object.values(VIZIER_ROLE_CONTRACTS), STANDALONE_CONTRACT];
  it('lists every flag and variable of every role, and says which roles are not built', () => {
    for (const contract of contracts) {
      const usage = roleUsage(contract);
      for (const s of Object.values(contract.settings)) {
        if (s.flag) assert.ok(usage.includes(`--${s.flag}`), `${contract.role} --${s.flag}`);
        if (s.env) assert.ok(usage.includes(s.env), `${contract.role} ${s.env}`);
      }
      assert.equal(usage.includes('Not built yet'), !contract.built, contract.role);
      for (const line of usage.split('\n')) assert.ok(line.length <= 100 || !line.includes(' '), `${contract.role}: line too long: ${line}`);
    }
    assert.match(roleUsage(PEM_CONTRACT), /--data-access MODE +Full: request and response bodies/);
  });
});
