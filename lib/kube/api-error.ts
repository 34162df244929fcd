// Errors from the API server, with the server's own Status message kept intact: for an
// invalid object it names the offending field ("spec.template.spec.containers[0].image:
// Required value"). Every way an answer reaches us ends here: a raw HTTP answer
// (operator/runtime/rest.ts, lib/kube/watch.ts), a Status object in a watch stream, a watch
// request refused to client-node's Watch (`statusCode`; the e2e harness uses it) and
// client-node's generated clients (ApiException: `code` and `body`).

export interface StatusCause {
  field?: string;
  reason?: string;
  message?: string;
}

export class ApiError extends Error {
  override readonly name = 'ApiError';

  constructor(
    /** HTTP status code. */
    readonly status: number,
    /** The Status reason, e.g. NotFound, Conflict, Invalid, Expired; else the HTTP status text. */
    readonly reason: string,
    /** What the request was about: "Deployment pl/vz-kelvin", or the request path. */
    readonly object: string,
    /** The API server's message, verbatim. */
    readonly serverMessage: string,
    readonly causes: StatusCause[] = [],
    verb = 'request',
  ) {
    super(`${verb} ${object} failed: ${status} ${reason}: ${serverMessage}`);
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The HTTP status an error carries, whatever shape it came in: an ApiError's `status`,
 * client-node's `code` (ApiException) or `statusCode` (a refused watch), or a Status
 * object's `code` (a watch ERROR event).
 */
export function statusCodeOf(err: unknown): number | undefined {
  if (err instanceof ApiError) return err.status;
  if (!isRecord(err)) return undefined;
  for (const field of ['statusCode', 'code'] as const) {
    // Only HTTP statuses: a DOMException's `code` is a legacy number too (23 for a TimeoutError).
    const code = err[field];
    if (typeof code === 'number' && code >= 100 && code <= 599) return code;
  }
  return undefined;
}

export function isApiStatus(err: unknown, status: number): boolean {
  return statusCodeOf(err) === status;
}

export const isNotFound = (err: unknown): boolean => isApiStatus(err, 404);
export const isConflict = (err: unknown): boolean => isApiStatus(err, 409);
/** The resource version asked for was compacted away (410 Gone, reason Expired): list again. */
export const isGone = (err: unknown): boolean => isApiStatus(err, 410);

/** A Status object (parsed, or its JSON text) as an ApiError; `fallback` where a field is missing. */
export function apiErrorFromStatus(
  body: unknown,
  fallback: { status: number; reason: string; message: string },
  object: string,
  verb: string,
): ApiError {
  let status: unknown = body;
  if (typeof body === 'string') {
    try {
      status = JSON.parse(body);
    } catch {
      // Not JSON: the raw text is the message.
    }
  }
  if (!isRecord(status) || (status.kind !== 'Status' && status.kind !== undefined)) {
    return new ApiError(fallback.status, fallback.reason, object, fallback.message, [], verb);
  }
  const code = typeof status.code === 'number' && status.code > 0 ? status.code : fallback.status;
  const reason = typeof status.reason === 'string' && status.reason ? status.reason : fallback.reason;
  const message = typeof status.message === 'string' ? status.message : fallback.message;
  const causes = isRecord(status.details) && Array.isArray(status.details.causes) ? status.details.causes.filter(isRecord) : [];
  return new ApiError(code, reason, object, message, causes, verb);
}

/** An answer that is not 2xx, from its status line and body. */
export function apiErrorFromResponse(verb: string, object: string, status: number, statusText: string | undefined, body: string): ApiError {
  return apiErrorFromStatus(body, { status, reason: statusText || 'Error', message: body.trim() || `HTTP ${status}` }, object, verb);
}

/**
 * Any error from a request to the API server as an ApiError when it carries an HTTP status: a
 * Status object (a watch ERROR event), client-node's ApiException with its Status body, a
 * refused watch. Other errors (a connection refused, a timeout) come back unchanged.
 */
export function toApiError(err: unknown, object: string, verb: string): unknown {
  if (err instanceof ApiError || !isRecord(err)) return err;
  if (err.kind === 'Status') return apiErrorFromStatus(err, { status: 500, reason: 'WatchError', message: JSON.stringify(err) }, object, verb);
  const status = statusCodeOf(err);
  if (status === undefined) return err;
  const body = err.body;
  if (body !== undefined && body !== null && body !== '') {
    return apiErrorFromStatus(body, { status, reason: 'Error', message: typeof body === 'string' ? body : JSON.stringify(body) }, object, verb);
  }
  // client-node's Watch refuses with new Error(statusText) and a statusCode.
  return new ApiError(status, err instanceof Error && err.message ? err.message : 'Error', object, `HTTP ${status}`, [], verb);
}
