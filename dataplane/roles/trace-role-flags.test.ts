import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatCidr } from '../metadata/cidr.js';
import { RoleConfigError } from './settings.js';
import { traceRoleSettings } from './trace-role-flags.js';

test('trace-roles settings parse into the rule and the explicit CIDRs', () => {
  assert.deepEqual(traceRoleSettings({}), {});
  const s = traceRoleSettings({
    traceRoles: { value: 'both', from: '--trace-roles' },
    clusterCidrs: { value: '10.244.0.0/16,fd00:10:244::/56', from: '--cluster-cidrs' },
    serviceCidrs: { value: '10.96.0.0/12', from: '$LOUPE_SERVICE_CIDRS' },
  });
  assert.equal(s.traceRoles, 'both');
  assert.deepEqual(s.clusterCidrs?.map(formatCidr), ['10.244.0.0/16', 'fd00:10:244::/56']);
  assert.deepEqual(s.serviceCidrs?.map(formatCidr), ['10.96.0.0/12']);
});

test('a bad value names the flag or variable, the value and what to write', () => {
  const fails = (inputs: Parameters<typeof traceRoleSettings>[0], setting: string, message: RegExp) =>
    assert.throws(() => traceRoleSettings(inputs), (e: unknown) => e instanceof RoleConfigError && e.setting === setting && message.test(e.message));
  fails({ traceRoles: { value: 'client', from: '--trace-roles' } }, '--trace-roles', /^--trace-roles "client": must be server or both \(server: each request once/);
  fails({ clusterCidrs: { value: '10.244.0.0/16,10.300.0.0/16', from: '$LOUPE_CLUSTER_CIDRS' } }, '$LOUPE_CLUSTER_CIDRS', /^\$LOUPE_CLUSTER_CIDRS "10\.244\.0\.0\/16,10\.300\.0\.0\/16": "10\.300\.0\.0\/16" not an IPv4 or IPv6 address or CIDR; write e\.g\. 10\.244\.0\.0\/16/);
  fails({ serviceCidrs: { value: '10.96.0.0/40', from: '--service-cidrs' } }, '--service-cidrs', /^--service-cidrs "10\.96\.0\.0\/40": the prefix length must be a whole number from 0 to 32/);
  fails({ serviceCidrs: { value: '10.96.0.0/12,', from: '--service-cidrs' } }, '--service-cidrs', /an empty entry/);
});
