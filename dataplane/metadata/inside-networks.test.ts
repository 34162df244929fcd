import assert from 'node:assert/strict';
import { networkInterfaces } from 'node:os';
import { test } from 'node:test';
import { parseCidr, type Cidr } from '../../lib/cidr.js';
import { HostNetworks, interfaceAddresses, localInsideNetworks } from './inside-networks.js';

test("this host's interface addresses and loopback are inside; other addresses are not", () => {
  const set = new HostNetworks().current();
  const own = Object.values(networkInterfaces()).flatMap((as) => as ?? []).map((a) => a.address.split('%')[0]!);
  assert.ok(own.length > 0);
  for (const a of own) assert.ok(set.containsIp(a), a);
  assert.ok(set.containsIp('127.0.0.53') && set.containsIp('::1'));
  assert.ok(!set.containsIp('198.51.100.77'), 'TEST-NET-2 is no address of this host');
  assert.deepEqual(interfaceAddresses().map((c) => c.prefix), own.map(() => 128), 'host addresses, not their subnets');
});

test("this host's addresses are re-read after refreshMs, and an unchanged read keeps the same set", () => {
  let now = 0;
  let addrs: Cidr[] = [parseCidr('192.0.2.10')];
  const host = new HostNetworks(() => addrs, 10_000, () => now);
  const first = host.current();
  assert.ok(first.containsIp('192.0.2.10'));
  addrs = [parseCidr('192.0.2.10'), parseCidr('192.0.2.11')];
  now = 9_000;
  assert.equal(host.current(), first, 'not re-read yet');
  now = 10_000;
  const second = host.current();
  assert.ok(second.containsIp('192.0.2.11'), 'an address added later counts');
  now = 20_000;
  assert.equal(host.current(), second, 'the same addresses: the same set object');
});

test('explicit CIDRs without a cluster are the inside networks (with loopback), instead of the host addresses', () => {
  const nets = localInsideNetworks({ clusterCidrs: [parseCidr('10.244.0.0/16')], serviceCidrs: [parseCidr('10.96.0.0/12')] });
  assert.equal(nets.current()?.toString(), '127.0.0.0/8,10.96.0.0/12,10.244.0.0/16,::1/128');
  assert.match(nets.source, /configured/);
  assert.ok(localInsideNetworks() instanceof HostNetworks);
});
