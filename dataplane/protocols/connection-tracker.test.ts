import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConnectionTracker } from './connection-tracker.js';
import { TRUNCATION_MARKER } from './body.js';
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

  onGap(): boolean {
    this.counters.gaps++;
    return false;
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
    // The server answers both; the dropped request still holds its place in the pairing.
    tracker.onData(chunk('egress', http(['HTTP/1.1 431 Request Header Fields Too Large', 'Content-Length: 0']), 3n));
    tracker.onData(chunk('egress', http(['HTTP/1.1 200 OK', 'Content-Length: 0']), 4n));
    assert.deepEqual(
      httpRows(tracker).map((row) => [row.req_path, row.resp_status]),
      [['/small', 200]],
    );
    assert.ok(tracker.counters.overflowBytes >= 1024);
    assert.equal(tracker.parserCounters?.gaps, 1);
  });

  it('skips bytes lost inside a Content-Length body and still makes the row, then parses the next pair', () => {
    const tracker = httpTracker('server', { bodyLimitBytes: 64 });
    const body = 'y'.repeat(20_000);
    tracker.onData(chunk('ingress', http(['GET /big HTTP/1.1']), 1n));
    const response = http(['HTTP/1.1 200 OK', `Content-Length: ${body.length}`], body);
    // The kernel captured the first 4096 bytes of a 20,000+ byte write.
    tracker.onData(chunk('egress', response.subarray(0, 4096), 2n));
    tracker.onGap('egress', response.length - 4096, 3n);
    tracker.onData(chunk('ingress', http(['GET /next HTTP/1.1']), 4n));
    tracker.onData(chunk('egress', http(['HTTP/1.1 204 No Content']), 5n));
    const rows = httpRows(tracker);
    assert.deepEqual(rows.map((row) => [row.req_path, row.resp_status, row.resp_body_size]), [['/big', 200, 20_000], ['/next', 204, 0]]);
    assert.equal(rows[0]!.resp_body, `${'y'.repeat(64)}${TRUNCATION_MARKER}`);
    assert.equal(rows[0]!.latency, 2n, 'the response ended when the loss was noticed');
    assert.equal(tracker.counters.lostBytes, response.length - 4096);
    assert.equal(tracker.parserCounters?.skippedBodyBytes, response.length - 4096);
    assert.equal(tracker.parserCounters?.gaps, 0);
  });

  it('marks a body with lost bytes as cut even when it is under the body limit', () => {
    const tracker = httpTracker('server', { bodyLimitBytes: 1024 });
    tracker.onData(chunk('ingress', http(['GET /mid HTTP/1.1']), 1n));
    const response = http(['HTTP/1.1 200 OK', 'Content-Length: 600'], 'm'.repeat(600));
    tracker.onData(chunk('egress', response.subarray(0, response.length - 500), 2n));
    tracker.onGap('egress', 500, 3n);
    const [row] = httpRows(tracker);
    assert.equal(row?.resp_body_size, 600);
    assert.equal(row?.resp_body, `${'m'.repeat(100)}${TRUNCATION_MARKER}`);
  });

  it('skips lost bytes inside a chunk and keeps parsing the chunked body', () => {
    const tracker = httpTracker('server', { bodyLimitBytes: 1024 });
    tracker.onData(chunk('ingress', http(['GET /c HTTP/1.1']), 1n));
    const head = http(['HTTP/1.1 200 OK', 'Transfer-Encoding: chunked']);
    tracker.onData(chunk('egress', Buffer.concat([head, Buffer.from('3e8\r\n'), Buffer.alloc(100, 0x61)]), 2n));
    tracker.onGap('egress', 900, 3n);
    tracker.onData(chunk('egress', Buffer.from('\r\n5\r\nhello\r\n0\r\n\r\n'), 4n));
    const [row] = httpRows(tracker);
    assert.equal(row?.resp_body_size, 1005);
    assert.equal(row?.latency, 3n);
  });

  it('skips a lost chunk that ends with its CRLF (one write per chunk) and parses the chunks after it', () => {
    const tracker = httpTracker('server', { bodyLimitBytes: 1024 });
    tracker.onData(chunk('ingress', http(['GET /c HTTP/1.1']), 1n));
    const head = http(['HTTP/1.1 200 OK', 'Transfer-Encoding: chunked']);
    tracker.onData(chunk('egress', Buffer.concat([head, Buffer.from('3e8\r\n'), Buffer.alloc(100, 0x61)]), 2n));
    tracker.onGap('egress', 900 + 2, 3n);
    tracker.onData(chunk('egress', Buffer.from('5\r\nhello\r\n0\r\n\r\n'), 4n));
    const [row] = httpRows(tracker);
    assert.equal(row?.resp_body_size, 1005);
    assert.equal(row?.latency, 3n);
  });

  it('keeps the row of a chunked body whose loss spans chunk-size lines, shown cut, and parses the next message', () => {
    const tracker = httpTracker('server', { bodyLimitBytes: 1024 });
    tracker.onData(chunk('ingress', http(['GET /multi HTTP/1.1']), 1n));
    const head = http(['HTTP/1.1 200 OK', 'Transfer-Encoding: chunked']);
    // One write of 50 chunks of which the kernel kept the first 40 bytes: two whole chunks and
    // 7 bytes of the third; the lost rest holds 47 chunk-size lines.
    const chunks = Buffer.from(`a\r\n${'x'.repeat(10)}\r\n`.repeat(50) + '0\r\n\r\n');
    tracker.onData(chunk('egress', Buffer.concat([head, chunks.subarray(0, 40)]), 2n));
    tracker.onGap('egress', chunks.length - 40, 3n);
    tracker.onData(chunk('ingress', http(['GET /next HTTP/1.1']), 4n));
    tracker.onData(chunk('egress', http(['HTTP/1.1 204 No Content']), 5n));
    const rows = httpRows(tracker);
    assert.deepEqual(rows.map((row) => [row.req_path, row.resp_status]), [['/multi', 200], ['/next', 204]]);
    assert.equal(rows[0]!.resp_body, `${'x'.repeat(27)}${TRUNCATION_MARKER}`);
    assert.equal(rows[0]!.resp_body_size, 27, 'the body bytes before the loss: the framing after it is unknown');
    assert.equal(rows[0]!.latency, 2n, 'the response ended when the loss was noticed');
    assert.equal(tracker.parserCounters?.cutMessages, 1);
    assert.equal(tracker.parserCounters?.gaps, 0);
  });

  it('drops a message whose head lost bytes, keeps the pairs after it aligned, and resynchronises', () => {
    const tracker = httpTracker('server');
    const head = http(['GET /cut HTTP/1.1', 'X-Long: abcdefgh']);
    tracker.onData(chunk('ingress', head.subarray(0, 20), 1n));
    tracker.onGap('ingress', head.length - 20, 2n);
    tracker.onData(chunk('ingress', http(['GET /whole HTTP/1.1']), 3n));
    tracker.onData(chunk('egress', http(['HTTP/1.1 500 Answer to the cut one', 'Content-Length: 0']), 4n));
    tracker.onData(chunk('egress', http(['HTTP/1.1 200 OK', 'Content-Length: 0']), 5n));
    assert.deepEqual(httpRows(tracker).map((row) => [row.req_path, row.resp_status]), [['/whole', 200]]);
    assert.equal(tracker.parserCounters?.gaps, 1);
    assert.equal(tracker.counters.discardedBytes, 20);
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
