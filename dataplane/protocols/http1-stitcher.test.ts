import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { REDACTED_VALUE, TRUNCATION_MARKER } from './body.js';
import { HTTP_EVENTS, type HttpEventRow } from '../table-store/schemas.js';
import type { Http1Counters } from './http1-stitcher.js';
import { REDACTED } from './pii-redaction.js';
import { chunk, http, httpRows, httpTracker, play, seededRandom, type Step } from './test-support.js';
import type { ConnRole } from './types.js';

const GET_ITEMS = http(['GET /api/items?id=7 HTTP/1.1', 'Host: svc', 'Accept: application/json']);
const OK_JSON = http(['HTTP/1.1 200 OK', 'Content-Type: application/json', 'Content-Length: 11'], '{"ok":true}');

function okText(body: string, status = '200 OK'): Buffer {
  return http([`HTTP/1.1 ${status}`, 'Content-Type: text/plain', `Content-Length: ${Buffer.byteLength(body)}`], body);
}

function get(path: string): Buffer {
  return http([`GET ${path} HTTP/1.1`, 'Host: svc']);
}

function post(path: string, body: string): Buffer {
  return http([`POST ${path} HTTP/1.1`, 'Host: svc', 'Content-Type: application/json', `Content-Length: ${Buffer.byteLength(body)}`], body);
}

function counters(tracker: ReturnType<typeof httpTracker>): Http1Counters {
  return tracker.parserCounters as Http1Counters;
}

/** The columns that describe the exchange, without connection metadata. */
function exchange(row: HttpEventRow) {
  return {
    method: row.req_method,
    path: row.req_path,
    reqBody: row.req_body,
    status: row.resp_status,
    respBody: row.resp_body,
  };
}

describe('http_events rows', () => {
  const cases: Array<{ name: string; metaRole: ConnRole; wire: 'client' | 'server'; traceRole: number; local: string; remote: string }> = [
    { name: 'server role', metaRole: 'server', wire: 'server', traceRole: 2, local: '10.0.0.1:8080', remote: '10.0.0.2:51234' },
    { name: 'client role', metaRole: 'client', wire: 'client', traceRole: 1, local: '10.0.0.2:51234', remote: '10.0.0.1:8080' },
    { name: 'unknown role, requests ingress', metaRole: 'unknown', wire: 'server', traceRole: 2, local: '10.0.0.1:8080', remote: '10.0.0.2:51234' },
    { name: 'unknown role, requests egress', metaRole: 'unknown', wire: 'client', traceRole: 1, local: '10.0.0.1:8080', remote: '10.0.0.2:51234' },
  ];
  for (const c of cases) {
    it(`fills every column, in table order, for one exchange (${c.name})`, () => {
      const tracker = httpTracker(c.metaRole);
      play(
        tracker,
        [
          { kind: 'request', data: GET_ITEMS.subarray(0, 20), ts: 1000n },
          { kind: 'request', data: GET_ITEMS.subarray(20), ts: 1010n },
          { kind: 'response', data: OK_JSON.subarray(0, 30), ts: 1500n },
          { kind: 'response', data: OK_JSON.subarray(30), ts: 1700n },
        ],
        c.wire,
      );
      const [localAddr, localPort] = c.local.split(':');
      const [remoteAddr, remotePort] = c.remote.split(':');
      const rows = httpRows(tracker);
      assert.deepEqual(Object.keys(rows[0] ?? {}), [...HTTP_EVENTS.columns]);
      assert.deepEqual(rows, [
        {
          time_: 1000n,
          upid: '4242:987654',
          remote_addr: remoteAddr,
          remote_port: Number(remotePort),
          local_addr: localAddr,
          local_port: Number(localPort),
          trace_role: c.traceRole,
          major_version: 1,
          minor_version: 1,
          content_type: 1,
          req_headers: '{"Host":"svc","Accept":"application/json"}',
          req_method: 'GET',
          req_path: '/api/items?id=7',
          req_body: '',
          req_body_size: 0,
          resp_headers: '{"Content-Type":"application/json","Content-Length":"11"}',
          resp_status: 200,
          resp_message: 'OK',
          resp_body: '{"ok":true}',
          resp_body_size: 11,
          latency: 700n,
        },
      ]);
      assert.equal(tracker.role, c.wire);
    });
  }

  it('emits one row per exchange on a keep-alive connection, latency = response end - request start', () => {
    const tracker = httpTracker('server');
    const n = 5;
    for (let i = 0; i < n; i++) {
      const base = BigInt(1000 * (i + 1));
      play(
        tracker,
        [
          { kind: 'request', data: get(`/items/${i}`), ts: base },
          { kind: 'response', data: okText(`item-${i}`), ts: base + 40n + BigInt(i) },
        ],
        'server',
      );
    }
    const rows = httpRows(tracker);
    assert.equal(rows.length, n);
    rows.forEach((row, i) => {
      assert.equal(row.req_path, `/items/${i}`);
      assert.equal(row.resp_body, `item-${i}`);
      assert.equal(row.time_, BigInt(1000 * (i + 1)));
      assert.equal(row.latency, 40n + BigInt(i));
      assert.ok(row.latency > 0n);
    });
  });

  it('matches pipelined requests to responses in order (3 requests before any response)', () => {
    const tracker = httpTracker('server');
    play(
      tracker,
      [
        { kind: 'request', data: get('/a'), ts: 10n },
        { kind: 'request', data: post('/b', '{"n":2}'), ts: 11n },
        { kind: 'request', data: get('/c'), ts: 12n },
        { kind: 'response', data: okText('for a'), ts: 50n },
        { kind: 'response', data: okText('for b', '201 Created'), ts: 60n },
        { kind: 'response', data: okText('for c'), ts: 70n },
      ],
      'server',
    );
    const rows = httpRows(tracker);
    assert.deepEqual(rows.map(exchange), [
      { method: 'GET', path: '/a', reqBody: '', status: 200, respBody: 'for a' },
      { method: 'POST', path: '/b', reqBody: '{"n":2}', status: 201, respBody: 'for b' },
      { method: 'GET', path: '/c', reqBody: '', status: 200, respBody: 'for c' },
    ]);
    assert.deepEqual(
      rows.map((row) => row.latency),
      [40n, 49n, 58n],
    );
  });

  it('parses several messages from one chunk on each side', () => {
    const tracker = httpTracker('client');
    play(
      tracker,
      [
        { kind: 'request', data: Buffer.concat([get('/x'), get('/y'), post('/z', 'zz')]), ts: 100n },
        { kind: 'response', data: Buffer.concat([okText('X'), okText('Y'), okText('Z')]), ts: 180n },
      ],
      'client',
    );
    const rows = httpRows(tracker);
    assert.deepEqual(
      rows.map((row) => [row.req_path, row.resp_body, row.latency]),
      [
        ['/x', 'X', 80n],
        ['/y', 'Y', 80n],
        ['/z', 'Z', 80n],
      ],
    );
  });

  it('reads Content-Length bodies in both directions', () => {
    const tracker = httpTracker('server');
    const body = '{"sku":"A-1","qty":3}';
    play(
      tracker,
      [
        { kind: 'request', data: post('/orders', body), ts: 1n },
        { kind: 'response', data: http(['HTTP/1.1 201 Created', 'Content-Length: 8'], '{"id":9}'), ts: 2n },
      ],
      'server',
    );
    const [row] = httpRows(tracker);
    assert.equal(row?.req_body, body);
    assert.equal(row?.req_body_size, Buffer.byteLength(body));
    assert.equal(row?.resp_body, '{"id":9}');
    assert.equal(row?.resp_body_size, 8);
    assert.equal(row?.resp_message, 'Created');
    assert.equal(row?.content_type, 1);
  });

  it('decodes chunked bodies with extensions and trailers', () => {
    const tracker = httpTracker('server');
    const chunkedResponse = Buffer.concat([
      http(['HTTP/1.1 200 OK', 'Transfer-Encoding: chunked', 'Trailer: X-Checksum']),
      Buffer.from('5;name=value\r\nhello\r\n7\r\n, world\r\nA\r\n0123456789\r\n0\r\nX-Checksum: abc\r\n\r\n'),
    ]);
    const chunkedRequest = Buffer.concat([
      http(['PUT /upload HTTP/1.1', 'Transfer-Encoding: chunked']),
      Buffer.from('3\r\nabc\r\n0\r\n\r\n'),
    ]);
    play(
      tracker,
      [
        { kind: 'request', data: chunkedRequest, ts: 1n },
        { kind: 'response', data: chunkedResponse, ts: 9n },
      ],
      'server',
    );
    const [row] = httpRows(tracker);
    assert.equal(row?.req_body, 'abc');
    assert.equal(row?.req_body_size, 3);
    assert.equal(row?.resp_body, 'hello, world0123456789');
    assert.equal(row?.resp_body_size, 22);
    assert.deepEqual(JSON.parse(row?.resp_headers ?? ''), {
      'Transfer-Encoding': 'chunked',
      Trailer: 'X-Checksum',
      'X-Checksum': 'abc',
    });
  });

  it('parses a conversation delivered one byte per chunk, with timestamps from the first and last bytes', () => {
    const request = post('/split', 'payload');
    const response = Buffer.concat([
      http(['HTTP/1.1 200 OK', 'Transfer-Encoding: chunked']),
      Buffer.from('4\r\nbyte\r\n3\r\nwis\r\n1\r\ne\r\n0\r\nX-Done: yes\r\n\r\n'),
    ]);
    const whole = httpTracker('server');
    play(
      whole,
      [
        { kind: 'request', data: request, ts: 1000n },
        { kind: 'response', data: response, ts: 5000n },
      ],
      'server',
    );
    const bytewise = httpTracker('server');
    const steps: Step[] = [
      ...[...request].map((byte, i) => ({ kind: 'request' as const, data: Buffer.from([byte]), ts: 1000n + BigInt(i) })),
      ...[...response].map((byte, i) => ({ kind: 'response' as const, data: Buffer.from([byte]), ts: 5000n + BigInt(i) })),
    ];
    play(bytewise, steps, 'server');
    const [expected] = httpRows(whole);
    const [row] = httpRows(bytewise);
    assert.ok(expected && row);
    assert.equal(row.time_, 1000n);
    assert.equal(row.latency, 5000n + BigInt(response.length - 1) - 1000n);
    assert.deepEqual({ ...row, latency: 0n }, { ...expected, latency: 0n });
    assert.equal(row.resp_body, 'bytewise');
    assert.equal(counters(bytewise).garbageBytes, 0);
  });

  describe('responses without a body', () => {
    const cases = [
      {
        name: 'HEAD (Content-Length describes the GET body)',
        request: http(['HEAD /file HTTP/1.1', 'Host: svc']),
        response: http(['HTTP/1.1 200 OK', 'Content-Length: 1234']),
        status: 200,
      },
      { name: '204 No Content', request: get('/ping'), response: http(['HTTP/1.1 204 No Content']), status: 204 },
      {
        name: '304 Not Modified',
        request: http(['GET /cached HTTP/1.1', 'If-None-Match: "v1"']),
        response: http(['HTTP/1.1 304 Not Modified', 'ETag: "v1"', 'Content-Length: 99']),
        status: 304,
      },
    ];
    for (const c of cases) {
      it(`${c.name}: no body, and the next response on the connection still parses`, () => {
        const tracker = httpTracker('server');
        play(
          tracker,
          [
            { kind: 'request', data: Buffer.concat([c.request, get('/next')]), ts: 10n },
            { kind: 'response', data: Buffer.concat([c.response, okText('after')]), ts: 20n },
          ],
          'server',
        );
        const rows = httpRows(tracker);
        assert.equal(rows.length, 2);
        assert.equal(rows[0]?.resp_status, c.status);
        assert.equal(rows[0]?.resp_body, '');
        assert.equal(rows[0]?.resp_body_size, 0);
        assert.equal(rows[1]?.req_path, '/next');
        assert.equal(rows[1]?.resp_body, 'after');
      });
    }
  });

  it('completes a response without length when the connection closes, ending at its last byte', () => {
    const tracker = httpTracker('client');
    play(
      tracker,
      [
        { kind: 'request', data: http(['GET /legacy HTTP/1.0']), ts: 100n },
        { kind: 'response', data: http(['HTTP/1.0 200 OK', 'Content-Type: text/plain'], 'part one, '), ts: 300n },
        { kind: 'response', data: 'part two', ts: 400n },
      ],
      'client',
    );
    assert.deepEqual(httpRows(tracker), []);
    tracker.onClose(900n);
    const [row] = httpRows(tracker);
    assert.equal(row?.resp_body, 'part one, part two');
    assert.equal(row?.resp_body_size, 18);
    assert.equal(row?.minor_version, 0);
    assert.equal(row?.latency, 300n);
    assert.equal(tracker.state, 'closed');
  });

  describe('body truncation', () => {
    const limit = 16;
    const cases = [
      { name: 'shorter than the limit', body: 'short', expected: 'short' },
      { name: 'exactly the limit', body: 'x'.repeat(limit), expected: 'x'.repeat(limit) },
      { name: 'over the limit', body: 'y'.repeat(40), expected: 'y'.repeat(limit) + TRUNCATION_MARKER },
      { name: 'over the limit, multi-byte character at the cut', body: 'abcdefghijklmno€€€', expected: 'abcdefghijklmno' + TRUNCATION_MARKER },
    ];
    for (const c of cases) {
      it(`${c.name}: body cut to ${limit} bytes, size is the full size`, () => {
        const tracker = httpTracker('server', { bodyLimitBytes: limit });
        const chunked = Buffer.concat([http(['HTTP/1.1 200 OK', 'Transfer-Encoding: chunked']), Buffer.from(`${Buffer.byteLength(c.body).toString(16)}\r\n${c.body}\r\n0\r\n\r\n`)]);
        play(
          tracker,
          [
            { kind: 'request', data: post('/big', c.body), ts: 1n },
            { kind: 'response', data: chunked, ts: 2n },
          ],
          'server',
        );
        const [row] = httpRows(tracker);
        assert.equal(row?.req_body, c.expected);
        assert.equal(row?.req_body_size, Buffer.byteLength(c.body));
        assert.equal(row?.resp_body, c.expected);
        assert.equal(row?.resp_body_size, Buffer.byteLength(c.body));
      });
    }
  });

  describe('garbage and unmatched messages', () => {
    it('skips garbage between messages on both sides and counts it', () => {
      const tracker = httpTracker('server');
      const requestGarbage = Buffer.concat([Buffer.from([0x00, 0xff, 0x13, 0x37]), Buffer.from('zzzz')]);
      const responseGarbage = Buffer.from('junk-junk');
      play(
        tracker,
        [
          { kind: 'request', data: get('/1'), ts: 1n },
          { kind: 'response', data: okText('one'), ts: 2n },
          { kind: 'request', data: Buffer.concat([requestGarbage, get('/2')]), ts: 3n },
          { kind: 'response', data: Buffer.concat([responseGarbage, okText('two')]), ts: 4n },
        ],
        'server',
      );
      assert.deepEqual(
        httpRows(tracker).map((row) => [row.req_path, row.resp_body]),
        [
          ['/1', 'one'],
          ['/2', 'two'],
        ],
      );
      assert.equal(counters(tracker).garbageBytes, requestGarbage.length + responseGarbage.length);
    });

    // Found by the http1-split fuzz target: a line break inside garbage was counted when a chunk
    // ran through it and skipped uncounted (as an empty line between messages) when a chunk began at it.
    it('counts the same garbage whatever the chunk boundaries', () => {
      const garbage = Buffer.from('get /? HTTP/1.1\r\nContent-Length: 0\r\n\r\n');
      const requests = Buffer.concat([get('/1'), garbage, get('/2')]);
      const garbageBytes = (size: number) => {
        const tracker = httpTracker('server');
        for (let at = 0; at < requests.length; at += size) tracker.onData(chunk('ingress', requests.subarray(at, at + size), 1n));
        tracker.onData(chunk('egress', Buffer.concat([okText('one'), okText('two')]), 2n));
        assert.deepEqual(httpRows(tracker).map((row) => row.req_path), ['/1', '/2']);
        return counters(tracker).garbageBytes;
      };
      assert.deepEqual([1, 2, 3, requests.length].map(garbageBytes), [garbage.length, garbage.length, garbage.length, garbage.length]);
    });

    it('skips chunks before the first recognisable message while detecting', () => {
      const tracker = httpTracker('server');
      tracker.onData(chunk('ingress', Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00]), 1n));
      play(
        tracker,
        [
          { kind: 'request', data: get('/after-noise'), ts: 2n },
          { kind: 'response', data: okText('fine'), ts: 3n },
        ],
        'server',
      );
      assert.equal(httpRows(tracker)[0]?.req_path, '/after-noise');
      assert.equal(tracker.counters.undetectedBytes, 5);
    });

    it('never throws on random bytes and gives up after the undetected-bytes budget', () => {
      const tracker = httpTracker('unknown', { maxUndetectedBytes: 4096 });
      const random = seededRandom(7);
      for (let i = 0; i < 100; i++) {
        const data = Buffer.from(Array.from({ length: 97 }, () => Math.floor(random() * 256)));
        tracker.onData(chunk(i % 2 === 0 ? 'ingress' : 'egress', data, BigInt(i)));
      }
      assert.equal(tracker.state, 'unsupported');
      assert.deepEqual(httpRows(tracker), []);
      assert.ok(tracker.counters.ignoredBytes > 0);
    });

    it('drops a pair whose response has a malformed chunked body and stays aligned for the next', () => {
      const tracker = httpTracker('server');
      const broken = Buffer.concat([http(['HTTP/1.1 200 OK', 'Transfer-Encoding: chunked']), Buffer.from('zz\r\nnot hex\r\n0\r\n\r\n')]);
      play(
        tracker,
        [
          { kind: 'request', data: Buffer.concat([get('/broken'), get('/good')]), ts: 1n },
          { kind: 'response', data: Buffer.concat([broken, okText('good')]), ts: 2n },
        ],
        'server',
      );
      const rows = httpRows(tracker);
      assert.deepEqual(
        rows.map((row) => [row.req_path, row.resp_body]),
        [['/good', 'good']],
      );
      assert.equal(counters(tracker).malformedMessages, 1);
      assert.equal(counters(tracker).droppedPairs, 1);
    });

    it('keeps a place for a malformed request so its response is not paired with the next request', () => {
      const tracker = httpTracker('server');
      const badRequest = Buffer.concat([http(['POST /bad HTTP/1.1', 'Transfer-Encoding: chunked']), Buffer.from('zz\r\n')]);
      play(
        tracker,
        [
          { kind: 'request', data: Buffer.concat([badRequest, get('/good')]), ts: 1n },
          { kind: 'response', data: okText('rejected', '400 Bad Request'), ts: 2n },
          { kind: 'response', data: okText('for good'), ts: 3n },
        ],
        'server',
      );
      assert.deepEqual(
        httpRows(tracker).map((row) => [row.req_path, row.resp_body]),
        [['/good', 'for good']],
      );
      assert.equal(counters(tracker).droppedPairs, 1);
    });

    it('counts a response for a request it never saw (tracing began mid-connection) and pairs the next ones', () => {
      for (const metaRole of ['server', 'unknown'] as const) {
        const tracker = httpTracker(metaRole);
        play(
          tracker,
          [
            { kind: 'response', data: okText('orphan'), ts: 1n },
            { kind: 'request', data: get('/seen'), ts: 2n },
            { kind: 'response', data: okText('paired'), ts: 3n },
          ],
          'server',
        );
        assert.deepEqual(
          httpRows(tracker).map((row) => [row.req_path, row.resp_body]),
          [['/seen', 'paired']],
        );
        assert.equal(counters(tracker).unmatchedResponses, 1);
        assert.equal(tracker.role, 'server');
      }
    });

    it('does not pair a response that began before the oldest waiting request (out-of-order delivery)', () => {
      const tracker = httpTracker('server');
      play(
        tracker,
        [
          { kind: 'request', data: get('/late-seen'), ts: 5n },
          { kind: 'response', data: okText('answers an unseen request'), ts: 3n },
          { kind: 'response', data: okText('mine'), ts: 9n },
        ],
        'server',
      );
      assert.deepEqual(
        httpRows(tracker).map((row) => [row.req_path, row.resp_body, row.latency]),
        [['/late-seen', 'mine', 4n]],
      );
      assert.equal(counters(tracker).unmatchedResponses, 1);
    });

    it('counts requests still unanswered at close', () => {
      const tracker = httpTracker('client');
      play(tracker, [{ kind: 'request', data: Buffer.concat([get('/a'), get('/b')]), ts: 1n }], 'client');
      tracker.onClose(2n);
      assert.deepEqual(httpRows(tracker), []);
      assert.equal(counters(tracker).unansweredRequests, 2);
    });

    it('ignores bytes after close', () => {
      const tracker = httpTracker('server');
      tracker.onClose(1n);
      tracker.onData(chunk('ingress', get('/late'), 2n));
      assert.deepEqual(httpRows(tracker), []);
      assert.equal(tracker.counters.ignoredBytes, get('/late').length);
    });
  });

  describe('interim responses and protocol switches', () => {
    it('skips 100 Continue and measures latency from the request start', () => {
      const tracker = httpTracker('client');
      play(
        tracker,
        [
          { kind: 'request', data: http(['POST /upload HTTP/1.1', 'Expect: 100-continue', 'Content-Length: 4']), ts: 10n },
          { kind: 'response', data: http(['HTTP/1.1 100 Continue']), ts: 20n },
          { kind: 'request', data: 'data', ts: 30n },
          { kind: 'response', data: okText('stored'), ts: 60n },
        ],
        'client',
      );
      const rows = httpRows(tracker);
      assert.deepEqual(
        rows.map((row) => [row.req_body, row.resp_status, row.resp_body, row.latency]),
        [['data', 200, 'stored', 50n]],
      );
      assert.equal(counters(tracker).interimResponses, 1);
    });

    it('holds a response that arrives before its request body has finished', () => {
      const tracker = httpTracker('server');
      play(
        tracker,
        [
          { kind: 'request', data: http(['POST /too-big HTTP/1.1', 'Content-Length: 10'], '01234'), ts: 10n },
          { kind: 'response', data: http(['HTTP/1.1 413 Payload Too Large', 'Content-Length: 0']), ts: 20n },
          { kind: 'request', data: '56789', ts: 30n },
        ],
        'server',
      );
      assert.deepEqual(
        httpRows(tracker).map((row) => [row.resp_status, row.req_body, row.latency]),
        [[413, '0123456789', 10n]],
      );
    });

    it('stops parsing after 101 Switching Protocols (the rest is WebSocket frames)', () => {
      const tracker = httpTracker('server');
      const frames = [Buffer.from([0x81, 0x05, ...Buffer.from('GET /')]), Buffer.from([0x82, 0x03, 0x48, 0x54, 0x54])];
      play(
        tracker,
        [
          { kind: 'request', data: http(['GET /ws HTTP/1.1', 'Upgrade: websocket', 'Connection: Upgrade']), ts: 1n },
          { kind: 'response', data: Buffer.concat([http(['HTTP/1.1 101 Switching Protocols', 'Upgrade: websocket']), frames[1]!]), ts: 2n },
          { kind: 'request', data: frames[0]!, ts: 3n },
        ],
        'server',
      );
      assert.deepEqual(
        httpRows(tracker).map((row) => [row.req_path, row.resp_status]),
        [['/ws', 101]],
      );
      const parser = counters(tracker);
      assert.equal(parser.tunneledBytes, frames[0]!.length + frames[1]!.length);
      assert.equal(parser.garbageBytes, 0);
    });
  });

  describe('data access modes', () => {
    const body = '{"email":"jane.doe@example.com","card":"4111 1111 1111 1111","ip":"192.168.1.20","order":42}';
    const steps = (responseBody: string): Step[] => [
      { kind: 'request', data: post('/users?email=john@example.org', body), ts: 1n },
      { kind: 'response', data: okText(responseBody), ts: 2n },
    ];

    it('Restricted: bodies and headers are withheld, sizes and the path kept', () => {
      const tracker = httpTracker('server', { dataAccess: 'Restricted' });
      play(tracker, steps(''), 'server');
      const [row] = httpRows(tracker);
      assert.equal(row?.req_body, REDACTED_VALUE);
      assert.equal(row?.req_body_size, Buffer.byteLength(body));
      assert.equal(row?.resp_body, '');
      assert.equal(row?.req_headers, REDACTED_VALUE);
      assert.equal(row?.resp_headers, REDACTED_VALUE);
      assert.equal(row?.req_path, '/users?email=john@example.org');
    });

    it('PIIRestricted: no bodies; e-mails and addresses are redacted in the headers and the path', () => {
      const tracker = httpTracker('server', { dataAccess: 'PIIRestricted' });
      const request = http(['POST /users?email=john%40example.org HTTP/1.1', 'Host: 10.0.0.7:8080', 'From: jane@example.com', `Content-Length: ${Buffer.byteLength(body)}`], body);
      play(tracker, [{ kind: 'request', data: request, ts: 1n }, { kind: 'response', data: okText('peer 2001:db8::1 ok'), ts: 2n }], 'server');
      const [row] = httpRows(tracker);
      assert.equal(row?.req_body, REDACTED_VALUE);
      assert.equal(row?.resp_body, REDACTED_VALUE);
      assert.equal(row?.req_body_size, Buffer.byteLength(body));
      assert.equal(row?.req_path, `/users?email=${REDACTED.email}`);
      assert.equal(row?.req_headers, `{"Host":"${REDACTED.ipv4}:8080","From":"${REDACTED.email}","Content-Length":"${Buffer.byteLength(body)}"}`);
    });

    it('Full: bodies as sent', () => {
      const tracker = httpTracker('server');
      play(tracker, steps(''), 'server');
      assert.equal(httpRows(tracker)[0]?.req_body, body);
    });
  });
});
