import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ProcParseError } from './proc.js';
import { NetworkStatsReader, parseNamespaceLink, parseNetDev, sumInterfaces } from './network-stats.js';

// Captured on the dev VM (/proc/self/net/dev), plus a veth and a docker bridge.
const NET_DEV_HOST = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo: 2713213215 2274980    0    0    0     0          0         0 2713213215 2274980    0    0    0     0       0          0
  ifb0:       0       0    0    0    0     0          0         0        0       0    0    0    0     0       0          0
  eth0: 565715067   19099    1    2    0     0          0         0  1732958   13374    3    4    0     0       0          0
vethab12: 100 1 0 0 0 0 0 0 200 2 0 0 0 0 0 0
docker0: 300 3 0 0 0 0 0 0 400 4 0 0 0 0 0 0
`;
const NET_DEV_POD = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:     500       5    0    0    0     0          0         0      500       5    0    0    0     0       0          0
  eth0:    1000      10    0    1    0     0          0         0     2000      20    0    0    0     0       0          0
`;

describe('network_stats parsing', () => {
  it('reads the receive and transmit counters of every interface', () => {
    const ifaces = parseNetDev(NET_DEV_HOST);
    assert.deepEqual(
      ifaces.map((i) => i.name),
      ['lo', 'ifb0', 'eth0', 'vethab12', 'docker0'],
    );
    assert.deepEqual(ifaces[2], {
      name: 'eth0',
      rx_bytes: 565715067,
      rx_packets: 19099,
      rx_errors: 1,
      rx_drops: 2,
      tx_bytes: 1732958,
      tx_packets: 13374,
      tx_errors: 3,
      tx_drops: 4,
    });
  });

  it('sums the interfaces except loopback, veth host ends and docker bridges', () => {
    assert.deepEqual(sumInterfaces(parseNetDev(NET_DEV_HOST)), {
      rx_bytes: 565715067,
      rx_packets: 19099,
      rx_errors: 1,
      rx_drops: 2,
      tx_bytes: 1732958,
      tx_packets: 13374,
      tx_errors: 3,
      tx_drops: 4,
    });
    assert.equal(sumInterfaces(parseNetDev(NET_DEV_HOST), []).rx_bytes, 2713213215 + 565715067 + 100 + 300);
  });

  it('rejects a malformed line and a malformed namespace link', () => {
    assert.throws(() => parseNetDev('h1\nh2\n  eth0: 1 2 3\n'), (e: unknown) => e instanceof ProcParseError && /eth0: 1 2 3/.test(e.message));
    assert.equal(parseNamespaceLink('net:[4026531833]'), 4026531833);
    assert.throws(() => parseNamespaceLink('/proc/1/ns/net'), ProcParseError);
  });
});

describe('NetworkStatsReader', () => {
  const root = mkdtempSync(join(tmpdir(), 'loupe-net-fixture-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  const proc = (pid: number, netns: number, netDev?: string) => {
    mkdirSync(join(root, String(pid), 'ns'), { recursive: true });
    symlinkSync(`net:[${netns}]`, join(root, String(pid), 'ns', 'net'));
    if (netDev !== undefined) {
      mkdirSync(join(root, String(pid), 'net'));
      writeFileSync(join(root, String(pid), 'net', 'dev'), netDev);
    }
  };

  it('emits one row per network namespace, read through one of its processes', () => {
    proc(1, 4026531833, NET_DEV_HOST);
    proc(77, 4026531833, NET_DEV_HOST);
    proc(300, 4026532999); // lowest pid of the pod namespace, but exited: its net/dev is gone
    proc(301, 4026532999, NET_DEV_POD);
    proc(302, 4026532999, NET_DEV_POD);
    const reader = new NetworkStatsReader({ procRoot: root, clock: () => 9n });
    assert.deepEqual([...reader.namespaces()], [
      [4026531833, [1, 77]],
      [4026532999, [300, 301, 302]],
    ]);
    const rows = reader.read();
    assert.deepEqual(
      rows.map((r) => [r.netns, r.time_, r.rx_bytes, r.tx_bytes, r.rx_drops]),
      [
        [4026531833, 9n, 565715067, 1732958, 2],
        [4026532999, 9n, 1000, 2000, 1],
      ],
    );
    assert.deepEqual(
      reader.read([302]).map((r) => r.netns),
      [4026532999],
    );
  });

  it('reads the test process namespace from the real /proc', () => {
    const netns = parseNamespaceLink(readlinkSync('/proc/self/ns/net'));
    const rows = new NetworkStatsReader().read([process.pid]);
    assert.equal(rows.length, 1);
    const row = rows[0]!;
    assert.equal(row.netns, netns);
    const all = sumInterfaces(parseNetDev(readFileSync('/proc/self/net/dev', 'utf8')));
    for (const k of ['rx_bytes', 'rx_packets', 'tx_bytes', 'tx_packets'] as const) {
      assert.ok(Number.isInteger(row[k]) && row[k] >= 0, `${k} = ${row[k]}`);
      assert.ok(row[k] <= all[k], `${k} went backwards: ${row[k]} then ${all[k]}`);
    }
    const everyNs = new NetworkStatsReader().read();
    assert.ok(everyNs.some((r) => r.netns === netns), 'the system-wide read misses our own namespace');
  });
});
