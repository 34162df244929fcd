// The query roles' gRPC services. Messages are not protobuf: requests are JSON (bigints tagged,
// see wire.ts) and responses are stream frames (wire.ts) so row batches cross as compact
// binary without a schema compiler in the build.
//
//   Pem.ExecuteFragment      FragmentRequest → stream of frames (batch on channel = bridge id)
//   Kelvin.ExecuteQuery      KelvinRequest   → stream of frames (json relation, then batches per sink)
//   Broker.ExecuteScript     ScriptRequest   → stream of frames, same as Kelvin's
import * as grpc from '@grpc/grpc-js';
import type { Plan } from '../pxl/plan.js';
import { decodeFrame, encodeFrame, parseWithBigInts, stringifyWithBigInts, type StreamFrame } from './wire.js';

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
  readonly plan: Plan;
  readonly limits?: QueryLimitsRequest;
}

export interface KelvinRequest {
  readonly queryId: string;
  readonly plan: Plan;
  /** The fragment every PEM runs. */
  readonly pemPlan: Plan;
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

function jsonMethod<Req>(path: string): grpc.MethodDefinition<Req, StreamFrame> {
  return {
    path,
    requestStream: false,
    responseStream: true,
    requestSerialize: (r: Req) => Buffer.from(stringifyWithBigInts(r), 'utf8'),
    requestDeserialize: (b: Buffer) => parseWithBigInts(b.toString('utf8')) as Req,
    responseSerialize: serializeFrame,
    responseDeserialize: decodeFrame,
  };
}

/** A frame, or one already encoded (a relayed frame: written as received). */
function serializeFrame(frame: StreamFrame | Buffer): Buffer {
  return Buffer.isBuffer(frame) ? frame : encodeFrame(frame);
}

/**
 * The client side of `method` with frames left encoded, as the server sent them: for a relay
 * (the broker streaming Kelvin's frames to its caller) that writes them on without decoding.
 */
export function rawFrames<Req>(method: grpc.MethodDefinition<Req, StreamFrame>): grpc.MethodDefinition<Req, Buffer> {
  return { ...method, responseSerialize: (b: Buffer) => b, responseDeserialize: (b: Buffer) => b };
}

export const PEM_SERVICE = { executeFragment: jsonMethod<FragmentRequest>('/loupe.query.v1.Pem/ExecuteFragment') } satisfies grpc.ServiceDefinition;
export const KELVIN_SERVICE = { executeQuery: jsonMethod<KelvinRequest>('/loupe.query.v1.Kelvin/ExecuteQuery') } satisfies grpc.ServiceDefinition;
export const BROKER_SERVICE = { executeScript: jsonMethod<ScriptRequest>('/loupe.query.v1.Broker/ExecuteScript') } satisfies grpc.ServiceDefinition;

export type StreamHandler<Req> = grpc.handleServerStreamingCall<Req, StreamFrame>;

/** Calls a server-streaming method and returns its frames as an async iterable. */
export function callStream<Req, Res = StreamFrame>(client: grpc.Client, method: grpc.MethodDefinition<Req, Res>, request: Req, signal?: AbortSignal, deadlineMs?: number): AsyncIterable<Res> {
  const options: grpc.CallOptions = deadlineMs ? { deadline: Date.now() + deadlineMs } : {};
  const call = client.makeServerStreamRequest(method.path, method.requestSerialize, method.responseDeserialize, request, new grpc.Metadata(), options);
  signal?.addEventListener('abort', () => call.cancel(), { once: true });
  return call as AsyncIterable<Res>;
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

/** Binds `bind` (port 0 picks one); insecure unless `credentials` say otherwise (mutual TLS in a Vizier). */
export async function startServer(bind: string, add: (server: grpc.Server) => void, credentials: grpc.ServerCredentials = grpc.ServerCredentials.createInsecure()): Promise<{ server: grpc.Server; address: string }> {
  const server = new grpc.Server({ 'grpc.max_receive_message_length': 64 << 20 });
  add(server);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(bind, credentials, (err, p) => (err ? reject(err) : resolve(p))),
  );
  const host = bind.slice(0, bind.lastIndexOf(':'));
  return { server, address: `${host}:${port}` };
}
