// How query failures reach clients: as gRPC statuses whose message is the same text a local
// run prints (a compile error with its caret excerpt, an execution error with its position).
import * as grpc from '@grpc/grpc-js';
import { ExecError } from '../pxl/exec/errors.js';
import { PxlCompileError } from '../pxl/parse/errors.js';
import { statusError } from './grpc-services.js';
import { ProtocolVersionError } from './protocol-version.js';

export function toStatus(err: unknown): grpc.ServiceError {
  if (err instanceof PxlCompileError) return statusError(grpc.status.INVALID_ARGUMENT, err.format());
  if (err instanceof ProtocolVersionError) return statusError(grpc.status.FAILED_PRECONDITION, err.message);
  if (err instanceof ExecError) {
    const code = {
      memory_limit: grpc.status.RESOURCE_EXHAUSTED,
      time_limit: grpc.status.DEADLINE_EXCEEDED,
      aborted: grpc.status.CANCELLED,
      not_executed: grpc.status.UNIMPLEMENTED,
      bad_argument: grpc.status.INVALID_ARGUMENT,
      rejected_pattern: grpc.status.INVALID_ARGUMENT,
      bad_plan: grpc.status.INTERNAL,
      bridge: grpc.status.UNAVAILABLE,
      internal: grpc.status.INTERNAL,
    }[err.code];
    return statusError(code, err.message);
  }
  if (err && typeof err === 'object' && 'code' in err && typeof (err as grpc.ServiceError).code === 'number' && 'details' in err) return err as grpc.ServiceError;
  return statusError(grpc.status.INTERNAL, err instanceof Error ? err.message : String(err));
}

/** The message of an error a query call ended with (gRPC details, else the error's message). */
export function queryErrorMessage(err: unknown): string {
  if (err && typeof err === 'object' && 'details' in err && typeof (err as grpc.ServiceError).details === 'string') return (err as grpc.ServiceError).details;
  return err instanceof Error ? err.message : String(err);
}

/**
 * Watches a client's channel and tells afterwards whether it ever got a connection (reached
 * READY). Start it before the first call. grpc-js reports both "nothing answers at that address"
 * and a server's own UNAVAILABLE (the broker with no PEMs, or a Kelvin the broker could not
 * reach) as status 14, often with the same "No connection established" text, so the text
 * cannot tell them apart; whether this channel ever connected can.
 */
export function watchConnection(client: grpc.Client): () => boolean {
  const channel = client.getChannel();
  let connected = false;
  const watch = (state: grpc.connectivityState) => {
    if (state === grpc.connectivityState.READY) connected = true;
    if (connected || state === grpc.connectivityState.SHUTDOWN) return;
    // Watchers run synchronously on each state change, so READY is seen before any call uses it.
    channel.watchConnectivityState(state, Infinity, () => watch(channel.getConnectivityState(false)));
  };
  watch(channel.getConnectivityState(false));
  return () => connected;
}

/** How a call to a query API ended, for the person who made it. */
export type CallFailure =
  /** No connection to the address: refused, unresolvable, unreachable, or the TLS handshake failed. */
  | { readonly kind: 'connect'; readonly reason: string; readonly tlsHandshake: boolean }
  /** The server answered with a status; `message` is its text (a compile error, "no PEM agents ..."). */
  | { readonly kind: 'status'; readonly code: number; readonly message: string };

/**
 * Classifies the error a call ended with. `connected`: whether the channel ever reached READY
 * (watchConnection). A call that never had a connection fails UNAVAILABLE at once, or
 * DEADLINE_EXCEEDED while still trying; anything else came from a server.
 */
export function classifyCallFailure(err: unknown, connected: boolean): CallFailure {
  const code = err && typeof err === 'object' && typeof (err as grpc.ServiceError).code === 'number' ? (err as grpc.ServiceError).code : grpc.status.UNKNOWN;
  const message = queryErrorMessage(err);
  if (!connected && (code === grpc.status.UNAVAILABLE || code === grpc.status.DEADLINE_EXCEEDED)) return { kind: 'connect', ...connectReason(message, code) };
  return { kind: 'status', code, message };
}

/** grpc-js's connection error text, shortened to the part that says what went wrong. */
function connectReason(details: string, code: number): { reason: string; tlsHandshake: boolean } {
  if (code === grpc.status.DEADLINE_EXCEEDED) return { reason: `no connection before the deadline (${details})`, tlsHandshake: false };
  const resolution = /^Name resolution failed for target (?:dns:)?(.*)$/s.exec(details);
  if (resolution) return { reason: `the host name does not resolve (${resolution[1]})`, tlsHandshake: false };
  const last = details
    .replace(/^No connection established\. Last error: /, '')
    .replace(/\.?\s*Resolution note: $/, '')
    .replace(/^Error: /, '')
    .trim();
  // OpenSSL's "8090...:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:file:line:".
  const openssl = /SSL routines:[^:]*:([^:]+):/.exec(last);
  if (openssl) return { reason: `TLS handshake failed: ${openssl[1]}`, tlsHandshake: true };
  if (/certificate|self[- ]signed|handshake|\balert\b|\bTLS\b|\bSSL\b/i.test(last)) return { reason: `TLS handshake failed: ${last}`, tlsHandshake: true };
  if (/^Failed to connect\b/.test(last)) return { reason: 'the server closed the connection before it was set up', tlsHandshake: false };
  const errno = /\b(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN)\b/.exec(last)?.[1];
  const plain: Record<string, string> = {
    ECONNREFUSED: 'connection refused',
    ECONNRESET: 'the server reset the connection',
    ETIMEDOUT: 'the connection timed out',
    EHOSTUNREACH: 'the host is unreachable',
    ENETUNREACH: 'the network is unreachable',
    ENOTFOUND: 'the host name does not resolve',
    EAI_AGAIN: 'the host name does not resolve (DNS did not answer)',
  };
  return { reason: errno ? `${plain[errno]} (${last})` : last || details, tlsHandshake: false };
}
