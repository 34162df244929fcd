// HOST:PORT values: what a role binds, and what it tells NATS others should dial.
import { isIP } from 'node:net';
import type { NetworkInterfaceInfo } from 'node:os';
import { fail, type Setting } from './settings.js';

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** "127.0.0.1:12345", "[::1]:0", "node-1:12345"; port 0 asks for a free one when binding. */
export function parseHostPort(s: Setting): HostPort {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^\s:[\]]+)):(\d{1,5})$/.exec(s.value.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) fail(s, 'not HOST:PORT; write e.g. 127.0.0.1:12345, [::1]:12345 or 0.0.0.0:0 (port 0 picks a free one)');
  const host = m[1] ?? m[2]!;
  if (m[1] !== undefined && isIP(host) !== 6) fail(s, `[${host}] is not an IPv6 address`);
  return { host, port };
}

export function formatHostPort({ host, port }: HostPort): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

const UNSPECIFIED = new Set(['0.0.0.0', '::', '']);

/**
 * The address a role announces: --advertise when given (its port 0 means the bound port), else
 * $POD_IP with the bound port, else the bound address — or, when bound to every interface
 * (0.0.0.0), this host's first non-loopback IPv4 address, since 0.0.0.0 is not dialable.
 */
export function advertiseAddress(bound: HostPort, advertise: HostPort | undefined, podIp: string | undefined, interfaces: NodeJS.Dict<NetworkInterfaceInfo[]>): HostPort {
  if (advertise) return { host: advertise.host, port: advertise.port || bound.port };
  if (podIp) return { host: podIp, port: bound.port };
  if (!UNSPECIFIED.has(bound.host)) return bound;
  const external = Object.values(interfaces).flatMap((list) => list ?? []).find((i) => i.family === 'IPv4' && !i.internal);
  return { host: external?.address ?? '127.0.0.1', port: bound.port };
}
