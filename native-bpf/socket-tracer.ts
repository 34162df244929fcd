// Socket tracer (issue #3, section 3): opens, payload bytes and closes of the inet sockets of
// chosen processes, per connection (tgid, fd, generation), from the BTF tracepoint sys_exit (tp_btf)
// (src/socket_tracer.bpf.c). The addon polls the ring buffer on its own thread; drain() turns the
// columns collected since the last drain into events.
import { NativeBpfError, requireBpf, type SocketTracerNative, type TracerBatch, type TracerCounters, type TracerOptions, type TracerHandle } from './addon.js';

/** A connection: the fd of a process, and which of the fd's successive connections. */
export interface ConnId {
  tgid: number;
  fd: number;
  generation: number;
}

export type SocketRole = 'client' | 'server' | 'unknown';
export type SocketDirection = 'egress' | 'ingress';
export type SocketSyscall =
  | 'read' | 'readv' | 'recvfrom' | 'recvmsg'
  | 'write' | 'writev' | 'sendto' | 'sendmsg' | 'sendfile'
  | 'connect' | 'accept' | 'accept4' | 'close'
  /** A close the addon reports for a connection whose process exited without close(). */
  | 'exit'
  | 'unknown';

interface EventBase {
  conn: ConnId;
  timestampNs: bigint;
  /** client: it called connect(); server: accept(); unknown: open before tracing began. */
  role: SocketRole;
  /** The syscall that produced the event (for an open of an unknown-role connection: the first data call). */
  syscall: SocketSyscall;
}

export interface SocketOpenEvent extends EventBase {
  kind: 'open';
  family: 'ipv4' | 'ipv6';
  protocol: 'tcp' | 'udp' | 'other';
  localAddr: string;
  localPort: number;
  remoteAddr: string;
  remotePort: number;
  /** The kernel captures at most the first DETECT_BYTES of payload: the remote end is inside (see setInsideNetworks). */
  noPayload: boolean;
}

export interface SocketDataEvent extends EventBase {
  kind: 'data';
  direction: SocketDirection;
  /** The captured bytes (a view into the batch's payload buffer); shorter than `size` when truncated. */
  data: Buffer;
  /** Bytes the syscall moved. */
  size: number;
  /** Offset of the first byte in this direction of the connection (gaps reveal lost events). */
  pos: number;
}

export interface SocketCloseEvent extends EventBase {
  kind: 'close';
  bytesSent: number;
  bytesReceived: number;
}

export type SocketEvent = SocketOpenEvent | SocketDataEvent | SocketCloseEvent;

const ROLES: readonly SocketRole[] = ['unknown', 'client', 'server'];
const SYSCALLS: readonly SocketSyscall[] = [
  'unknown', 'read', 'readv', 'recvfrom', 'recvmsg', 'write', 'writev', 'sendto', 'sendmsg', 'sendfile',
  'connect', 'accept', 'accept4', 'close', 'exit',
];
const AF_INET = 2;
const SOCK_STREAM = 1;
const SOCK_DGRAM = 2;
const DIR_EGRESS = 1;

/** "tgid:fd:generation", for maps keyed by connection. */
export function connKey(c: ConnId): string {
  return `${c.tgid}:${c.fd}:${c.generation}`;
}

/** Dotted quad, or RFC 5952 text for IPv6 (longest zero run as ::, IPv4-mapped as ::ffff:a.b.c.d). */
export function formatAddress(bytes: Uint8Array, family: 'ipv4' | 'ipv6'): string {
  if (family === 'ipv4') return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push((bytes[i]! << 8) | bytes[i + 1]!);
  if (words.slice(0, 5).every((w) => w === 0) && words[5] === 0xffff) {
    return `::ffff:${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`;
  }
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = words.map((w) => w.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** Blocks the kernel holds in its inside networks (socket_tracer.h SOCK_INSIDE_NETS_ENTRIES). */
export const MAX_KERNEL_INSIDE_NETS = 16384;
/** Payload bytes a no-payload connection still captures (SOCK_DETECT_BYTES): its protocol's first bytes. */
export const DETECT_BYTES = 64;
/** One key of the inside networks: prefix length (u32, host order), then 16 address bytes. */
const INSIDE_KEY_BYTES = 20;

/** A block of the inside networks: an IPv6 prefix; IPv4 blocks as IPv4-mapped (::ffff:a.b.c.d, 96 + n bits). */
export interface InsideBlock {
  /** 16 bytes, network order. */
  readonly addr: Uint8Array;
  /** 0..128. */
  readonly prefixLength: number;
}

/** Row kinds of a TracerBatch (`kinds[i]`). */
export const BATCH_KIND = { open: 1, data: 2, close: 3 } as const;
/** `directions[i]` of an egress data row (anything else is ingress). */
export const BATCH_DIR_EGRESS = DIR_EGRESS;

export function roleAt(b: TracerBatch, i: number): SocketRole {
  return ROLES[b.roles[i]!] ?? 'unknown';
}

/** Row i of a batch as an open event (the caller checked kinds[i] is BATCH_KIND.open). */
export function openEventAt(b: TracerBatch, i: number, timestampNs: bigint = b.timestamps[i]!): SocketOpenEvent {
  const family = b.families[i] === AF_INET ? 'ipv4' : 'ipv6';
  const sockType = b.sockTypes[i];
  return {
    kind: 'open',
    conn: { tgid: b.tgids[i]!, fd: b.fds[i]!, generation: b.generations[i]! },
    timestampNs,
    role: roleAt(b, i),
    syscall: SYSCALLS[b.syscalls[i]!] ?? 'unknown',
    family,
    protocol: sockType === SOCK_STREAM ? 'tcp' : sockType === SOCK_DGRAM ? 'udp' : 'other',
    localAddr: formatAddress(b.localAddrs.subarray(i * 16, i * 16 + 16), family),
    localPort: b.localPorts[i]!,
    remoteAddr: formatAddress(b.remoteAddrs.subarray(i * 16, i * 16 + 16), family),
    remotePort: b.remotePorts[i]!,
    noPayload: b.noPayload[i] === 1,
  };
}

/** Events of one batch, in ring-buffer order (per connection: the order of its syscalls). */
export function batchToSocketEvents(b: TracerBatch): SocketEvent[] {
  const out: SocketEvent[] = [];
  for (let i = 0; i < b.kinds.length; i++) {
    const kind = b.kinds[i];
    if (kind === BATCH_KIND.open) {
      out.push(openEventAt(b, i));
      continue;
    }
    const conn = { tgid: b.tgids[i]!, fd: b.fds[i]!, generation: b.generations[i]! };
    const timestampNs = b.timestamps[i]!;
    const role = roleAt(b, i);
    const syscall = SYSCALLS[b.syscalls[i]!] ?? 'unknown';
    if (kind === BATCH_KIND.data) {
      out.push({
        kind: 'data',
        conn,
        timestampNs,
        role,
        syscall,
        direction: b.directions[i] === DIR_EGRESS ? 'egress' : 'ingress',
        data: b.payload.subarray(b.payloadOffsets[i]!, b.payloadOffsets[i + 1]!),
        size: b.sizes[i]!,
        pos: b.positions[i]!,
      });
    } else if (kind === BATCH_KIND.close) {
      out.push({ kind: 'close', conn, timestampNs, role, syscall, bytesSent: b.sizes[i]!, bytesReceived: b.positions[i]! });
    }
  }
  return out;
}

/** A running socket tracer. Drain it regularly: undrained events are held (up to maxPendingBytes). */
export class SocketTracer {
  private stopped = false;
  /** Counters as of the last drain. */
  counters: TracerCounters | undefined;

  private constructor(
    private readonly native: SocketTracerNative,
    private readonly handle: TracerHandle,
  ) {}

  /** Loads and attaches the BPF programs; fails with the capability message when BPF cannot be used here. */
  static async start(opts: TracerOptions = {}): Promise<SocketTracer> {
    const native = requireBpf();
    return new SocketTracer(native, await native.startTracer(opts));
  }

  /** Events since the last drain. */
  drain(): SocketEvent[] {
    const batch = this.drainBatch();
    return batch ? batchToSocketEvents(batch) : [];
  }

  /** Detaches and returns the events not drained yet, up to the last one the kernel emitted. */
  async stop(): Promise<SocketEvent[]> {
    return (await this.stopBatches()).flatMap(batchToSocketEvents);
  }

  /**
   * The rows since the last drain, as the addon's columns: what drain() turns into objects,
   * for consumers that keep up with tens of thousands of events per second. Undefined once stopped.
   */
  drainBatch(): TracerBatch | undefined {
    if (this.stopped) return undefined;
    return this.take(this.native.drainTracer(this.handle));
  }

  /**
   * The networks whose client sides get no payload: a connect() to an address inside them makes a
   * connection whose data events carry sizes only, after its first DETECT_BYTES. Replaces the
   * previous set; the first MAX_KERNEL_INSIDE_NETS blocks are installed (give the widest first).
   * Returns how many were installed.
   */
  setInsideNetworks(blocks: readonly InsideBlock[]): number {
    if (this.stopped) throw new NativeBpfError('ESTOPPED', 'setInsideNetworks: the tracer is stopped');
    const keys = new Uint8Array(blocks.length * INSIDE_KEY_BYTES);
    const view = new DataView(keys.buffer);
    for (const [i, b] of blocks.entries()) {
      if (b.addr.length !== 16 || !Number.isInteger(b.prefixLength) || b.prefixLength < 0 || b.prefixLength > 128) {
        throw new NativeBpfError('EINVAL', `setInsideNetworks: block ${i} needs 16 address bytes and a prefix length of 0..128`);
      }
      view.setUint32(i * INSIDE_KEY_BYTES, b.prefixLength, true);
      keys.set(b.addr, i * INSIDE_KEY_BYTES + 4);
    }
    return this.native.setTracerInsideNets(this.handle, keys);
  }

  /** stop(), as batches. */
  async stopBatches(): Promise<TracerBatch[]> {
    if (this.stopped) return [];
    const before = this.take(this.native.drainTracer(this.handle));
    await this.native.stopTracer(this.handle);
    this.stopped = true;
    return [before, this.take(this.native.drainTracer(this.handle))];
  }

  private take(batch: TracerBatch): TracerBatch {
    this.counters = batch.counters;
    return batch;
  }
}
