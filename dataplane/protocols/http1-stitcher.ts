// Pairs HTTP/1.x requests with responses on one connection. HTTP/1.x answers in order, so
// keep-alive and pipelining reduce to two FIFO queues; a placeholder stands in for a message that
// was recognised but could not be parsed, so one bad message does not shift every later pair.
import { bodyCaptureBytes } from './body.js';
import type { HttpEventRow } from '../table-store/schemas.js';
import { HttpEventRowBuilder } from './http-events.js';
import { Http1Parser, type HttpMessage, type HttpRequest, type HttpResponse } from './http1.js';
import type { StreamBuffer } from './stream-buffer.js';
import type { MessageKind, ParserCounters, ProtocolSession, SessionContext } from './types.js';

const MALFORMED = Symbol('malformed message');
const NO_ROWS: readonly HttpEventRow[] = [];
type Slot<T> = T | typeof MALFORMED;

export interface Http1Counters extends ParserCounters {
  requests: number;
  responses: number;
  /** 1xx responses before the final one (100 Continue, 103 Early Hints). */
  interimResponses: number;
  /** Pairs dropped because one side was malformed. */
  droppedPairs: number;
  /** Bytes after a protocol switch (101 Switching Protocols, CONNECT). */
  tunneledBytes: number;
  /** Lost bytes skipped inside bodies of known length: their messages still make rows. */
  skippedBodyBytes: number;
  /** Messages whose body was cut by a loss skip() could not follow: they still make rows, cut. */
  cutMessages: number;
}

export class Http1Session implements ProtocolSession<HttpEventRow> {
  private readonly rowBuilder: HttpEventRowBuilder;
  private readonly requestParser: Http1Parser;
  private readonly responseParser: Http1Parser;
  private readonly requests: Array<Slot<HttpRequest>> = [];
  /** Complete responses whose request is still arriving (an early reply, 100-continue). */
  private readonly responses: Array<Slot<HttpResponse>> = [];
  // Undefined rather than empty: a push grows an empty array to 17 slots, and most takes find one row.
  private rows: HttpEventRow[] | undefined;
  private readonly counts: Http1Counters = {
    garbageBytes: 0,
    malformedMessages: 0,
    unmatchedResponses: 0,
    unansweredRequests: 0,
    gaps: 0,
    requests: 0,
    responses: 0,
    interimResponses: 0,
    droppedPairs: 0,
    tunneledBytes: 0,
    skippedBodyBytes: 0,
    cutMessages: 0,
  };

  constructor(context: SessionContext) {
    this.rowBuilder = new HttpEventRowBuilder(context);
    const captureBytes = bodyCaptureBytes(context.options);
    const sinkFor = (kind: MessageKind) => ({
      message: (message: HttpMessage) => this.onMessage(message),
      malformed: () => this.onMalformed(kind),
      garbage: (byteCount: number) => {
        this.counts.garbageBytes += byteCount;
      },
    });
    this.requestParser = new Http1Parser({ kind: 'request', bodyCaptureBytes: captureBytes }, sinkFor('request'));
    this.responseParser = new Http1Parser(
      { kind: 'response', bodyCaptureBytes: captureBytes, requestMethod: () => this.methodOfAnsweredRequest() },
      sinkFor('response'),
    );
  }

  get counters(): Readonly<Http1Counters> {
    return {
      ...this.counts,
      tunneledBytes: this.requestParser.tunneledBytes + this.responseParser.tunneledBytes,
    };
  }

  onData(kind: MessageKind, buffer: StreamBuffer): void {
    this.parserFor(kind).parse(buffer);
  }

  onGap(kind: MessageKind, lostBytes: number, timestampNs: bigint): boolean {
    const parser = this.parserFor(kind);
    const tunneled = parser.tunneledBytes;
    if (parser.skip(lostBytes, timestampNs)) {
      if (parser.tunneledBytes === tunneled) this.counts.skippedBodyBytes += lostBytes;
      return true;
    }
    if (parser.cutAtLoss(timestampNs)) {
      this.counts.cutMessages++;
      return false;
    }
    if (parser.reset()) {
      // The message whose middle was lost still took a place in the FIFO: keep the pairs aligned.
      this.counts.gaps++;
      this.holdPlace(kind);
    }
    return false;
  }

  onClose(): void {
    this.requestParser.finish();
    this.responseParser.finish();
    this.counts.unansweredRequests += this.requests.filter((slot) => slot !== MALFORMED).length;
    this.requests.length = 0;
    this.counts.unmatchedResponses += this.responses.filter((slot) => slot !== MALFORMED).length;
    this.responses.length = 0;
  }

  takeRows(): readonly HttpEventRow[] {
    const rows = this.rows ?? NO_ROWS;
    this.rows = undefined;
    return rows;
  }

  private parserFor(kind: MessageKind): Http1Parser {
    return kind === 'request' ? this.requestParser : this.responseParser;
  }

  /** The response being parsed answers the request after those already waiting for a response. */
  private methodOfAnsweredRequest(): string | undefined {
    const index = this.responses.length;
    if (index < this.requests.length) {
      const slot = this.requests[index]!;
      return slot === MALFORMED ? undefined : slot.method;
    }
    return index === this.requests.length ? this.requestParser.currentMethod : undefined;
  }

  private onMessage(message: HttpMessage): void {
    if (message.kind === 'request') {
      this.counts.requests++;
      this.requests.push(message);
    } else if (message.status >= 100 && message.status < 200 && message.status !== 101) {
      this.counts.interimResponses++;
      return;
    } else {
      this.counts.responses++;
      this.responses.push(message);
    }
    this.stitch();
  }

  private onMalformed(kind: MessageKind): void {
    this.counts.malformedMessages++;
    this.holdPlace(kind);
  }

  /** A message that makes no row still answers (or is answered by) the one across from it. */
  private holdPlace(kind: MessageKind): void {
    if (kind === 'request') this.requests.push(MALFORMED);
    else this.responses.push(MALFORMED);
    this.stitch();
  }

  private stitch(): void {
    while (this.responses.length > 0) {
      const response = this.responses[0]!;
      const request = this.requests[0];
      if (request === undefined) {
        if (this.requestParser.inMessage) return;
        this.responses.shift();
        if (response !== MALFORMED) this.counts.unmatchedResponses++;
        continue;
      }
      if (response !== MALFORMED && request !== MALFORMED && response.startNs < request.startNs) {
        // Began before the oldest waiting request: it answers one we never saw.
        this.responses.shift();
        this.counts.unmatchedResponses++;
        continue;
      }
      this.responses.shift();
      this.requests.shift();
      if (response === MALFORMED || request === MALFORMED) {
        this.counts.droppedPairs++;
        continue;
      }
      const row = this.rowBuilder.build(request, response);
      if (this.rows) this.rows.push(row);
      else this.rows = [row];
      if (switchesProtocol(request, response)) this.requestParser.enterTunnel();
    }
  }
}

function switchesProtocol(request: HttpRequest, response: HttpResponse): boolean {
  return response.status === 101 || (request.method === 'CONNECT' && response.status >= 200 && response.status < 300);
}
