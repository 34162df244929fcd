import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TRAFFIC_PROTOCOL, type ConnectionMeta, type Direction } from '../protocols/types.js';
import { CONN_STATS, type ConnStatsRow } from '../table-store/schemas.js';
import { ADDR_FAMILY, ConnStatsAggregator } from './conn-stats.js';
import type { ConnectionId, SocketEvent } from './socket-events.js';

const UPID = '77:1234';

function meta(role: ConnectionMeta['role'], remoteAddr: string, remotePort: number): ConnectionMeta {
  return { upid: UPID, tgid: 77, localAddr: '10.0.0.5', localPort: role === 'server' ? 80 : 40000, remoteAddr, remotePort, role };
}

const conn = (fd: number, generation = 0): ConnectionId => ({ tgid: 77, fd, generation });

function open(id: ConnectionId, connMeta: ConnectionMeta, observed?: boolean): SocketEvent {
  return { kind: 'open', conn: id, meta: connMeta, timestampNs: 1n, ...(observed === undefined ? {} : { observed }) };
}

function data(id: ConnectionId, direction: Direction, bytes: number, byteCount?: number): SocketEvent {
  return { kind: 'data', conn: id, chunk: { direction, data: Buffer.alloc(bytes), timestampNs: 2n }, ...(byteCount === undefined ? {} : { byteCount }) };
}

function close(id: ConnectionId): SocketEvent {
  return { kind: 'close', conn: id, timestampNs: 3n };
}

function feed(aggregator: ConnStatsAggregator, events: SocketEvent[]): void {
  for (const event of events) aggregator.onEvent(event);
}

/** The counting columns, keyed by remote endpoint. */
function counts(rows: ConnStatsRow[]) {
  return Object.fromEntries(
    rows.map((row) => [
      `${row.remote_addr}:${row.remote_port}/${row.trace_role}`,
      [row.conn_open, row.conn_close, row.conn_active, row.bytes_sent, row.bytes_recv],
    ]),
  );
}

describe('ConnStatsAggregator', () => {
  it('fills every column of a client connection, in table order', () => {
    const aggregator = new ConnStatsAggregator();
    feed(aggregator, [open(conn(3), meta('client', '10.0.0.9', 5432)), data(conn(3), 'egress', 100), data(conn(3), 'ingress', 250)]);
    aggregator.setProtocol(conn(3), TRAFFIC_PROTOCOL.pgsql);
    assert.deepEqual(aggregator.flush(1_000n), [
      {
        time_: 1_000n,
        upid: UPID,
        remote_addr: '10.0.0.9',
        remote_port: 5432,
        trace_role: 1,
        addr_family: ADDR_FAMILY.ipv4,
        protocol: TRAFFIC_PROTOCOL.pgsql,
        ssl: false,
        conn_open: 1,
        conn_close: 0,
        conn_active: 1,
        bytes_sent: 100,
        bytes_recv: 250,
      },
    ]);
    assert.deepEqual(Object.keys(aggregator.flush(2n)[0] ?? {}), [...CONN_STATS.columns]);
  });

  it('adds up connections to the same server, and server-side connections from one client host', () => {
    const aggregator = new ConnStatsAggregator();
    feed(aggregator, [
      open(conn(3), meta('client', '10.0.0.9', 443)),
      open(conn(4), meta('client', '10.0.0.9', 443)),
      data(conn(3), 'egress', 10),
      data(conn(4), 'egress', 5),
      close(conn(3)),
      // Two connections accepted from the same client host on different ephemeral ports.
      open(conn(5), meta('server', 'fd00::7', 51000)),
      open(conn(6), meta('server', 'fd00::7', 51001)),
      data(conn(5), 'ingress', 7),
      data(conn(6), 'ingress', 8),
    ]);
    const rows = aggregator.flush(10n);
    assert.deepEqual(counts(rows), {
      '10.0.0.9:443/1': [2, 1, 1, 15, 0],
      'fd00::7:0/2': [2, 0, 2, 0, 15],
    });
    assert.equal(rows.find((row) => row.trace_role === 2)?.addr_family, ADDR_FAMILY.ipv6);
  });

  it('reports cumulative values on every flush while connections are open', () => {
    const aggregator = new ConnStatsAggregator();
    feed(aggregator, [open(conn(3), meta('client', '10.0.0.9', 80)), data(conn(3), 'egress', 10)]);
    assert.deepEqual(counts(aggregator.flush(1n)), { '10.0.0.9:80/1': [1, 0, 1, 10, 0] });
    assert.deepEqual(counts(aggregator.flush(2n)), { '10.0.0.9:80/1': [1, 0, 1, 10, 0] });
    feed(aggregator, [data(conn(3), 'ingress', 20)]);
    assert.deepEqual(counts(aggregator.flush(3n)), { '10.0.0.9:80/1': [1, 0, 1, 10, 20] });
  });

  it('reports a pair once more after its last connection closed, then forgets it', () => {
    const aggregator = new ConnStatsAggregator();
    feed(aggregator, [open(conn(3), meta('client', '10.0.0.9', 80)), data(conn(3), 'egress', 10), close(conn(3))]);
    assert.deepEqual(counts(aggregator.flush(1n)), { '10.0.0.9:80/1': [1, 1, 0, 10, 0] });
    assert.deepEqual(aggregator.flush(2n), []);
  });

  it('counts the bytes a syscall moved even when the captured payload was capped', () => {
    const aggregator = new ConnStatsAggregator();
    feed(aggregator, [open(conn(3), meta('client', '10.0.0.9', 80)), data(conn(3), 'egress', 16, 65536)]);
    assert.equal(aggregator.flush(1n)[0]?.bytes_sent, 65536);
  });

  it('tracks a connection found already open without counting it as opened', () => {
    const aggregator = new ConnStatsAggregator();
    feed(aggregator, [open(conn(3), meta('client', '10.0.0.9', 80), false), data(conn(3), 'ingress', 4)]);
    assert.deepEqual(counts(aggregator.flush(1n)), { '10.0.0.9:80/1': [0, 0, 1, 0, 4] });
  });

  it('counts events of connections it never saw open, and a reused id without a close', () => {
    const aggregator = new ConnStatsAggregator();
    feed(aggregator, [
      data(conn(9), 'egress', 4),
      close(conn(9)),
      open(conn(3), meta('client', '10.0.0.9', 80)),
      open(conn(3), meta('client', '10.0.0.9', 80)),
    ]);
    assert.deepEqual(aggregator.counters, { orphanEvents: 2, reopenedWithoutClose: 1 });
    assert.deepEqual(counts(aggregator.flush(1n)), { '10.0.0.9:80/1': [2, 1, 1, 0, 0] });
  });

  it('keeps connections with the same fd but another generation apart', () => {
    const aggregator = new ConnStatsAggregator();
    feed(aggregator, [
      open(conn(3, 0), meta('client', '10.0.0.9', 80)),
      close(conn(3, 0)),
      open(conn(3, 1), meta('client', '10.0.0.8', 80)),
      data(conn(3, 1), 'egress', 6),
    ]);
    assert.deepEqual(counts(aggregator.flush(1n)), {
      '10.0.0.9:80/1': [1, 1, 0, 0, 0],
      '10.0.0.8:80/1': [1, 0, 1, 6, 0],
    });
  });
});
