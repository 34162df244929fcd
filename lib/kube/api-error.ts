// Errors from the API server, with the server's own Status message kept intact: for an
// invalid object it names the offending field ("spec.template.spec.containers[0].image:
// Required value").

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

export function isApiStatus(err: unknown, status: number): err is ApiError {
  return err instanceof ApiError && err.status === status;
}

export const isNotFound = (err: unknown): err is ApiError => isApiStatus(err, 404);
export const isConflict = (err: unknown): err is ApiError => isApiStatus(err, 409);
export const isGone = (err: unknown): err is ApiError => isApiStatus(err, 410);
