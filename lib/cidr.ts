// IP addresses and CIDR blocks as 128-bit numbers, and sets of blocks that answer "is this
// address inside?". IPv4 lives in the IPv4-mapped range (::ffff:a.b.c.d, RFC 4291 2.5.5.2), so
// one set serves both families and a dual-stack socket's mapped peer (::ffff:10.1.2.3) matches
// the IPv4 block it belongs to (10.0.0.0/8) without a special case. The socket tracer's kernel
// side keys its LPM trie the same way (native-bpf/src/socket_tracer.bpf.c).

/** A block: `addr` with its host bits cleared, `prefix` bits long, both in the 128-bit space. */
export interface Cidr {
  readonly addr: bigint;
  /** 0..128; an IPv4 /n is 96 + n. */
  readonly prefix: number;
}

/** An address or CIDR that cannot be parsed; the message quotes it and says what was wrong. */
export class CidrError extends Error {
  override readonly name = 'CidrError';
  readonly code = 'INVALID_CIDR';
  constructor(
    readonly input: string,
    /** What was wrong and what to write, without the input. */
    readonly problem: string,
  ) {
    super(`"${input}": ${problem}`);
  }
}

const ALL_ONES = (1n << 128n) - 1n;
const V4_MAPPED = 0xffffn << 32n;
/** The IPv4-mapped range ::ffff:0:0/96: every IPv4 address, and nothing else. */
const V4_MAPPED_PREFIX = 96;

function maskOf(prefix: number): bigint {
  return ALL_ONES ^ ((1n << BigInt(128 - prefix)) - 1n);
}

function parseIPv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    // No leading zeros: "010" means 8 to some parsers and 10 to others.
    if (!/^(0|[1-9]\d{0,2})$/.test(part)) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    value = value * 256 + n;
  }
  return value;
}

function parseGroups(text: string): number[] | undefined {
  if (text === '') return [];
  const groups: number[] = [];
  const parts = text.split(':');
  for (const [i, part] of parts.entries()) {
    if (i === parts.length - 1 && part.includes('.')) {
      const v4 = parseIPv4(part);
      if (v4 === undefined) return undefined;
      groups.push(Math.floor(v4 / 65536), v4 % 65536);
    } else if (/^[0-9a-fA-F]{1,4}$/.test(part)) {
      groups.push(parseInt(part, 16));
    } else {
      return undefined;
    }
  }
  return groups;
}

function parseIPv6(text: string): bigint | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const head = parseGroups(halves[0]!);
  const tail = halves.length === 2 ? parseGroups(halves[1]!) : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  let value = 0n;
  for (const g of [...head, ...new Array<number>(missing).fill(0), ...tail]) value = (value << 16n) | BigInt(g);
  return value;
}

/** An IPv4 or IPv6 address in the 128-bit space (IPv4 mapped), or undefined if it is neither. */
export function parseIp(text: string): bigint | undefined {
  const v4 = parseIPv4(text);
  if (v4 !== undefined) return V4_MAPPED | BigInt(v4);
  return text.includes(':') ? parseIPv6(text) : undefined;
}

/** An address as the kernel hands it over: 4 bytes (IPv4) or 16 (IPv6), network order, at `offset`. */
export function ipFromBytes(bytes: Uint8Array, offset: number, ipv4: boolean): bigint {
  if (ipv4) return V4_MAPPED | BigInt(((bytes[offset]! << 24) | (bytes[offset + 1]! << 16) | (bytes[offset + 2]! << 8) | bytes[offset + 3]!) >>> 0);
  let value = 0n;
  for (let i = 0; i < 16; i += 4) {
    value = (value << 32n) | BigInt(((bytes[offset + i]! << 24) | (bytes[offset + i + 1]! << 16) | (bytes[offset + i + 2]! << 8) | bytes[offset + i + 3]!) >>> 0);
  }
  return value;
}

/** The 16 bytes (network order) of an address in the 128-bit space. */
export function ipToBytes(addr: bigint): Uint8Array {
  const out = new Uint8Array(16);
  for (let i = 15, v = addr; i >= 0; i--, v >>= 8n) out[i] = Number(v & 0xffn);
  return out;
}

function isV4Mapped(addr: bigint, prefix = 128): boolean {
  return prefix >= V4_MAPPED_PREFIX && addr >> 32n === 0xffffn;
}

/** Dotted quad for IPv4 (mapped) addresses, RFC 5952 text otherwise. */
export function formatIp(addr: bigint): string {
  if (isV4Mapped(addr)) {
    const v = Number(addr & 0xffffffffn);
    return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
  }
  const words: number[] = [];
  for (let i = 7; i >= 0; i--) words.push(Number((addr >> BigInt(i * 16)) & 0xffffn));
  let best = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLength) {
      best = i;
      bestLength = j - i;
    }
    i = j === i ? i + 1 : j;
  }
  const hex = words.map((w) => w.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLength).join(':')}`;
}

/** "a.b.c.d/n" for IPv4 blocks, "x::/n" otherwise. */
export function formatCidr(c: Cidr): string {
  return isV4Mapped(c.addr, c.prefix) ? `${formatIp(c.addr)}/${c.prefix - V4_MAPPED_PREFIX}` : `${formatIp(c.addr)}/${c.prefix}`;
}

export function cidrOf(addr: bigint, prefix: number): Cidr {
  return { addr: addr & maskOf(prefix), prefix };
}

/**
 * "10.0.0.0/8", "fd00::/48", or a bare address (a /32 or /128). Host bits past the prefix are
 * cleared ("10.1.2.3/8" is 10.0.0.0/8), as Kubernetes and the Go net package read them.
 */
export function parseCidr(text: string): Cidr {
  const trimmed = text.trim();
  const slash = trimmed.indexOf('/');
  const addrText = slash < 0 ? trimmed : trimmed.slice(0, slash);
  const addr = parseIp(addrText);
  if (addr === undefined) throw new CidrError(text, 'not an IPv4 or IPv6 address or CIDR; write e.g. 10.244.0.0/16 or fd00:10:96::/112');
  const v4 = !addrText.includes(':');
  const max = v4 ? 32 : 128;
  if (slash < 0) return { addr, prefix: 128 };
  const lengthText = trimmed.slice(slash + 1);
  if (!/^\d{1,3}$/.test(lengthText) || Number(lengthText) > max) {
    throw new CidrError(text, `the prefix length must be a whole number from 0 to ${max} for an IPv${v4 ? 4 : 6} block`);
  }
  return cidrOf(addr, Number(lengthText) + (v4 ? V4_MAPPED_PREFIX : 0));
}

/**
 * Whether `text` is a block the way Go's netip.ParsePrefix reads one, and so Kubernetes' CEL
 * isCIDR(): an address, '/', and a prefix length without sign or leading zero, nothing around
 * them; no IPv6 zone and no IPv4-mapped IPv6 address (::ffff:a.b.c.d). Host bits may be set.
 */
export function isPrefixText(text: string): boolean {
  const slash = text.lastIndexOf('/');
  if (slash < 0) return false;
  const addrText = text.slice(0, slash);
  const addr = parseIp(addrText);
  if (addr === undefined) return false;
  const v6 = addrText.includes(':');
  if (v6 && isV4Mapped(addr)) return false;
  const lengthText = text.slice(slash + 1);
  return /^(0|[1-9][0-9]{0,2})$/.test(lengthText) && Number(lengthText) <= (v6 ? 128 : 32);
}

/** A comma-separated list of CIDRs ("10.244.0.0/16,fd00::/48"); empty entries are errors. */
export function parseCidrList(text: string): Cidr[] {
  const parts = text.split(',').map((p) => p.trim());
  if (parts.some((p) => p === '')) throw new CidrError(text, 'an empty entry; separate CIDRs with single commas, e.g. 10.244.0.0/16,10.96.0.0/12');
  return parts.map(parseCidr);
}

/** Whether `outer` contains every address of `inner`. */
export function covers(outer: Cidr, inner: Cidr): boolean {
  return outer.prefix <= inner.prefix && (inner.addr & maskOf(outer.prefix)) === outer.addr;
}

/**
 * The smallest block holding every address given (all of one family: mixing IPv4 and IPv6
 * gives a block of nearly everything). How a service CIDR is read off the cluster IPs that
 * services hold: the API server allocates them all from it.
 */
export function smallestCover(addrs: readonly bigint[]): Cidr | undefined {
  if (addrs.length === 0) return undefined;
  const first = addrs[0]!;
  let differing = 0n;
  for (const a of addrs) differing |= a ^ first;
  let bits = 0;
  while (differing > 0n) {
    differing >>= 1n;
    bits++;
  }
  return cidrOf(first, 128 - bits);
}

/** 127.0.0.0/8 and ::1: what Pixie counts as inside by default (treat_loopback_as_in_cluster). */
export const LOOPBACK: readonly Cidr[] = [parseCidr('127.0.0.0/8'), parseCidr('::1/128')];

/**
 * A set of blocks, asked per connection. Blocks inside another are dropped; the rest are grouped
 * by prefix length, so a lookup costs one mask and one Set probe per distinct length (a handful:
 * /32 host addresses, a /24 per node, the /12 of services, ...), however many blocks there are.
 */
export class CidrSet {
  /** The blocks, widest first, none inside another. */
  readonly cidrs: readonly Cidr[];
  private readonly byPrefix: readonly { readonly mask: bigint; readonly addrs: ReadonlySet<bigint> }[];

  constructor(cidrs: Iterable<Cidr>) {
    const sorted = [...cidrs].sort((a, b) => a.prefix - b.prefix || (a.addr < b.addr ? -1 : a.addr > b.addr ? 1 : 0));
    const kept: Cidr[] = [];
    const groups = new Map<number, Set<bigint>>();
    const inKept = (c: Cidr) => {
      for (const [prefix, addrs] of groups) if (prefix <= c.prefix && addrs.has(c.addr & maskOf(prefix))) return true;
      return false;
    };
    for (const c of sorted) {
      if (inKept(c)) continue;
      kept.push(c);
      let group = groups.get(c.prefix);
      if (!group) groups.set(c.prefix, (group = new Set()));
      group.add(c.addr);
    }
    this.cidrs = kept;
    this.byPrefix = [...groups].map(([prefix, addrs]) => ({ mask: maskOf(prefix), addrs }));
  }

  contains(addr: bigint): boolean {
    for (const { mask, addrs } of this.byPrefix) if (addrs.has(addr & mask)) return true;
    return false;
  }

  /** contains() for address text; false for text that is not an address. */
  containsIp(text: string): boolean {
    const addr = parseIp(text);
    return addr !== undefined && this.contains(addr);
  }

  /** Whether both sets hold the same blocks. */
  equals(other: CidrSet): boolean {
    return this.cidrs.length === other.cidrs.length && this.cidrs.every((c, i) => c.addr === other.cidrs[i]!.addr && c.prefix === other.cidrs[i]!.prefix);
  }

  toString(): string {
    return this.cidrs.map(formatCidr).join(',');
  }
}
