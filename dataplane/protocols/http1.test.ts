import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { headersToJson } from './http-events.js';
import { detectHttp1, findMessageStart, Http1Parser, type HttpMessage } from './http1.js';
import { StreamBuffer } from './stream-buffer.js';
import { seededRandom } from './test-support.js';
import type { MessageKind } from './types.js';

interface Parsed {
  messages: HttpMessage[];
  malformed: string[];
  garbage: number;
}

function parseAll(kind: MessageKind, input: string | Buffer, requestMethod?: string): Parsed {
  const parsed: Parsed = { messages: [], malformed: [], garbage: 0 };
  const parser = new Http1Parser(
    { kind, bodyCaptureBytes: 1024, requestMethod: () => requestMethod },
    {
      message: (message) => parsed.messages.push(message),
      malformed: (_kind, reason) => parsed.malformed.push(reason),
      garbage: (count) => (parsed.garbage += count),
    },
  );
  const buffer = new StreamBuffer(64 * 1024);
  buffer.append(Buffer.isBuffer(input) ? input : Buffer.from(input), 1n);
  parser.parse(buffer);
  parser.finish();
  return parsed;
}

describe('detectHttp1', () => {
  const cases: Array<[string, string | Buffer, ReturnType<typeof detectHttp1>]> = [
    ['a request line', 'GET / HTTP/1.1\r\n', { verdict: 'match', kind: 'request' }],
    ['every method', 'OPTIONS * HTTP/1.1', { verdict: 'match', kind: 'request' }],
    ['a status line', 'HTTP/1.1 200 OK\r\n', { verdict: 'match', kind: 'response' }],
    ['an HTTP/1.0 status line', 'HTTP/1.0 404 Not Found', { verdict: 'match', kind: 'response' }],
    ['a method cut short', 'DEL', { verdict: 'need-more' }],
    ['a status line cut short', 'HTTP/1.1 2', { verdict: 'need-more' }],
    ['nothing yet', '', { verdict: 'need-more' }],
    ['a lowercase method', 'get / HTTP/1.1', { verdict: 'no-match' }],
    ['an unknown method', 'FETCH / HTTP/1.1', { verdict: 'no-match' }],
    ['the HTTP/2 preface', 'PRI * HTTP/2.0\r\n', { verdict: 'no-match' }],
    ['an HTTP/2 status line', 'HTTP/2 200', { verdict: 'no-match' }],
    ['a TLS record', Buffer.from([0x16, 0x03, 0x01, 0x00, 0xa5]), { verdict: 'no-match' }],
    ['a PostgreSQL startup message', Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]), { verdict: 'no-match' }],
  ];
  for (const [name, input, expected] of cases) {
    it(`${name} → ${expected.verdict}`, () => {
      assert.deepEqual(detectHttp1(Buffer.isBuffer(input) ? input : Buffer.from(input)), expected);
    });
  }
});

describe('findMessageStart', () => {
  it('finds the next request or status line, or a possible one cut at the end', () => {
    assert.equal(findMessageStart(Buffer.from('xxGET / HTTP/1.1'), 0, 'request'), 2);
    assert.equal(findMessageStart(Buffer.from('xxxxPO'), 1, 'request'), 4);
    assert.equal(findMessageStart(Buffer.from('HTTPS HTTP/1.1 200'), 0, 'response'), 6);
    assert.equal(findMessageStart(Buffer.from('no start here'), 0, 'request'), -1);
  });
});

describe('Http1Parser', () => {
  it('keeps header order and case, joins repeated headers and unfolds obsolete line folding', () => {
    const { messages } = parseAll(
      'request',
      'GET / HTTP/1.1\r\nX-Trace:  a  \r\nSet-Thing: 1\r\nset-thing: 2\r\nX-Folded: first\r\n  second\r\n\r\n',
    );
    assert.equal(messages.length, 1);
    assert.deepEqual(messages[0]?.headers, [
      ['X-Trace', 'a'],
      ['Set-Thing', '1'],
      ['set-thing', '2'],
      ['X-Folded', 'first second'],
    ]);
    assert.equal(headersToJson(messages[0]!.headers), '{"X-Trace":"a","Set-Thing":"1","set-thing":"2","X-Folded":"first second"}');
    assert.equal(headersToJson([['A', '1'], ['A', '2'], ['__proto__', 'x']]), '{"A":"1, 2","__proto__":"x"}');
  });

  it('reads a status line without a reason phrase', () => {
    const { messages } = parseAll('response', 'HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n');
    assert.equal(messages[0]?.kind, 'response');
    assert.equal(messages[0]?.kind === 'response' && messages[0].reason, '');
  });

  it('lets Transfer-Encoding chunked win over Content-Length', () => {
    const { messages } = parseAll('response', 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: gzip, chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n');
    assert.equal(messages[0]?.body.prefix.toString(), 'ok');
  });

  it('accepts repeated identical Content-Length values', () => {
    const { messages, malformed } = parseAll('request', 'POST / HTTP/1.1\r\nContent-Length: 2, 2\r\n\r\nhi');
    assert.deepEqual(malformed, []);
    assert.equal(messages[0]?.body.prefix.toString(), 'hi');
  });

  it('gives a response to HEAD no body whatever its Content-Length', () => {
    const response = 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n';
    assert.equal(parseAll('response', response, 'HEAD').messages.length, 1);
    // Without knowing the request was HEAD, the parser waits for five body bytes.
    assert.deepEqual(parseAll('response', response, 'GET').malformed, ['connection closed in the middle of the message']);
  });

  const malformedCases: Array<[string, MessageKind, string, string]> = [
    ['conflicting Content-Length', 'request', 'POST / HTTP/1.1\r\nContent-Length: 5, 6\r\n\r\n', 'invalid Content-Length "5, 6"'],
    ['non-numeric Content-Length', 'response', 'HTTP/1.1 200 OK\r\nContent-Length: ten\r\n\r\n', 'invalid Content-Length "ten"'],
    ['request Transfer-Encoding without chunked', 'request', 'POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n', 'request Transfer-Encoding does not end with chunked'],
    ['a chunk size that is not hex', 'response', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nxyz\r\n', 'invalid chunk size'],
    ['chunk data without CRLF', 'response', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nokXX', 'chunk data not followed by CRLF'],
    ['an endless chunk-size line', 'response', `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${'1'.repeat(2000)}`, 'chunk-size line too long'],
    ['a bad trailer line', 'response', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nno colon\r\n\r\n', 'invalid trailer line'],
  ];
  for (const [name, kind, input, reason] of malformedCases) {
    it(`reports ${name} as malformed`, () => {
      assert.deepEqual(parseAll(kind, input).malformed[0], reason);
    });
  }

  it('treats a start line that is not HTTP/1.x as garbage and finds the next message', () => {
    const { messages, garbage } = parseAll('request', 'GET /x HTTP/9.9\r\n\r\nGET /y HTTP/1.1\r\n\r\n');
    assert.deepEqual(
      messages.map((message) => message.kind === 'request' && message.target),
      ['/y'],
    );
    assert.equal(garbage, 'GET /x HTTP/9.9\r\n\r\n'.length);
  });

  it('never throws on random bytes split at random places', () => {
    const random = seededRandom(42);
    const alphabet = Buffer.from('GET HTTP/1.1 200 \r\n:0123456789abcdef;ChunkedTransfer-Encoding Content-Length\x00\xff');
    for (let round = 0; round < 300; round++) {
      const kind: MessageKind = round % 2 === 0 ? 'request' : 'response';
      const parser = new Http1Parser({ kind, bodyCaptureBytes: 64 }, { message: () => {}, malformed: () => {}, garbage: () => {} });
      const buffer = new StreamBuffer(4096);
      const input = Buffer.from(Array.from({ length: 600 }, () => alphabet[Math.floor(random() * alphabet.length)]!));
      for (let offset = 0; offset < input.length; ) {
        if (buffer.free === 0) {
          buffer.clear();
          parser.reset();
        }
        const size = Math.min(buffer.free, 1 + Math.floor(random() * 40), input.length - offset);
        buffer.append(input.subarray(offset, offset + size), BigInt(offset));
        offset += size;
        parser.parse(buffer);
      }
      parser.finish();
    }
  });
});
