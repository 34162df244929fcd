// Schemas of the tables our collectors fill, with Pixie's table and column names so that
// PxL scripts written for Pixie find the columns they expect. schemas.test.ts fails when a
// collector's row and its schema here disagree.
import type { ColumnSchema, DataType, SemanticType, TableSchema } from './types.js';

function column(name: string, type: DataType, description: string, semantic?: SemanticType): ColumnSchema {
  return semantic === undefined ? { name, type, description } : { name, type, semantic, description };
}

const TIME = column('time_', 'time64ns', 'When the row was recorded (ns since the epoch).');
const UPID = column('upid', 'uint128', 'The process, as "tgid:start time in clock ticks since boot".', 'upid');

/** dataplane/protocols/http-events.ts (HttpEventRow). */
export const HTTP_EVENTS_SCHEMA: TableSchema = {
  name: 'http_events',
  description: 'One row per HTTP/1.x request and its response, as seen by the traced process.',
  timeColumn: 'time_',
  columns: [
    column('time_', 'time64ns', 'When the first byte of the request was seen (ns since the epoch).'),
    UPID,
    column('remote_addr', 'string', 'Address of the peer.', 'ip_address'),
    column('remote_port', 'int64', 'Port of the peer.', 'port'),
    column('local_addr', 'string', 'Address of the traced process\'s end.', 'ip_address'),
    column('local_port', 'int64', 'Port of the traced process\'s end.', 'port'),
    column('trace_role', 'int64', 'Side the traced process is on: 1 client, 2 server.'),
    column('major_version', 'int64', 'HTTP major version.'),
    column('minor_version', 'int64', 'HTTP minor version.'),
    column('content_type', 'int64', 'Body content: 0 unknown, 1 JSON, 2 gRPC.'),
    column('req_headers', 'string', 'Request headers as a JSON object.'),
    column('req_method', 'string', 'Request method.'),
    column('req_path', 'string', 'Request target, query string included.'),
    column('req_body', 'string', 'Request body, possibly truncated.'),
    column('req_body_size', 'int64', 'Request body size before truncation.', 'bytes'),
    column('resp_headers', 'string', 'Response headers as a JSON object.'),
    column('resp_status', 'int64', 'Response status code.', 'http_resp_status'),
    column('resp_message', 'string', 'Response reason phrase.', 'http_resp_message'),
    column('resp_body', 'string', 'Response body, possibly truncated.'),
    column('resp_body_size', 'int64', 'Response body size before truncation.', 'bytes'),
    column('latency', 'int64', 'From the request\'s first byte to the response\'s last.', 'duration_ns'),
  ],
};

/** dataplane/collectors/conn-stats.ts (ConnStatsRow). */
export const CONN_STATS_SCHEMA: TableSchema = {
  name: 'conn_stats',
  description: 'Cumulative connection counts and bytes per process and peer.',
  timeColumn: 'time_',
  columns: [
    TIME,
    UPID,
    column('remote_addr', 'string', 'Address of the peer.', 'ip_address'),
    column('remote_port', 'int64', 'Port of the peer; 0 on the server side (all of a client host\'s ports add up).', 'port'),
    column('trace_role', 'int64', 'Side the traced process is on: 1 client, 2 server.'),
    column('addr_family', 'int64', 'Address family: 0 unspecified, 1 IPv4, 2 IPv6, 3 Unix.'),
    column('protocol', 'int64', 'Protocol last detected on the connections.'),
    column('ssl', 'boolean', 'Whether the connections use TLS.'),
    column('conn_open', 'int64', 'Connections opened since tracing began.'),
    column('conn_close', 'int64', 'Connections closed since tracing began.'),
    column('conn_active', 'int64', 'Connections open now.'),
    column('bytes_sent', 'int64', 'Bytes sent to the peer.', 'bytes'),
    column('bytes_recv', 'int64', 'Bytes received from the peer.', 'bytes'),
  ],
};

/** dataplane/stats/process-stats.ts (ProcessStatsRow). */
export const PROCESS_STATS_SCHEMA: TableSchema = {
  name: 'process_stats',
  description: 'CPU, memory and I/O counters per process, from /proc.',
  timeColumn: 'time_',
  columns: [
    TIME,
    UPID,
    column('major_faults', 'int64', 'Page faults that needed I/O.'),
    column('minor_faults', 'int64', 'Page faults served from memory.'),
    column('cpu_utime_ns', 'int64', 'CPU time in user mode.', 'duration_ns'),
    column('cpu_ktime_ns', 'int64', 'CPU time in kernel mode.', 'duration_ns'),
    column('num_threads', 'int64', 'Threads of the process.'),
    column('vsize_bytes', 'int64', 'Virtual memory size.', 'bytes'),
    column('rss_bytes', 'int64', 'Resident memory.', 'bytes'),
    column('rchar_bytes', 'int64', 'Bytes read through read-like system calls.', 'bytes'),
    column('wchar_bytes', 'int64', 'Bytes written through write-like system calls.', 'bytes'),
    column('read_bytes', 'int64', 'Bytes read from storage.', 'bytes'),
    column('write_bytes', 'int64', 'Bytes written to storage.', 'bytes'),
  ],
};

/** dataplane/stats/network-stats.ts (NetworkStatsRow). */
export const NETWORK_STATS_SCHEMA: TableSchema = {
  name: 'network_stats',
  description: 'Interface counters per network namespace, summed over its own interfaces.',
  timeColumn: 'time_',
  columns: [
    TIME,
    column('netns', 'int64', 'Inode of the network namespace.'),
    column('rx_bytes', 'int64', 'Bytes received.', 'bytes'),
    column('rx_packets', 'int64', 'Packets received.'),
    column('rx_errors', 'int64', 'Receive errors.'),
    column('rx_drops', 'int64', 'Received packets dropped.'),
    column('tx_bytes', 'int64', 'Bytes sent.', 'bytes'),
    column('tx_packets', 'int64', 'Packets sent.'),
    column('tx_errors', 'int64', 'Send errors.'),
    column('tx_drops', 'int64', 'Packets dropped on send.'),
  ],
};

/** CPU stacks sampled by the profiler, one row per distinct stack per process and interval. */
export const STACK_TRACES_SCHEMA: TableSchema = {
  name: 'stack_traces.beta',
  description: 'Sampled CPU stacks, counted per process.',
  timeColumn: 'time_',
  columns: [
    column('time_', 'time64ns', 'End of the sampling interval (ns since the epoch).'),
    UPID,
    column('stack_trace_id', 'int64', 'Identifier of the stack, equal for equal stacks.'),
    column('stack_trace', 'string', 'The stack in folded form: frames separated by ";", root first, leaf last.'),
    column('count', 'int64', 'Samples of this stack in the interval.'),
  ],
};

/** Every table a PEM creates, in that order. */
export const PEM_SCHEMAS: readonly TableSchema[] = [HTTP_EVENTS_SCHEMA, CONN_STATS_SCHEMA, PROCESS_STATS_SCHEMA, NETWORK_STATS_SCHEMA, STACK_TRACES_SCHEMA];
