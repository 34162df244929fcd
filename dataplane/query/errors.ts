// How query failures reach clients: as gRPC statuses whose message is the same text a local
// run prints (a compile error with its caret excerpt, an execution error with its position).
import * as grpc from '@grpc/grpc-js';
import { ExecError } from '../pxl/exec/errors.js';
import { PxlCompileError } from '../pxl/parse/errors.js';
import { statusError } from './grpc-services.js';

export function toStatus(err: unknown): grpc.ServiceError {
  if (err instanceof PxlCompileError) return statusError(grpc.status.INVALID_ARGUMENT, err.format());
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
