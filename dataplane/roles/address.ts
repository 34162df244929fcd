// What a role tells NATS others should dial.
import type { NetworkInterfaceInfo } from 'node:os';
import type { HostPort } from '../../lib/host-port.js';

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
