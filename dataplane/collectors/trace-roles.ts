// Which side of a connection the socket tracer records, as Pixie does: a request between two
// traced processes would otherwise appear twice (once per side), doubling every count, rate and
// error ratio computed over http_events. The server side is always recorded; the client side only
// when the remote end is outside the inside networks (the cluster's pod and service CIDRs and
// loopback; standalone, this host's addresses and loopback), since a server in there is traced on
// its own side. 'both' records every side. conn_stats keeps both sides either way.
//
// A connection whose side is unknown when it opens (it was open before tracing started) is
// decided once its protocol shows the side. A client side met while the inside networks are not
// known yet (cluster metadata not listed) waits: its rows are held until they are known.
import type { Cidr, CidrSet } from '../../lib/cidr.js';
import { localInsideNetworks, type InsideNetworks, type InsideNetworkSettings } from '../metadata/inside-networks.js';
import type { TraceRoles } from '../../crds/contract/values.js';
import type { ResolvedRole } from '../protocols/types.js';

export type { TraceRoles } from '../../crds/contract/values.js';

/** Pixie's default: server side, plus client sides whose remote end is outside. */
export const DEFAULT_TRACE_ROLES: TraceRoles = 'server';

/** A PEM's (or the standalone mode's) trace-roles settings: the rule, and the inside networks' explicit blocks. */
export interface TraceRoleSettings extends InsideNetworkSettings {
  /** Default DEFAULT_TRACE_ROLES. */
  readonly traceRoles?: TraceRoles;
}

/** trace: parse and record; skip: count bytes only; pending: parse, hold the rows until the inside networks are known. */
export type SideDecision = 'trace' | 'skip' | 'pending';

/**
 * What to do with one side of a connection. `inside` undefined: the inside networks are not
 * known yet. `remote` is the peer's address in the 128-bit space of cidr.ts.
 */
export function decideSide(role: ResolvedRole, traceRoles: TraceRoles, inside: CidrSet | undefined, remote: bigint): SideDecision {
  if (role === 'server' || traceRoles === 'both') return 'trace';
  if (!inside) return 'pending';
  return inside.contains(remote) ? 'skip' : 'trace';
}

/**
 * The socket-trace collector's options for these settings: with 'server', the inside networks
 * (`cluster`'s, in a cluster; else the explicit blocks, or this host's addresses).
 */
/** The contract's parsed trace-roles settings (`loupe pem`, `loupe standalone`), without the unset ones. */
export function traceRoleSettings(v: { readonly traceRoles: TraceRoles; readonly clusterCidrs?: readonly Cidr[] | undefined; readonly serviceCidrs?: readonly Cidr[] | undefined }): TraceRoleSettings {
  return { traceRoles: v.traceRoles, ...(v.clusterCidrs ? { clusterCidrs: v.clusterCidrs } : {}), ...(v.serviceCidrs ? { serviceCidrs: v.serviceCidrs } : {}) };
}

export function traceRoleOptions(settings: TraceRoleSettings, cluster?: InsideNetworks): { traceRoles: TraceRoles; insideNetworks?: InsideNetworks } {
  const traceRoles = settings.traceRoles ?? DEFAULT_TRACE_ROLES;
  return traceRoles === 'server' ? { traceRoles, insideNetworks: cluster ?? localInsideNetworks(settings) } : { traceRoles };
}

/** The log line a collecting role writes at start: which sides it records, and what counts as inside. */
export function traceRolesLogLine(inside: { readonly source: string } | undefined): { fields: { traceRoles: TraceRoles; inside?: string }; msg: string } {
  return inside
    ? { fields: { traceRoles: 'server', inside: inside.source }, msg: 'http_events: server sides, and client sides whose remote end is outside' }
    : { fields: { traceRoles: 'both' }, msg: 'http_events: both sides of every connection' };
}
