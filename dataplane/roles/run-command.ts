// `loupe run SCRIPT`: sends a PxL script (a bundled px/NAME or a file) to a query API — the
// standalone server, or a Vizier's query broker — and prints the tables it displays.
import { join } from 'node:path';
import { Ports, TLS_DIR_SETTING } from '../../crds/contract/index.js';
import { pickSetting, type RawSetting } from '../../crds/contract/role-config.js';
import { parseFlags, UsageError } from '../../lib/cli.js';
import { parseHostPort } from '../../lib/host-port.js';
import { formatJsonLines, formatTable } from '../pxl/exec/format.js';
import { classifyCallFailure, watchConnection, type CallFailure } from '../query/errors.js';
import { BROKER_SERVICE, callStream, openClient, type ScriptRequest } from '../query/grpc-services.js';
import { collectFrames } from '../query/results.js';
import { bundledScripts, resolveScript } from '../scripts/library.js';
import { parseDuration } from '../targets.js';
import { clientSecurity, loadInternalTls, TLS_FILES, type InternalTls } from './tls.js';

export const RUN_USAGE = `usage: loupe run SCRIPT [--arg NAME=VALUE]... [--format table|json] [--server HOST:PORT]
                 [--tls-dir DIR] [--entry FUNCTION] [--timeout 30s] [--max-rows N]

SCRIPT is a bundled script (px/NAME) or a .pxl file. A script that displays nothing at module
level runs its entry function: --entry, else the function named like the script (px/http_data
runs http_data), with --arg values converted by the function's argument annotations.

  --server HOST:PORT  the query API (default $LOUPE_SERVER, else 127.0.0.1:${Ports.queryBroker},
                      where \`loupe standalone\` listens)
  --tls-dir DIR       mutual TLS, for a query broker started with --tls-dir (a Vizier's):
                      DIR/${TLS_FILES.ca}, ${TLS_FILES.cert}, ${TLS_FILES.key}, as the roles take them; the server's
                      certificate must name ${TLS_FILES.cert}'s first DNS name (default $${TLS_DIR_SETTING.env};
                      none: plaintext)
  --format            table (default, aligned, durations and bytes for people) or json
                      (one object per row, {"_table": NAME, column: value, ...})

bundled scripts: `;

export function runUsage(): string {
  return `${RUN_USAGE}${bundledScripts().join(', ')}`;
}

export interface RunRequest {
  readonly request: ScriptRequest;
  readonly server: string;
  /** --tls-dir / $LOUPE_TLS_DIR; the files are read in runCommand, errors name the file. */
  readonly tlsDir?: RawSetting;
  readonly format: 'table' | 'json';
  readonly timeoutMs: number;
}

export function parseRunArgs(args: string[], env: NodeJS.ProcessEnv = process.env): RunRequest {
  const { values, positionals } = parseFlags({
    args,
    allowPositionals: true,
    options: {
      arg: { type: 'string', multiple: true },
      format: { type: 'string', default: 'table' },
      server: { type: 'string' },
      'tls-dir': { type: 'string' },
      entry: { type: 'string' },
      timeout: { type: 'string', default: '30s' },
      'max-rows': { type: 'string' },
    },
    strict: true,
  });
  if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'name a script: px/NAME or a .pxl file' : `one script at a time (got ${positionals.join(', ')})`);
  if (values.format !== 'table' && values.format !== 'json') throw new UsageError(`--format ${values.format}: use table or json`, '--format');
  const scriptArgs: Record<string, string> = {};
  for (const a of values.arg ?? []) {
    const eq = a.indexOf('=');
    if (eq <= 0) throw new UsageError(`--arg ${a}: write NAME=VALUE (e.g. --arg start_time=-10m)`, '--arg');
    const name = a.slice(0, eq);
    if (name in scriptArgs) throw new UsageError(`--arg ${name} is given twice`, '--arg');
    scriptArgs[name] = a.slice(eq + 1);
  }
  let timeoutMs: number;
  try {
    timeoutMs = parseDuration(values.timeout!);
  } catch (err) {
    throw new UsageError((err as Error).message.replace('--duration', '--timeout'), '--timeout');
  }
  let maxRows: number | undefined;
  if (values['max-rows'] !== undefined) {
    maxRows = Number(values['max-rows']);
    if (!Number.isSafeInteger(maxRows) || maxRows <= 0) throw new UsageError(`--max-rows ${values['max-rows']}: a positive number of rows`, '--max-rows');
  }
  const server = values.server ?? env['LOUPE_SERVER'] ?? `127.0.0.1:${Ports.queryBroker}`;
  try {
    parseHostPort(server);
  } catch {
    throw new UsageError(`--server ${server}: write HOST:PORT`, '--server');
  }
  const tlsDir = pickSetting('tls-dir', values['tls-dir'], TLS_DIR_SETTING.env, env);
  if (tlsDir?.value === '') throw new UsageError('--tls-dir: name a directory holding ca.crt, tls.crt and tls.key', '--tls-dir');
  const script = resolveScript(positionals[0]!);
  const hasArgs = Object.keys(scriptArgs).length > 0;
  const request: ScriptRequest = {
    script: script.text,
    file: script.name,
    // Without --entry: the module level's displays, else the function named like the script.
    ...(values.entry ? { entry: values.entry } : { defaultEntry: script.entry }),
    ...(hasArgs ? { args: scriptArgs } : {}),
    limits: { timeoutMs, ...(maxRows ? { maxResultRows: maxRows } : {}) },
  };
  return { request, server, ...(tlsDir ? { tlsDir } : {}), format: values.format, timeoutMs };
}

/**
 * What to say when no connection to `server` came about, and what to try next: start a query
 * API, or get TLS right (the roles with --tls-dir refuse plaintext clients).
 */
export function connectFailureMessage(server: string, failure: Extract<CallFailure, { kind: 'connect' }>, tls?: { readonly setting: RawSetting; readonly serverName: string }): string {
  const what = `could not connect to ${server}: ${failure.reason}`;
  const closed = /closed the connection before|reset the connection/.test(failure.reason);
  if (tls) {
    // OpenSSL's words when the other side answers in plaintext.
    if (/wrong version number|packet length too long|http request/i.test(failure.reason)) return `${what}; the server there does not use TLS: run without ${tls.setting.from}`;
    if (failure.tlsHandshake) return `${what}; check that ${tls.setting.from} ${tls.setting.value} holds the CA that signed the server's certificate (${TLS_FILES.ca}) and that the server's certificate names ${tls.serverName} (${TLS_FILES.cert}'s first DNS name)`;
    // A server that refuses the client's certificate closes the connection after the handshake.
    if (closed) return `${what}; the server may refuse this client certificate: check that ${join(tls.setting.value, TLS_FILES.cert)} is signed by the CA the server trusts`;
  } else if (failure.tlsHandshake || closed) {
    return `${what}; if the server requires mutual TLS (a query broker started with --tls-dir), pass --tls-dir DIR (${Object.values(TLS_FILES).join(', ')}) or set $${TLS_DIR_SETTING.env}`;
  }
  return `${what}; is a query API running there? Start one with \`loupe standalone\` (or \`make run\`) or \`loupe query-broker\`, or pass --server HOST:PORT`;
}

export async function runCommand(args: string[], out: (s: string) => void = (s) => process.stdout.write(s), err: (s: string) => void = (s) => process.stderr.write(s), env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const run = parseRunArgs(args, env);
  // A missing file is a UsageError: "--tls-dir "DIR": DIR/tls.key does not exist; the directory must hold ca.crt, tls.crt, tls.key"
  const tls: InternalTls | undefined = run.tlsDir ? loadInternalTls(run.tlsDir) : undefined;
  const client = openClient(run.server, clientSecurity(tls));
  const connected = watchConnection(client);
  try {
    // The server enforces the query's own time limit; the deadline only covers an unreachable server.
    const results = await collectFrames(callStream(client, BROKER_SERVICE.executeScript, run.request, undefined, run.timeoutMs + 5_000));
    for (const table of results.tables) out(run.format === 'json' ? formatJsonLines(table) : `${formatTable(table)}\n`);
    for (const w of results.warnings) err(`loupe run: warning: ${w}\n`);
    return 0;
  } catch (e) {
    // A server's own status (a compile error, "no PEM agents are registered: ...") is printed as
    // it sent it; only a call that never got a connection is about the address.
    const failure = classifyCallFailure(e, connected());
    const message = failure.kind === 'connect' ? connectFailureMessage(run.server, failure, tls && run.tlsDir ? { setting: run.tlsDir, serverName: tls.serverName } : undefined) : failure.message;
    err(`loupe run: ${message}\n`);
    return 1;
  } finally {
    client.close();
  }
}
