// The tables a PEM's collectors fill, each declared once (define-table.ts), with Pixie's table
// and column names so that PxL scripts written for Pixie find the columns they expect. The
// collectors build RowOf<...> objects; the table store and the PxL compiler take `.schema`.
import { column, defineTable, type RowOf } from './define-table.js';

const upid = () => column.uint128('upid', 'The process, as "tgid:start time in clock ticks since boot".', 'upid');
const TRACE_ROLE_TEXT = 'Side the traced process is on: 1 client, 2 server.';

/** Rows from dataplane/protocols/http-events.ts. */
export const HTTP_EVENTS = defineTable({
  name: 'http_events',
  description: 'One row per HTTP/1.x request and its response, as seen by the traced process.',
  timeColumn: 'time_',
  columns: [
    column.time('time_', 'When the first byte of the request was seen (ns since the epoch).'),
    upid(),
    column.string('remote_addr', 'Address of the peer.', 'ip_address'),
    column.int('remote_port', 'Port of the peer.', 'port'),
    column.string('local_addr', "Address of the traced process's end.", 'ip_address'),
    column.int('local_port', "Port of the traced process's end.", 'port'),
    column.int('trace_role', TRACE_ROLE_TEXT),
    column.int('major_version', 'HTTP major version.'),
    column.int('minor_version', 'HTTP minor version.'),
    column.int('content_type', 'Body content: 0 unknown, 1 JSON, 2 gRPC.'),
    column.string('req_headers', 'Request headers as a JSON object, header name as sent → value (repeated headers joined with ", ").'),
    column.string('req_method', 'Request method.'),
    column.string('req_path', 'Request target, query string included.'),
    column.string('req_body', 'Request body, cut at the body limit (TRUNCATION_MARKER appended when cut).'),
    column.int('req_body_size', 'Request body size before truncation.', 'bytes'),
    column.string('resp_headers', 'Response headers as a JSON object.'),
    column.int('resp_status', 'Response status code.', 'http_resp_status'),
    column.string('resp_message', 'Response reason phrase.', 'http_resp_message'),
    column.string('resp_body', 'Response body, cut like req_body.'),
    column.int('resp_body_size', 'Response body size before truncation.', 'bytes'),
    column.bigint('latency', "From the request's first byte to the response's last.", 'duration_ns'),
  ],
});
export type HttpEventRow = RowOf<typeof HTTP_EVENTS>;

/** Rows from dataplane/collectors/conn-stats.ts. */
export const CONN_STATS = defineTable({
  name: 'conn_stats',
  description: 'Cumulative connection counts and bytes per process and peer.',
  timeColumn: 'time_',
  columns: [
    column.time('time_', 'When the counts were taken (ns since the epoch).'),
    upid(),
    column.string('remote_addr', 'Address of the peer.', 'ip_address'),
    column.int('remote_port', "Port of the peer; 0 on the server side (all of a client host's ports add up).", 'port'),
    column.int('trace_role', TRACE_ROLE_TEXT),
    column.int('addr_family', 'Address family: 0 unspecified, 1 IPv4, 2 IPv6, 3 Unix.'),
    column.int('protocol', 'Protocol last detected on the connections.'),
    column.boolean('ssl', 'Whether the connections use TLS (not traced yet: always false).'),
    column.int('conn_open', 'Connections opened since tracing began.'),
    column.int('conn_close', 'Connections closed since tracing began.'),
    column.int('conn_active', 'Connections open now.'),
    column.int('bytes_sent', 'Bytes sent to the peer.', 'bytes'),
    column.int('bytes_recv', 'Bytes received from the peer.', 'bytes'),
  ],
});
export type ConnStatsRow = RowOf<typeof CONN_STATS>;

/** Rows from dataplane/stats/process-stats.ts. */
export const PROCESS_STATS = defineTable({
  name: 'process_stats',
  description: 'CPU, memory and I/O counters per process, from /proc.',
  timeColumn: 'time_',
  columns: [
    column.time('time_', 'When the row was read (ns since the epoch).'),
    upid(),
    column.int('major_faults', 'Page faults that needed I/O.'),
    column.int('minor_faults', 'Page faults served from memory.'),
    column.int('cpu_utime_ns', 'CPU time in user mode.', 'duration_ns'),
    column.int('cpu_ktime_ns', 'CPU time in kernel mode.', 'duration_ns'),
    column.int('num_threads', 'Threads of the process.'),
    column.int('vsize_bytes', 'Virtual memory size.', 'bytes'),
    column.int('rss_bytes', 'Resident memory.', 'bytes'),
    column.int('rchar_bytes', 'Bytes read through read-like system calls (0 when /proc/PID/io is not readable).', 'bytes'),
    column.int('wchar_bytes', 'Bytes written through write-like system calls.', 'bytes'),
    column.int('read_bytes', 'Bytes read from storage.', 'bytes'),
    column.int('write_bytes', 'Bytes written to storage.', 'bytes'),
  ],
});
export type ProcessStatsRow = RowOf<typeof PROCESS_STATS>;

/** Rows from dataplane/stats/network-stats.ts. */
export const NETWORK_STATS = defineTable({
  name: 'network_stats',
  description: 'Interface counters per network namespace, summed over its own interfaces.',
  timeColumn: 'time_',
  columns: [
    column.time('time_', 'When the row was read (ns since the epoch).'),
    column.int('netns', 'Inode of the network namespace (the number in "net:[N]").'),
    column.int('rx_bytes', 'Bytes received.', 'bytes'),
    column.int('rx_packets', 'Packets received.'),
    column.int('rx_errors', 'Receive errors.'),
    column.int('rx_drops', 'Received packets dropped.'),
    column.int('tx_bytes', 'Bytes sent.', 'bytes'),
    column.int('tx_packets', 'Packets sent.'),
    column.int('tx_errors', 'Send errors.'),
    column.int('tx_drops', 'Packets dropped on send.'),
  ],
});
export type NetworkStatsRow = RowOf<typeof NETWORK_STATS>;

/** Rows from dataplane/profiler/stack-rows.ts: one per distinct stack per process and interval. */
export const STACK_TRACES = defineTable({
  name: 'stack_traces.beta',
  description: 'Sampled CPU stacks, counted per process.',
  timeColumn: 'time_',
  columns: [
    column.time('time_', 'End of the sampling interval (ns since the epoch).'),
    upid(),
    column.bigint('stack_trace_id', 'Identifier of the stack, equal for equal stacks.'),
    column.string('stack_trace', 'The stack in folded form: frames separated by ";", root first, leaf last.'),
    column.bigint('count', 'Samples of this stack in the interval.'),
  ],
});
export type StackTraceRow = RowOf<typeof STACK_TRACES>;

/** Every table a PEM creates, in that order. */
export const PEM_TABLES = [HTTP_EVENTS, CONN_STATS, PROCESS_STATS, NETWORK_STATS, STACK_TRACES] as const;
