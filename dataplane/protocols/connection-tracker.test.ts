import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConnectionTracker } from './connection-tracker.js';
import { http1Protocol } from './http1-protocol.js';
import { resolveTrackerOptions } from './options.js';
import { defaultProtocolRegistry, ProtocolRegistry, ProtocolRegistryError, rowsOf } from './registry.js';
import type { StreamBuffer } from './stream-buffer.js';
import { chunk, connectionMeta, http, httpRows, httpTracker } from './test-support.js';
import type { MessageKind, ParserCounters, ProtocolParser, ProtocolSession, SessionContext } from './types.js';

type PingRow = { readonly time_: bigint; readonly upid: string; readonly request: string; readonly response: string };

/** A toy line protocol ("PING x" answered by "PONG x"), to show a second protocol plugging in. */
class PingSession implements ProtocolSession<PingRow> {
  readonly counters: ParserCounters = { garbageBytes: 0, malformedMessages: 0, unmatchedResponses: 0, unansweredRequests: 0, gaps: 0 };
  private readonly requests: Array<{ line: string; ts: bigint }> = [];
  private rows: PingRow[] = [];

  constructor(private readonly context: SessionContext) {}

  onData(kind: MessageKind, buffer: StreamBuffer): void {
    for (let end = buffer.bytes().indexOf('\n'); end >= 0; end = buffer.bytes().indexOf('\n')) {
      const line = buffer.bytes().toString('latin1', 0, end);
      const ts = buffer.timestampAt(0);
      buffer.consume(end + 1);
      if (kind === 'request') this.requests.push({ line, ts });
      else {
        const request = this.requests.shift();
        if (request) this.rows.push({ time_: request.ts, upid: this.context.meta.upid, request: request.line, response: line });
        else this.counters.unmatchedResponses++;
      }
    }
  }

  onGap(): void {
    this.counters.gaps++;
  }

  onClose(): void {
    this.counters.unansweredRequests += this.requests.length;
  }

  takeRows(): PingRow[] {
    const rows = this.rows;
    this.rows = [];
    return rows;
  }
}

const pingProtocol: ProtocolParser<PingRow> = {
  name: 'ping',
  table: 'ping_events',
  trafficProtocol: 100,
  detect: (prefix) => {
    const text = prefix.toString('latin1', 0, 4);
    if (text === 'PING') return { verdict: 'match', kind: 'request' };
    if (text === 'PONG') return { verdict: 'match', kind: 'response' };
    return 'PING'.startsWith(text) || 'PONG'.startsWith(text) ? { verdict: 'need-more' } : { verdict: 'no-match' };
  },
  createSession: (context) => new PingSession(context),
};

function registryWithPing(): ProtocolRegistry {
  return defaultProtocolRegistry().register(pingProtocol);
}

describe('ProtocolRegistry', () => {
  it('routes each connection to the protocol its first bytes match', () => {
    const registry = registryWithPing();
    const ping = new ConnectionTracker(connectionMeta('client'), registry);
    ping.onData(chunk('egress', 'PI', 1n));
    ping.onData(chunk('egress', 'NG a\nPING b\n', 2n));
    ping.onData(chunk('ingress', 'PONG a\nPONG b\n', 5n));
    const web = new ConnectionTracker(connectionMeta('server'), registry);
    web.onData(chunk('ingress', http(['GET / HTTP/1.1']), 1n));
    web.onData(chunk('egress', http(['HTTP/1.1 204 No Content']), 2n));

    assert.equal(ping.protocol?.name, 'ping');
    assert.deepEqual(rowsOf(ping.takeRecords(), pingProtocol), [
      { time_: 1n, upid: '4242:987654', request: 'PING a', response: 'PONG a' },
      { time_: 2n, upid: '4242:987654', request: 'PING b', response: 'PONG b' },
    ]);
    assert.equal(web.protocol?.name, 'http');
    const records = web.takeRecords();
    assert.deepEqual(records.map((record) => record.table), ['http_events']);
    assert.deepEqual(rowsOf(records, pingProtocol), []);
  });

  it('rejects a second parser with the same name or table', () => {
    const registry = registryWithPing();
    assert.throws(() => registry.register(pingProtocol), (error: unknown) => error instanceof ProtocolRegistryError && error.code === 'DUPLICATE_PROTOCOL');
    assert.throws(
      () => registry.register({ ...pingProtocol, name: 'ping2' }),
      (error: unknown) => error instanceof ProtocolRegistryError && error.code === 'DUPLICATE_TABLE' && /ping_events/.test(error.message),
    );
  });

  it('asks for more bytes while any parser cannot decide', () => {
    const registry = registryWithPing();
    const context = { direction: 'egress', role: 'unknown' } as const;
    assert.equal(registry.detect(Buffer.from('P'), context).verdict, 'need-more');
    assert.equal(registry.detect(Buffer.from('PO'), context).verdict, 'need-more');
    assert.equal(registry.detect(Buffer.from('PONG'), context).verdict, 'match');
    assert.equal(registry.detect(Buffer.from('QX'), context).verdict, 'no-match');
  });
});

describe('ConnectionTracker', () => {
  it('detects HTTP when the method is split across chunks', () => {
    const tracker = httpTracker('server');
    tracker.onData(chunk('ingress', 'GE', 10n));
    assert.equal(tracker.state, 'detecting');
    tracker.onData(chunk('ingress', 'T /split HTTP/1.1\r\n\r\n', 11n));
    tracker.onData(chunk('egress', http(['HTTP/1.1 200 OK', 'Content-Length: 0']), 20n));
    assert.equal(tracker.state, 'tracing');
    assert.deepEqual(
      httpRows(tracker).map((row) => [row.req_path, row.time_, row.latency]),
      [['/split', 10n, 10n]],
    );
  });

  it('retries detection on a later chunk after a false start', () => {
    const tracker = httpTracker('server');
    tracker.onData(chunk('ingress', 'GE', 1n));
    tracker.onData(chunk('ingress', 'GET /real HTTP/1.1\r\n\r\n', 2n));
    tracker.onData(chunk('egress', http(['HTTP/1.1 200 OK', 'Content-Length: 0']), 3n));
    assert.deepEqual(
      httpRows(tracker).map((row) => row.req_path),
      ['/real'],
    );
    assert.equal(tracker.counters.undetectedBytes, 2);
  });

  it('does not trace a protocol whose direction contradicts the given role', () => {
    // A server that sends a request is not an HTTP server by this connection's account.
    const tracker = httpTracker('server', { maxUndetectedBytes: 10 });
    tracker.onData(chunk('egress', http(['GET /odd HTTP/1.1']), 1n));
    assert.equal(tracker.state, 'unsupported');
    assert.equal(tracker.protocol, undefined);
  });

  it('drops a head longer than the buffer as garbage and parses the next message', () => {
    const tracker = httpTracker('server', { maxBufferBytes: 1024 });
    const huge = http(['GET /huge HTTP/1.1', `X-Big: ${'b'.repeat(3000)}`]);
    tracker.onData(chunk('ingress', huge, 1n));
    tracker.onData(chunk('ingress', http(['GET /small HTTP/1.1']), 2n));
    tracker.onData(chunk('egress', http(['HTTP/1.1 200 OK', 'Content-Length: 0']), 3n));
    assert.deepEqual(
      httpRows(tracker).map((row) => row.req_path),
      ['/small'],
    );
    assert.ok(tracker.counters.overflowBytes >= 1024);
    assert.equal(tracker.parserCounters?.gaps, 1);
  });

  it('streams a body far larger than the buffer without losing it', () => {
    const tracker = httpTracker('server', { maxBufferBytes: 1024, bodyLimitBytes: 8 });
    const body = 'z'.repeat(100_000);
    tracker.onData(chunk('ingress', http(['POST /upload HTTP/1.1', `Content-Length: ${body.length}`], body), 1n));
    tracker.onData(chunk('egress', http(['HTTP/1.1 200 OK', 'Content-Length: 0']), 2n));
    const [row] = httpRows(tracker);
    assert.equal(row?.req_body_size, 100_000);
    assert.equal(tracker.counters.overflowBytes, 0);
  });

  it('stops tracing a connection whose parser throws, and keeps the error', () => {
    const throwing: ProtocolParser = {
      ...pingProtocol,
      name: 'throwing',
      table: 'throwing_events',
      createSession: () => {
        throw new Error('parser bug');
      },
    };
    const tracker = new ConnectionTracker(connectionMeta('client'), new ProtocolRegistry().register(throwing));
    tracker.onData(chunk('egress', 'PING x\n', 1n));
    tracker.onData(chunk('egress', 'PING y\n', 2n));
    assert.equal(tracker.state, 'unsupported');
    assert.equal(tracker.parserError, 'parser bug');
    assert.equal(tracker.counters.parserErrors, 1);
    assert.equal(tracker.counters.ignoredBytes, 7);
    tracker.onClose(3n);
    assert.equal(tracker.state, 'closed');
  });

  it('counts unparsed bytes left at close', () => {
    const tracker = httpTracker('client');
    tracker.onData(chunk('egress', 'GET /never-finished HTTP/1.1\r\nHost:', 1n));
    tracker.onClose(2n);
    assert.equal(tracker.counters.unparsedBytesAtClose, 'GET /never-finished HTTP/1.1\r\nHost:'.length);
    assert.equal(tracker.parserCounters?.malformedMessages, 1);
  });
});

describe('registry defaults', () => {
  it('registers HTTP/1.x', () => {
    assert.deepEqual(
      defaultProtocolRegistry().parsers.map((parser) => [parser.name, parser.table, parser.trafficProtocol]),
      [[http1Protocol.name, 'http_events', 1]],
    );
    assert.deepEqual(resolveTrackerOptions(), { bodyLimitBytes: 1024, dataAccess: 'Full', maxBufferBytes: 65536, maxUndetectedBytes: 1048576 });
  });
});
