// Random chunk boundaries over one fixed conversation: whatever the split, the rows are the same,
// and time_/latency follow the chunks that carried each message's first and last bytes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HttpEventRow } from '../table-store/schemas.js';
import { chunk, directionOf, http, httpRows, httpTracker, seededRandom } from './test-support.js';
import type { MessageKind } from './types.js';

interface Turn {
  readonly kind: MessageKind;
  readonly messages: readonly Buffer[];
}

const TRANSCRIPT: readonly Turn[] = [
  { kind: 'request', messages: [http(['GET /one HTTP/1.1', 'Host: svc'])] },
  { kind: 'response', messages: [http(['HTTP/1.1 200 OK', 'Content-Length: 5'], 'first')] },
  {
    kind: 'request',
    messages: [
      Buffer.concat([http(['POST /two HTTP/1.1', 'Transfer-Encoding: chunked']), Buffer.from('3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n')]),
      http(['GET /three HTTP/1.1', 'Accept: */*']),
    ],
  },
  {
    kind: 'response',
    messages: [
      Buffer.concat([http(['HTTP/1.1 201 Created', 'Transfer-Encoding: chunked']), Buffer.from('7\r\ncreated\r\n0\r\nX-Id: 9\r\n\r\n')]),
      http(['HTTP/1.1 404 Not Found', 'Content-Length: 7'], 'missing'),
    ],
  },
  { kind: 'request', messages: [http(['HEAD /four HTTP/1.1'])] },
  { kind: 'response', messages: [http(['HTTP/1.1 200 OK', 'Content-Length: 50'])] },
  { kind: 'request', messages: [http(['DELETE /five HTTP/1.1', 'Content-Length: 2'], 'id')] },
  { kind: 'response', messages: [http(['HTTP/1.1 204 No Content'])] },
];

const EXPECTED = [
  ['GET', '/one', '', 200, 'first'],
  ['POST', '/two', 'abcde', 201, 'created'],
  ['GET', '/three', '', 404, 'missing'],
  ['HEAD', '/four', '', 200, ''],
  ['DELETE', '/five', 'id', 204, ''],
];

interface Located {
  readonly turn: number;
  readonly first: number;
  readonly last: number;
}

/** Where each message sits in its turn, requests and responses separately, in order. */
function locateMessages(kind: MessageKind): Located[] {
  const located: Located[] = [];
  TRANSCRIPT.forEach((turn, index) => {
    if (turn.kind !== kind) return;
    let offset = 0;
    for (const message of turn.messages) {
      located.push({ turn: index, first: offset, last: offset + message.length - 1 });
      offset += message.length;
    }
  });
  return located;
}

function splitPoints(length: number, random: () => number): number[] {
  const points: number[] = [];
  let offset = 0;
  while (offset < length) {
    const style = random();
    const size = style < 0.3 ? 1 : style < 0.8 ? 1 + Math.floor(random() * 16) : 1 + Math.floor(random() * length);
    offset = Math.min(length, offset + size);
    points.push(offset);
  }
  return points;
}

function runSplit(seed: number, role: 'client' | 'server') {
  const random = seededRandom(seed);
  const tracker = httpTracker(role);
  /** Per turn: [end offset (exclusive), timestamp] of each chunk. */
  const chunkEnds: Array<Array<readonly [number, bigint]>> = [];
  let clock = 1_000_000n;
  for (const turn of TRANSCRIPT) {
    const bytes = Buffer.concat(turn.messages);
    const ends: Array<readonly [number, bigint]> = [];
    let start = 0;
    for (const end of splitPoints(bytes.length, random)) {
      clock += BigInt(1 + Math.floor(random() * 1000));
      tracker.onData(chunk(directionOf(turn.kind, role), bytes.subarray(start, end), clock));
      ends.push([end, clock]);
      start = end;
    }
    chunkEnds.push(ends);
  }
  tracker.onClose(clock + 1n);
  const timestampOf = (turn: number, offset: number): bigint => chunkEnds[turn]!.find(([end]) => offset < end)![1];
  return { rows: httpRows(tracker), tracker, timestampOf };
}

function withoutTiming(row: HttpEventRow) {
  return { ...row, time_: 0n, latency: 0n };
}

describe('http_events under random chunk boundaries', () => {
  const requests = locateMessages('request');
  const responses = locateMessages('response');

  for (const role of ['server', 'client'] as const) {
    it(`yields the same rows for 300 random splits (${role} role)`, () => {
      const reference = runSplit(0, role).rows.map(withoutTiming);
      assert.deepEqual(
        reference.map((row) => [row.req_method, row.req_path, row.req_body, row.resp_status, row.resp_body]),
        EXPECTED,
      );
      for (let seed = 1; seed <= 300; seed++) {
        const { rows, tracker, timestampOf } = runSplit(seed, role);
        assert.deepEqual(rows.map(withoutTiming), reference, `seed ${seed}`);
        rows.forEach((row, i) => {
          const request = requests[i]!;
          const response = responses[i]!;
          const start = timestampOf(request.turn, request.first);
          assert.equal(row.time_, start, `seed ${seed} row ${i} time_`);
          assert.equal(row.latency, timestampOf(response.turn, response.last) - start, `seed ${seed} row ${i} latency`);
          assert.ok(row.latency > 0n, `seed ${seed} row ${i} latency positive`);
        });
        const counters = tracker.parserCounters;
        assert.equal(counters?.garbageBytes, 0, `seed ${seed}`);
        assert.equal(counters?.malformedMessages, 0, `seed ${seed}`);
      }
    });
  }
});
