// Internal TLS between the query roles: the Secret the operator mounts ($LOUPE_TLS_DIR,
// crds/contract/common.ts) holds ca.crt and one leaf (tls.crt, tls.key) whose DNS names are the Vizier's
// Services. Servers require client certificates signed by that CA; clients present the same
// leaf. Agents are dialled by IP, so clients check the server's certificate against the leaf's
// first DNS name instead of the address (gRPC's ssl_target_name_override; NATS's servername).
// `loupe run --tls-dir` (run-command.ts) dials the broker the same way.
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type { TlsOptions } from 'nats';
import type { ClientSecurity } from '../query/grpc-services.js';
import type { RawSetting } from '../../crds/contract/role-config.js';
import { UsageError } from '../../lib/cli.js';

export const TLS_FILES = { ca: 'ca.crt', cert: 'tls.crt', key: 'tls.key' } as const;

export interface InternalTls {
  readonly dir: string;
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
  readonly ca: Buffer;
  readonly cert: Buffer;
  readonly key: Buffer;
  /** The leaf's first DNS name: what clients expect the server's certificate to carry. */
  readonly serverName: string;
}

/** The DNS names in an X509Certificate.subjectAltName string ("DNS:a, DNS:b, IP Address:10.0.0.1"). */
export function dnsNames(subjectAltName: string | undefined): string[] {
  return (subjectAltName ?? '').split(', ').flatMap((entry) => (entry.startsWith('DNS:') ? [entry.slice(4)] : []));
}

/** Reads DIR/ca.crt, tls.crt and tls.key; a missing, unreadable or unparsable file is named. */
export function loadInternalTls(dir: RawSetting): InternalTls {
  const read = (name: string) => {
    const path = join(dir.value, name);
    try {
      return readFileSync(path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'is not readable by this user' : code === 'EISDIR' ? 'is a directory' : (err as Error).message;
      throw new UsageError(`${dir.from} "${dir.value}": ${path} ${why}; the directory must hold ${Object.values(TLS_FILES).join(', ')}`, dir.from);
    }
  };
  const ca = read(TLS_FILES.ca);
  const cert = read(TLS_FILES.cert);
  const key = read(TLS_FILES.key);
  const parse = (name: string, pem: Buffer) => {
    try {
      return new X509Certificate(pem);
    } catch (err) {
      throw new UsageError(`${dir.from} "${dir.value}": ${join(dir.value, name)} is not a PEM certificate (${(err as Error).message})`, dir.from);
    }
  };
  parse(TLS_FILES.ca, ca);
  const serverName = dnsNames(parse(TLS_FILES.cert, cert).subjectAltName)[0];
  if (!serverName) throw new UsageError(`${dir.from} "${dir.value}": ${join(dir.value, TLS_FILES.cert)} carries no DNS subject alternative name; clients need one to check servers by`, dir.from);
  return { dir: dir.value, caFile: join(dir.value, TLS_FILES.ca), certFile: join(dir.value, TLS_FILES.cert), keyFile: join(dir.value, TLS_FILES.key), ca, cert, key, serverName };
}

/** Mutual TLS: clients must present a certificate the CA signed. */
export function serverCredentials(tls: InternalTls | undefined): grpc.ServerCredentials {
  if (!tls) return grpc.ServerCredentials.createInsecure();
  return grpc.ServerCredentials.createSsl(tls.ca, [{ private_key: tls.key, cert_chain: tls.cert }], true);
}

export function clientSecurity(tls: InternalTls | undefined): ClientSecurity | undefined {
  if (!tls) return undefined;
  return {
    credentials: grpc.credentials.createSsl(tls.ca, tls.key, tls.cert),
    options: { 'grpc.ssl_target_name_override': tls.serverName, 'grpc.default_authority': tls.serverName },
  };
}

/** NATS client TLS; a server addressed by IP is checked against the leaf's first DNS name. */
export function natsTls(tls: InternalTls, natsUrl: string): TlsOptions {
  const options: TlsOptions & { servername?: string } = { caFile: tls.caFile, certFile: tls.certFile, keyFile: tls.keyFile };
  if (isIP(new URL(natsUrl).hostname.replace(/^\[|\]$/g, ''))) options.servername = tls.serverName;
  return options;
}
