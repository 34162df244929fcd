// HOST:PORT, the one spelling of an address to bind or dial: "127.0.0.1:12345", "node-1:0",
// "[::1]:80" (an IPv6 address in brackets, so the port cannot be mistaken for its last group).
// Callers wrap the problem in their own error, naming their flag or variable.
import { isIP } from 'node:net';

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

export class HostPortError extends Error {
  override readonly name = 'HostPortError';
}

export interface HostPortOptions {
  /** What an empty host (":8081") means; without it an empty host is an error. */
  readonly emptyHost?: string;
}

const HOST_PORT = /^(?:\[([0-9a-fA-F:.]+)\]|([^\s:[\]]*)):(\d{1,5})$/;

/** Throws HostPortError saying what is wrong ("not HOST:PORT", "[x] is not an IPv6 address"). */
export function parseHostPort(text: string, opts: HostPortOptions = {}): HostPort {
  const m = HOST_PORT.exec(text.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new HostPortError('not HOST:PORT');
  if (m[1] !== undefined) {
    if (isIP(m[1]) !== 6) throw new HostPortError(`[${m[1]}] is not an IPv6 address`);
    return { host: m[1], port };
  }
  const host = m[2] || opts.emptyHost;
  if (host === undefined) throw new HostPortError('not HOST:PORT');
  return { host, port };
}

export function formatHostPort({ host, port }: HostPort): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}
