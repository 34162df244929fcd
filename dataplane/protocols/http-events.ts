// http_events rows (declared in table-store/schemas.ts): one per request/response pair.
import type { HttpEventRow } from '../table-store/schemas.js';
import { REDACTED_VALUE, renderBody } from './body.js';
import type { HeaderFields } from './http1-head.js';
import type { HttpRequest, HttpResponse } from './http1.js';
import { redactPii } from './pii-redaction.js';
import { RecentValues } from './recent-values.js';
import { TRACE_ROLE, type CaptureOptions, type SessionContext } from './types.js';

export { headersToJson, headerValue } from './http1-head.js';

/** `content_type` values, as in Pixie. */
export const HTTP_CONTENT_TYPE = { unknown: 0, json: 1, grpc: 2 } as const;

const NO_CONTENT_TYPE = -1;
/** Header fields a session's messages mostly cycle through (a few per direction). */
const RECENT_FIELDS = 8;

/** Makes the rows of one session: consecutive messages mostly share their header fields. */
export class HttpEventRowBuilder {
  /** contentTypeCode of the Content-Type of recent header fields; NO_CONTENT_TYPE when they have none. */
  private readonly contentTypes = new RecentValues<HeaderFields, number>(RECENT_FIELDS, (fields) => {
    const value = fields.valueOf('content-type');
    return value === undefined ? NO_CONTENT_TYPE : contentTypeCode(value);
  });

  constructor(private readonly context: SessionContext) {}

  build(request: HttpRequest, response: HttpResponse): HttpEventRow {
    const { meta, role, options } = this.context;
    return {
      time_: request.startNs,
      upid: meta.upid,
      remote_addr: meta.remoteAddr,
      remote_port: meta.remotePort,
      local_addr: meta.localAddr,
      local_port: meta.localPort,
      trace_role: TRACE_ROLE[role],
      major_version: response.majorVersion,
      minor_version: response.minorVersion,
      content_type: this.contentTypeOf(response.fields, request.fields),
      req_headers: renderHeaders(request.fields.toJson(), options),
      req_method: request.method,
      req_path: options.dataAccess === 'PIIRestricted' ? redactPii(request.target) : request.target,
      req_body: renderBody(request.body, options),
      req_body_size: request.body.size,
      resp_headers: renderHeaders(response.fields.toJson(), options),
      resp_status: response.status,
      resp_message: response.reason,
      resp_body: renderBody(response.body, options),
      resp_body_size: response.body.size,
      latency: response.endNs - request.startNs,
    };
  }

  /** From the response's Content-Type, else the request's. */
  private contentTypeOf(response: HeaderFields, request: HeaderFields): number {
    const fromResponse = this.contentTypes.get(response);
    if (fromResponse !== NO_CONTENT_TYPE) return fromResponse;
    const fromRequest = this.contentTypes.get(request);
    return fromRequest !== NO_CONTENT_TYPE ? fromRequest : HTTP_CONTENT_TYPE.unknown;
  }
}

/**
 * Header JSON per data-access mode, as Pixie treats its sensitive header columns: as sent (Full),
 * withheld (Restricted), personal data redacted (PIIRestricted). No headers stay '{}'.
 */
function renderHeaders(json: string, options: CaptureOptions): string {
  if (options.dataAccess === 'Full' || json === '{}') return json;
  return options.dataAccess === 'Restricted' ? REDACTED_VALUE : redactPii(json);
}

// Most connections repeat one content type: remember the last answer.
let lastContentType = '';
let lastContentTypeCode: number = HTTP_CONTENT_TYPE.unknown;

function contentTypeCode(value: string): number {
  if (value === lastContentType) return lastContentTypeCode;
  const lower = value.toLowerCase();
  let code: number = HTTP_CONTENT_TYPE.unknown;
  if (lower.startsWith('application/grpc')) code = HTTP_CONTENT_TYPE.grpc;
  else if (lower.includes('json')) code = HTTP_CONTENT_TYPE.json;
  lastContentType = value;
  lastContentTypeCode = code;
  return code;
}
