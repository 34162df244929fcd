// `network_stats` rows: one per network namespace, summed over its interfaces, read from
// /proc/PID/net/dev of one process in that namespace (found through the /proc/PID/ns/net link).
// Pixie's columns, with the namespace inode in place of pod_id (the metadata service maps
// namespaces to pods).
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { wallClockNs } from '../../lib/clock.js';
import type { NetworkStatsRow } from '../table-store/schemas.js';
import { isGoneOrDenied, listPids, ProcParseError, type Clock } from './proc.js';

export interface NetDevCounters {
  rx_bytes: number;
  rx_packets: number;
  rx_errors: number;
  rx_drops: number;
  tx_bytes: number;
  tx_packets: number;
  tx_errors: number;
  tx_drops: number;
}

export interface NetDevInterface extends NetDevCounters {
  name: string;
}

/** Like Pixie: loopback, veth host ends and docker bridges are not a namespace's own traffic. */
export const DEFAULT_IGNORED_INTERFACE_PREFIXES: readonly string[] = ['lo', 'v', 'docker'];

/** Parses /proc/PID/net/dev (two header lines, then "name: 8 receive and 8 transmit counters"). */
export function parseNetDev(text: string): NetDevInterface[] {
  const out: NetDevInterface[] = [];
  for (const line of text.split('\n').slice(2)) {
    if (!line.trim()) continue;
    const colon = line.indexOf(':');
    const v = line.slice(colon + 1).trim().split(/\s+/).map(Number);
    if (colon < 0 || v.length !== 16 || v.some((n) => !Number.isFinite(n))) {
      throw new ProcParseError('/proc/PID/net/dev', `"${line.trim()}" is not "name: 16 counters"`);
    }
    out.push({
      name: line.slice(0, colon).trim(),
      rx_bytes: v[0]!,
      rx_packets: v[1]!,
      rx_errors: v[2]!,
      rx_drops: v[3]!,
      tx_bytes: v[8]!,
      tx_packets: v[9]!,
      tx_errors: v[10]!,
      tx_drops: v[11]!,
    });
  }
  return out;
}

export function sumInterfaces(ifaces: NetDevInterface[], ignoredPrefixes: readonly string[] = DEFAULT_IGNORED_INTERFACE_PREFIXES): NetDevCounters {
  const sum: NetDevCounters = { rx_bytes: 0, rx_packets: 0, rx_errors: 0, rx_drops: 0, tx_bytes: 0, tx_packets: 0, tx_errors: 0, tx_drops: 0 };
  for (const i of ifaces) {
    if (ignoredPrefixes.some((p) => i.name.startsWith(p))) continue;
    for (const k of Object.keys(sum) as (keyof NetDevCounters)[]) sum[k] += i[k];
  }
  return sum;
}

/** The inode in a namespace link target such as "net:[4026531840]". */
export function parseNamespaceLink(target: string): number {
  const m = /^\w+:\[(\d+)\]$/.exec(target);
  if (!m) throw new ProcParseError('/proc/PID/ns/net', `link target "${target}" is not "net:[INODE]"`);
  return Number(m[1]);
}

export interface NetworkStatsReaderOptions {
  /** Default /proc; a fixture directory in tests. */
  procRoot?: string;
  ignoredInterfacePrefixes?: readonly string[];
  clock?: Clock;
}

export class NetworkStatsReader {
  private readonly procRoot: string;
  private readonly ignored: readonly string[];
  private readonly clock: Clock;

  constructor(opts: NetworkStatsReaderOptions = {}) {
    this.procRoot = opts.procRoot ?? '/proc';
    this.ignored = opts.ignoredInterfacePrefixes ?? DEFAULT_IGNORED_INTERFACE_PREFIXES;
    this.clock = opts.clock ?? wallClockNs;
  }

  /** Network namespace inode -> its pids, ascending, over `pids` (default: every process). */
  namespaces(pids?: number[]): Map<number, number[]> {
    const byNs = new Map<number, number[]>();
    for (const pid of pids ?? listPids(readdirSync(this.procRoot))) {
      let ns: number;
      try {
        ns = parseNamespaceLink(readlinkSync(join(this.procRoot, String(pid), 'ns', 'net')));
      } catch (err) {
        if (isGoneOrDenied(err)) continue;
        throw err;
      }
      const list = byNs.get(ns);
      if (list) list.push(pid);
      else byNs.set(ns, [pid]);
    }
    for (const list of byNs.values()) list.sort((a, b) => a - b);
    return byNs;
  }

  /**
   * One row per network namespace of `pids` (default: every process), ascending by namespace.
   * Reads net/dev of the namespace's lowest pid, or of the next one if that process has exited.
   */
  read(pids?: number[]): NetworkStatsRow[] {
    const time = this.clock();
    const rows: NetworkStatsRow[] = [];
    for (const [netns, members] of [...this.namespaces(pids)].sort((a, b) => a[0] - b[0])) {
      const text = this.readNetDev(members);
      if (text !== undefined) rows.push({ time_: time, netns, ...sumInterfaces(parseNetDev(text), this.ignored) });
    }
    return rows;
  }

  private readNetDev(pids: number[]): string | undefined {
    for (const pid of pids) {
      try {
        return readFileSync(join(this.procRoot, String(pid), 'net', 'dev'), 'utf8');
      } catch (err) {
        if (!isGoneOrDenied(err)) throw err;
      }
    }
    return undefined;
  }
}
