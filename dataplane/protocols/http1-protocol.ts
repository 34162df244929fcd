// HTTP/1.x as a pluggable protocol: detection from the first bytes, one session per connection.
import { HTTP_EVENTS, type HttpEventRow } from '../table-store/schemas.js';
import { Http1Session } from './http1-stitcher.js';
import { detectHttp1 } from './http1.js';
import { TRAFFIC_PROTOCOL, type ProtocolParser } from './types.js';

export const http1Protocol: ProtocolParser<HttpEventRow> = {
  name: 'http',
  table: HTTP_EVENTS.name,
  trafficProtocol: TRAFFIC_PROTOCOL.http,
  detect: (prefix) => detectHttp1(prefix),
  createSession: (context) => new Http1Session(context),
};
