// The query roles' gRPC services. Messages are not protobuf: requests are JSON (bigints tagged,
// see wire.ts) and responses are stream frames (wire.ts) so row batches cross as compact
// binary without a schema compiler in the build.
//
//   Pem.ExecuteFragment      FragmentRequest → stream of frames (batch on channel = bridge id)
//   Kelvin.ExecuteQuery      KelvinRequest   → stream of frames (json relation, then batches per sink)
//   Broker.ExecuteScript     ScriptRequest   → stream of frames, same as Kelvin's
//
// Protocol versions (protocol-version.ts): every call carries the caller's build version in its
// request metadata and every server answers with its own in its response metadata
// (PROTOCOL_VERSION_HEADER); plans name the version they are written in, and the frames of the
// answer come back in that version.
import * as grpc from '@grpc/grpc-js';
import { formatHostPort, parseHostPort } from '../../lib/host-port.js';
import type { Plan } from '../pxl/plan.js';
import { THIS_BUILD, type Protocol } from './protocol-version.js';
import { decodeFrame, encodeFrame, parseWithBigInts, stringifyWithBigInts, type StreamFrame } from './wire.js';

/** Metadata key: the protocol version of the sender's build (requests: the caller; responses: the server). */
export const PROTOCOL_VERSION_HEADER = 'loupe-protocol-version';

export interface QueryLimitsRequest {
  /** Rows per sink before results are truncated. */
  readonly maxResultRows?: number;
  /** Wall time of the whole query. */
  readonly timeoutMs?: number;
  /** Bytes of operator state (hash tables, join builds, buffered bridge input). */
  readonly maxMemoryBytes?: number;
}

export interface FragmentRequest {
  readonly queryId: string;
  /** encodePlan() text: the plan and the protocol version the PEM answers in. */
  readonly plan: string;
  readonly limits?: QueryLimitsRequest;
}

export interface KelvinRequest {
  readonly queryId: string;
  /** encodePlan() text of Kelvin's fragment; its version is the query's. */
  readonly plan: string;
  /** encodePlan() text of the fragment every PEM runs, passed on as it is. */
  readonly pemPlan: string;
  /** host:port of each PEM to run it on. */
  readonly pems: readonly string[];
  readonly limits?: QueryLimitsRequest;
}

export interface ScriptRequest {
  readonly script: string;
  readonly args?: Readonly<Record<string, string>>;
  /** A function to call and display under its own name (with args). */
  readonly entry?: string;
  /** The function to call instead when the module level displays nothing and no entry is given. */
  readonly defaultEntry?: string;
  /** Shown in compile errors (default script.pxl). */
  readonly file?: string;
  readonly limits?: QueryLimitsRequest;
}

/** Control values sent as JSON frames. Channel = sink position for 'sink', 0 otherwise. */
export type ControlMessage =
  | { readonly type: 'sink'; readonly name: string; readonly relation: Plan['nodes'][number]['relation'] }
  | { readonly type: 'warning'; readonly message: string }
  | { readonly type: 'stats'; readonly rows: number; readonly batches: number; readonly elapsedMs: number; readonly agents?: number };

/** A method of the query services as one build speaks it: its client decodes frames of the versions that build reads. */
export interface QueryMethod<Req, Res = StreamFrame> extends grpc.MethodDefinition<Req, Res> {
  readonly protocol: Protocol;
}

function jsonMethod<Req>(path: string, protocol: Protocol): QueryMethod<Req> {
  return {
    path,
    protocol,
    requestStream: false,
    responseStream: true,
    requestSerialize: (r: Req) => Buffer.from(stringifyWithBigInts(r), 'utf8'),
    requestDeserialize: (b: Buffer) => parseWithBigInts(b.toString('utf8')) as Req,
    // Servers write frames already encoded in the query's version (encodeFrame); a frame object is written in this build's.
    responseSerialize: (frame: StreamFrame | Buffer) => (Buffer.isBuffer(frame) ? frame : encodeFrame(frame, protocol.version)),
    responseDeserialize: (b: Buffer) => decodeFrame(b, protocol),
  };
}

/**
 * The client side of `method` with frames left encoded, as the server sent them: for a relay
 * (the broker streaming Kelvin's frames to its caller) that writes them on without decoding.
 */
export function rawFrames<Req>(method: QueryMethod<Req>): QueryMethod<Req, Buffer> {
  return { ...method, responseSerialize: (b: Buffer) => b, responseDeserialize: (b: Buffer) => b };
}

/** The three query services as the build of `protocol` speaks them. */
export function queryServices(protocol: Protocol = THIS_BUILD) {
  return {
    pem: { executeFragment: jsonMethod<FragmentRequest>('/loupe.query.v1.Pem/ExecuteFragment', protocol) },
    kelvin: { executeQuery: jsonMethod<KelvinRequest>('/loupe.query.v1.Kelvin/ExecuteQuery', protocol) },
    broker: { executeScript: jsonMethod<ScriptRequest>('/loupe.query.v1.Broker/ExecuteScript', protocol) },
  } satisfies Record<string, grpc.ServiceDefinition>;
}

export const { pem: PEM_SERVICE, kelvin: KELVIN_SERVICE, broker: BROKER_SERVICE } = queryServices();

export type StreamHandler<Req> = grpc.handleServerStreamingCall<Req, StreamFrame>;

function versionMetadata(protocol: Protocol): grpc.Metadata {
  const metadata = new grpc.Metadata();
  metadata.set(PROTOCOL_VERSION_HEADER, String(protocol.version));
  return metadata;
}

/** The build version in a call's metadata: a number, undefined when it names none, else the value as sent. */
export function versionIn(metadata: grpc.Metadata): unknown {
  const [value] = metadata.get(PROTOCOL_VERSION_HEADER);
  return typeof value === 'string' && /^\d{1,9}$/.test(value) ? Number(value) : value;
}

/** Tells the caller this server's build version; the first thing a handler does. */
export function sendVersion(call: grpc.ServerWritableStream<unknown, unknown>, protocol: Protocol): void {
  call.sendMetadata(versionMetadata(protocol));
}

/**
 * Calls a server-streaming method and returns its frames as an async iterable. The request
 * carries the method's build version. `checkServer` sees the server's build version (versionIn)
 * before any frame: when it throws, the call is cancelled and the stream
 * fails with what it threw.
 */
export function callStream<Req, Res = StreamFrame>(
  client: grpc.Client,
  method: QueryMethod<Req, Res>,
  request: Req,
  signal?: AbortSignal,
  deadlineMs?: number,
  checkServer?: (version: unknown) => void,
): AsyncIterable<Res> {
  const options: grpc.CallOptions = deadlineMs ? { deadline: Date.now() + deadlineMs } : {};
  const call = client.makeServerStreamRequest(method.path, method.requestSerialize, method.responseDeserialize, request, versionMetadata(method.protocol), options);
  signal?.addEventListener('abort', () => call.cancel(), { once: true });
  return checkServer ? checkedStream(call, checkServer) : (call as AsyncIterable<Res>);
}

async function* checkedStream<Res>(call: grpc.ClientReadableStream<Res>, check: (version: unknown) => void): AsyncGenerator<Res> {
  let refusal: { readonly error: unknown } | undefined;
  call.once('metadata', (metadata: grpc.Metadata) => {
    try {
      check(versionIn(metadata));
    } catch (error) {
      refusal = { error };
      call.cancel();
    }
  });
  try {
    for await (const item of call as AsyncIterable<Res>) {
      if (refusal) break;
      yield item;
    }
  } catch (err) {
    if (!refusal) throw err;
  }
  if (refusal) throw refusal.error;
}

/**
 * Writes frames with backpressure; resolves when the stream accepted them all. A Buffer is a
 * frame already encoded (see rawFrames) and goes out as it is.
 */
export async function writeFrames(call: grpc.ServerWritableStream<unknown, StreamFrame>, frames: AsyncIterable<StreamFrame | Buffer>): Promise<void> {
  for await (const frame of frames) {
    if (call.cancelled) return;
    if (!call.write(frame as StreamFrame)) await new Promise<void>((resolve) => call.once('drain', resolve));
  }
}

/** An error that reaches the caller as a gRPC status with this message. */
export function statusError(code: grpc.status, message: string): grpc.ServiceError {
  return Object.assign(new Error(message), { code, details: message, metadata: new grpc.Metadata() });
}

/**
 * How a role dials another: credentials (default insecure, for loopback use) and channel
 * options (with TLS, `grpc.ssl_target_name_override`: agents are dialled by IP, and the
 * certificate names services).
 */
export interface ClientSecurity {
  readonly credentials: grpc.ChannelCredentials;
  readonly options?: grpc.ChannelOptions;
}

export function openClient(address: string, security?: ClientSecurity): grpc.Client {
  return new grpc.Client(address, security?.credentials ?? grpc.credentials.createInsecure(), { 'grpc.max_receive_message_length': 64 << 20, ...security?.options });
}

export function insecureClient(address: string): grpc.Client {
  return openClient(address);
}

/** Binds `bind`, a HOST:PORT (port 0 picks one); insecure unless `credentials` say otherwise (mutual TLS in a Vizier). */
export async function startServer(bind: string, add: (server: grpc.Server) => void, credentials: grpc.ServerCredentials = grpc.ServerCredentials.createInsecure()): Promise<{ server: grpc.Server; address: string; port: number }> {
  const server = new grpc.Server({ 'grpc.max_receive_message_length': 64 << 20 });
  add(server);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(bind, credentials, (err, p) => (err ? reject(err) : resolve(p))),
  );
  return { server, address: formatHostPort({ host: parseHostPort(bind).host, port }), port };
}
