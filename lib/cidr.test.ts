import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { CidrError, CidrSet, covers, formatCidr, formatIp, ipFromBytes, ipToBytes, isPrefixText, LOOPBACK, parseCidr, parseCidrList, parseIp, smallestCover } from './cidr.js';

test('IPv4, IPv6 and IPv4-mapped IPv6 addresses parse to one 128-bit space', () => {
  assert.equal(parseIp('10.1.2.3'), 0xffff0a010203n);
  assert.equal(parseIp('::ffff:10.1.2.3'), parseIp('10.1.2.3'));
  assert.equal(parseIp('::ffff:a01:203'), parseIp('10.1.2.3'));
  assert.equal(parseIp('::1'), 1n);
  assert.equal(parseIp('::'), 0n);
  assert.equal(parseIp('fd00::10:0:1'), (0xfd00n << 112n) | (0x10n << 32n) | 1n);
  assert.equal(parseIp('1:2:3:4:5:6:7:8'), 0x00010002000300040005000600070008n);
  assert.equal(parseIp('64:ff9b::192.0.2.33'), (0x64n << 112n) | (0xff9bn << 96n) | 0xc0000221n);
  for (const bad of ['', '10.1.2', '10.1.2.256', '010.1.2.3', '1.2.3.4.5', '::1::', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7', 'fe80::1%eth0', 'g::1', 'localhost', '12345::']) {
    assert.equal(parseIp(bad), undefined, bad);
  }
});

test('formatIp prints dotted quads for IPv4 and RFC 5952 text for IPv6', () => {
  for (const [text, printed] of [['10.1.2.3', '10.1.2.3'], ['::ffff:10.1.2.3', '10.1.2.3'], ['::1', '::1'], ['fd00:0:0:0:0:0:0:1', 'fd00::1'], ['1:0:0:2:0:0:0:3', '1:0:0:2::3'], ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'], ['1:0:2:3:4:5:6:7', '1:0:2:3:4:5:6:7']] as const) {
    assert.equal(formatIp(parseIp(text)!), printed, text);
  }
});

test('addresses as the kernel hands them over (4 or 16 bytes) equal the parsed text', () => {
  assert.equal(ipFromBytes(Uint8Array.of(9, 9, 10, 1, 2, 3), 2, true), parseIp('10.1.2.3'));
  const v6 = ipToBytes(parseIp('fd00::1:2')!);
  assert.equal(ipFromBytes(v6, 0, false), parseIp('fd00::1:2'));
  assert.deepEqual([...ipToBytes(parseIp('10.1.2.3')!)], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 1, 2, 3]);
});

test('CIDRs parse with host bits cleared; bare addresses are single hosts', () => {
  assert.equal(formatCidr(parseCidr('10.1.2.3/8')), '10.0.0.0/8');
  assert.equal(formatCidr(parseCidr(' 10.244.0.0/16 ')), '10.244.0.0/16');
  assert.equal(formatCidr(parseCidr('fd00:10:96::1/112')), 'fd00:10:96::/112');
  assert.equal(formatCidr(parseCidr('192.168.1.7')), '192.168.1.7/32');
  assert.equal(formatCidr(parseCidr('::ffff:10.0.0.0/104')), '10.0.0.0/8');
  assert.equal(formatCidr(parseCidr('0.0.0.0/0')), '0.0.0.0/0');
  assert.equal(formatCidr(parseCidr('::/0')), '::/0');
  assert.deepEqual(parseCidrList('10.244.0.0/16, fd00::/48').map(formatCidr), ['10.244.0.0/16', 'fd00::/48']);
});

test('a bad CIDR names the input and what to write', () => {
  assert.throws(() => parseCidr('10.0.0.0/33'), (e: unknown) => e instanceof CidrError && e.message === '"10.0.0.0/33": the prefix length must be a whole number from 0 to 32 for an IPv4 block');
  assert.throws(() => parseCidr('fd00::/129'), /"fd00::\/129": the prefix length must be a whole number from 0 to 128 for an IPv6 block/);
  assert.throws(() => parseCidr('10.0.0.0/'), /"10\.0\.0\.0\/": the prefix length/);
  assert.throws(() => parseCidr('cluster'), /"cluster": not an IPv4 or IPv6 address or CIDR; write e\.g\. 10\.244\.0\.0\/16/);
  assert.throws(() => parseCidrList('10.0.0.0/8,,fd00::/8'), /"10\.0\.0\.0\/8,,fd00::\/8": an empty entry/);
});

test('isPrefixText accepts what Go netip.ParsePrefix accepts (Kubernetes isCIDR) and nothing else', () => {
  for (const ok of ['10.0.0.0/8', '10.1.2.3/8', '0.0.0.0/0', '192.168.0.0/32', 'fd00::/48', 'FD00:10:96::/112', '::/0', '::1/128', '1:2:3:4:5:6:1.2.3.4/96']) {
    assert.ok(isPrefixText(ok), ok);
  }
  for (const bad of ['10.0.0.0', '10.0.0.0/33', '10.0.0.0/08', '10.0.0.0/+8', '10.0.0.0/ 8', ' 10.0.0.0/8', '010.0.0.0/8', '10.300.0.0/16', 'fd00::/129', 'fe80::1%eth0/64', '::ffff:10.0.0.0/104', '::ffff:a00:0/104', '10.0.0.0/8/8', '']) {
    assert.ok(!isPrefixText(bad), bad);
  }
});

test('a set answers for IPv4, IPv6 and IPv4-mapped peers alike', () => {
  const set = new CidrSet([...LOOPBACK, parseCidr('10.244.0.0/16'), parseCidr('10.96.0.0/12'), parseCidr('fd00:10:244::/56'), parseCidr('192.168.5.5')]);
  const inside = ['127.0.0.1', '127.255.0.9', '::1', '10.244.3.4', '::ffff:10.244.3.4', '10.96.0.1', '10.111.255.255', 'fd00:10:244:0:1::9', '192.168.5.5', '::ffff:127.0.0.1'];
  const outside = ['10.245.0.1', '10.112.0.0', '10.201.0.2', '::2', 'fd00:10:245::1', '192.168.5.6', '8.8.8.8', '::ffff:8.8.8.8', '2001:db8::1', 'not-an-address'];
  for (const a of inside) assert.ok(set.containsIp(a), `${a} inside`);
  for (const a of outside) assert.ok(!set.containsIp(a), `${a} outside`);
});

test('a set drops blocks inside others and keeps the widest first', () => {
  const set = new CidrSet(['10.0.0.0/8', '10.1.0.0/16', '10.1.2.3', '192.168.0.0/16', '10.0.0.0/8', 'fd00::/8', 'fd00::1'].map(parseCidr));
  assert.equal(set.toString(), 'fd00::/8,10.0.0.0/8,192.168.0.0/16');
  assert.ok(set.equals(new CidrSet(['192.168.0.0/16', 'fd00::/8', '10.0.0.0/8'].map(parseCidr))));
  assert.ok(!set.equals(new CidrSet(['10.0.0.0/8'].map(parseCidr))));
  assert.equal(new CidrSet([]).contains(parseIp('127.0.0.1')!), false);
});

test('the smallest cover of cluster IPs is the service range they were allocated from', () => {
  const cover = (ips: string[]) => formatCidr(smallestCover(ips.map((ip) => parseIp(ip)!))!);
  assert.equal(cover(['10.96.0.1']), '10.96.0.1/32');
  assert.equal(cover(['10.96.0.1', '10.96.0.10', '10.100.7.3', '10.111.1.1']), '10.96.0.0/12');
  assert.equal(cover(['fd00:10:96::1', 'fd00:10:96::ffff']), 'fd00:10:96::/112');
  assert.equal(smallestCover([]), undefined);
});

// Property: a set says "inside" exactly when one of its blocks has the address's leading bits.
test('set membership matches a bit-by-bit reference on random blocks and addresses', () => {
  const v4 = fc.tuple(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 32 })).map(([a, n]) => ({ text: `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`, n }));
  const v6 = fc.tuple(fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 }), fc.integer({ min: 0, max: 128 })).map(([w, n]) => ({ text: w.map((x) => x.toString(16)).join(':'), n }));
  const block = fc.oneof(v4, v6);
  fc.assert(
    fc.property(fc.array(block, { maxLength: 12 }), fc.array(fc.oneof(v4, v6).map((b) => b.text), { minLength: 1, maxLength: 20 }), (blocks, addrs) => {
      const cidrs = blocks.map((b) => parseCidr(`${b.text}/${b.n}`));
      const set = new CidrSet(cidrs);
      for (const text of addrs) {
        const addr = parseIp(text)!;
        const bits = addr.toString(2).padStart(128, '0');
        const reference = cidrs.some((c) => bits.startsWith(c.addr.toString(2).padStart(128, '0').slice(0, c.prefix)));
        assert.equal(cidrs.some((c) => covers(c, { addr, prefix: 128 })), reference, 'covers()');
        assert.equal(set.contains(addr), reference, `${text} in ${set.toString()}`);
        // Every IPv4 address answers the same through its IPv4-mapped form.
        if (!text.includes(':')) assert.equal(set.containsIp(`::ffff:${text}`), reference);
      }
    }),
    { numRuns: 500 },
  );
});
