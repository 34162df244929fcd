import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HeadReader, headersToJson, parseHead } from './http1-head.js';
import { Http1Parser, type HttpMessage } from './http1.js';
import { StreamBuffer } from './stream-buffer.js';
import type { MessageKind } from './types.js';

function parseAll(kind: MessageKind, input: string): { messages: HttpMessage[]; garbage: number } {
  const parsed = { messages: [] as HttpMessage[], garbage: 0 };
  const parser = new Http1Parser(
    { kind, bodyCaptureBytes: 1024 },
    { message: (message) => parsed.messages.push(message), malformed: () => {}, garbage: (count) => (parsed.garbage += count) },
  );
  const buffer = new StreamBuffer(64 * 1024);
  buffer.append(Buffer.from(input), 1n);
  parser.parse(buffer);
  return parsed;
}

describe('HeaderFields.toJson', () => {
  const heads: Array<[string, string]> = [
    ['plain fields', 'GET / HTTP/1.1\r\nHost: svc\r\nAccept:  */*  '],
    ['no fields', 'GET / HTTP/1.1'],
    ['a quote and a backslash', 'GET / HTTP/1.1\r\nETag: "abc"\r\nX-Path: a\\b'],
    ['a tab inside a value, tabs around another', 'GET / HTTP/1.1\r\nX-A: a\tb\r\nX-B:\tc\t'],
    ['a control character', 'GET / HTTP/1.1\r\nX-A: a\u0001b'],
    ['Latin-1 and wider characters', 'GET / HTTP/1.1\r\nX-A: café\r\nX-B: 中文 \u{1F600}'],
    ['repeated names', 'GET / HTTP/1.1\r\nSet-Thing: 1\r\nset-thing: 2\r\nSet-Thing: 3'],
    ['obsolete line folding', 'GET / HTTP/1.1\r\nX-Folded: first\r\n  second\r\nX-B: c'],
  ];
  for (const [name, text] of heads) {
    it(`is headersToJson of the fields for ${name}`, () => {
      const head = parseHead(text, 'request');
      assert.ok(head);
      assert.equal(head.fields.toJson(), headersToJson(head.fields.pairs()));
      assert.deepEqual(JSON.parse(head.fields.toJson()), Object.fromEntries(mergedPairs(head.fields.pairs())));
    });
  }
});

function mergedPairs(pairs: ReadonlyArray<readonly [string, string]>): Array<[string, string]> {
  const merged = new Map<string, string>();
  for (const [name, value] of pairs) merged.set(name, merged.has(name) ? `${merged.get(name)}, ${value}` : value);
  return [...merged];
}

describe('HeadReader', () => {
  const section = '\r\nHost: svc\r\nAccept: */*';
  const head = (startLine: string) => Buffer.from(`${startLine}${section}\r\n\r\n`);

  it('reuses the fields of a repeated header section and still reads every start line', () => {
    const reader = new HeadReader('request');
    const first = head('GET /a HTTP/1.1');
    const parsed = reader.read(first, 0, first.length - 4);
    const targets = ['/b', '/caf\u00e9', '/a-longer-target?x=1'].map((target) => {
      const bytes = head(`POST ${target} HTTP/1.0`);
      const repeated = reader.readRepeated(bytes, 0, bytes.length);
      assert.equal(reader.repeatedHeadEnd, bytes.length - 4);
      assert.equal(repeated?.fields, parsed?.fields);
      assert.equal(repeated?.kind === 'request' && repeated.method, 'POST');
      assert.equal(repeated?.minorVersion, 0);
      return repeated?.kind === 'request' ? repeated.target : undefined;
    });
    assert.deepEqual(targets, ['/b', '/caf\u00e9', '/a-longer-target?x=1']);
  });

  it('does not take a different section, or one whose head has not fully arrived, for a repeat', () => {
    const reader = new HeadReader('request');
    const first = head('GET /a HTTP/1.1');
    reader.read(first, 0, first.length - 4);
    const other = Buffer.from('GET /a HTTP/1.1\r\nHost: svd\r\nAccept: */*\r\n\r\n');
    assert.equal(reader.readRepeated(other, 0, other.length), undefined);
    const cut = head('GET /b HTTP/1.1');
    assert.equal(reader.readRepeated(cut, 0, cut.length - 1), undefined);
    const longer = Buffer.from(`GET /a HTTP/1.1${section}\r\nX-More: 1\r\n\r\n`);
    assert.equal(reader.readRepeated(longer, 0, longer.length), undefined);
  });
});

describe('HeadReader with several recent sections', () => {
  const head = (startLine: string, section: string) => Buffer.from(`${startLine}${section}\r\n\r\n`);
  const sections = ['\r\nContent-Length: 24\r\nDate: Thu, 01 Jan 2026 00:00:00 GMT', '\r\nContent-Length: 25\r\nDate: Thu, 01 Jan 2026 00:00:00 GMT'];

  it('takes any of the recent sections for a repeat, wherever the bytes lie in their buffer', () => {
    const reader = new HeadReader('response');
    const fields = sections.map((section) => {
      const bytes = head('HTTP/1.1 200 OK', section);
      return reader.read(bytes, 0, bytes.length - 4)?.fields;
    });
    for (let shift = 0; shift < 8; shift++) {
      for (const [i, section] of sections.entries()) {
        const bytes = Buffer.concat([Buffer.alloc(shift, 0x2e), head('HTTP/1.0 404 Not Found', section)]);
        const repeated = reader.readRepeated(bytes, shift, bytes.length);
        assert.equal(repeated?.fields, fields[i]);
        assert.equal(repeated?.kind === 'response' && `${repeated.status} ${repeated.reason} ${repeated.minorVersion}`, '404 Not Found 0');
        const changed = Buffer.from(bytes);
        changed[bytes.length - 5] ^= 1;
        assert.equal(reader.readRepeated(changed, shift, changed.length), undefined);
      }
    }
  });

  it('reads a start line with bytes past ASCII as UTF-8 text', () => {
    const reader = new HeadReader('response');
    const first = head('HTTP/1.1 200 OK', sections[0]!);
    reader.read(first, 0, first.length - 4);
    const reasons = [Buffer.from('Caf\u00e9'), Buffer.from([0x43, 0xe9])].map((reason) => {
      const bytes = Buffer.concat([Buffer.from('HTTP/1.1 200 '), reason, Buffer.from(`${sections[0]!}\r\n\r\n`)]);
      const repeated = reader.readRepeated(bytes, 0, bytes.length);
      return repeated?.kind === 'response' ? repeated.reason : undefined;
    });
    assert.deepEqual(reasons, ['Caf\u00e9', 'C\ufffd']);
  });
});

describe('Http1Parser with repeated header sections', () => {
  it('keeps the trailers of one chunked message out of the next that shares its head', () => {
    const response = (trailer: string) =>
      `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n2\r\nok\r\n0\r\n${trailer}\r\n`;
    const { messages } = parseAll('response', response('X-Sum: 1\r\n') + response('') + response('X-Sum: 2\r\n'));
    assert.deepEqual(
      messages.map((message) => message.fields.toJson()),
      [
        '{"Transfer-Encoding":"chunked","Content-Type":"text/plain","X-Sum":"1"}',
        '{"Transfer-Encoding":"chunked","Content-Type":"text/plain"}',
        '{"Transfer-Encoding":"chunked","Content-Type":"text/plain","X-Sum":"2"}',
      ],
    );
    assert.equal(messages[0]!.fields.valueOf('x-sum'), '1');
    assert.equal(messages[1]!.fields.valueOf('x-sum'), undefined);
  });

  it('still drops a head with an invalid start line when its header section repeats a valid one', () => {
    const { messages, garbage } = parseAll(
      'request',
      'GET /a HTTP/1.1\r\nHost: svc\r\n\r\nGET /b c HTTP/1.1\r\nHost: svc\r\n\r\nGET /d HTTP/1.1\r\nHost: svc\r\n\r\n',
    );
    assert.deepEqual(
      messages.map((message) => message.kind === 'request' && message.target),
      ['/a', '/d'],
    );
    assert.equal(garbage, 'GET /b c HTTP/1.1\r\nHost: svc\r\n\r\n'.length);
  });
});
