// `loupe run SCRIPT`: sends a PxL script (a bundled px/NAME or a file) to a query API — the
// standalone server, or a Vizier's query broker — and prints the tables it displays.
import { parseArgs } from 'node:util';
import { Ports } from '../../crds/roles.js';
import { formatJsonLines, formatTable } from '../pxl/exec/format.js';
import { bundledScripts, resolveScript, ScriptNotFoundError } from '../scripts/library.js';
import { parseDuration, TargetArgumentError } from '../targets.js';
import { queryErrorMessage } from './errors.js';
import { BROKER_SERVICE, callStream, insecureClient, type ScriptRequest } from './grpc-services.js';
import { collectFrames } from './results.js';

export const RUN_USAGE = `usage: loupe run SCRIPT [--arg NAME=VALUE]... [--format table|json] [--server HOST:PORT]
                 [--entry FUNCTION] [--timeout 30s] [--max-rows N]

SCRIPT is a bundled script (px/NAME) or a .pxl file. A script that displays nothing at module
level runs its entry function: --entry, else the function named like the script (px/http_data
runs http_data), with --arg values converted by the function's argument annotations.

  --server HOST:PORT  the query API (default $LOUPE_SERVER, else 127.0.0.1:${Ports.queryBroker},
                      where \`loupe standalone\` listens)
  --format            table (default, aligned, durations and bytes for people) or json
                      (one object per row, {"_table": NAME, column: value, ...})

bundled scripts: `;

export class RunUsageError extends Error {
  override readonly name = 'RunUsageError';
}

export interface RunRequest {
  readonly request: ScriptRequest;
  readonly server: string;
  readonly format: 'table' | 'json';
  readonly timeoutMs: number;
}

export function parseRunArgs(args: string[], env: NodeJS.ProcessEnv = process.env): RunRequest | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        arg: { type: 'string', multiple: true },
        format: { type: 'string', default: 'table' },
        server: { type: 'string' },
        entry: { type: 'string' },
        timeout: { type: 'string', default: '30s' },
        'max-rows': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    });
  } catch (err) {
    throw new RunUsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  if (positionals.length !== 1) throw new RunUsageError(positionals.length === 0 ? 'name a script: px/NAME or a .pxl file' : `one script at a time (got ${positionals.join(', ')})`);
  if (values.format !== 'table' && values.format !== 'json') throw new RunUsageError(`--format ${values.format}: use table or json`);
  const scriptArgs: Record<string, string> = {};
  for (const a of values.arg ?? []) {
    const eq = a.indexOf('=');
    if (eq <= 0) throw new RunUsageError(`--arg ${a}: write NAME=VALUE (e.g. --arg start_time=-10m)`);
    const name = a.slice(0, eq);
    if (name in scriptArgs) throw new RunUsageError(`--arg ${name} is given twice`);
    scriptArgs[name] = a.slice(eq + 1);
  }
  let timeoutMs: number;
  try {
    timeoutMs = parseDuration(values.timeout!);
  } catch (err) {
    throw new RunUsageError((err as TargetArgumentError).message.replace('--duration', '--timeout'));
  }
  let maxRows: number | undefined;
  if (values['max-rows'] !== undefined) {
    maxRows = Number(values['max-rows']);
    if (!Number.isSafeInteger(maxRows) || maxRows <= 0) throw new RunUsageError(`--max-rows ${values['max-rows']}: a positive number of rows`);
  }
  const server = values.server ?? env['LOUPE_SERVER'] ?? `127.0.0.1:${Ports.queryBroker}`;
  if (!/^[^\s:]+:\d+$/.test(server) && !/^\[[0-9a-fA-F:]+\]:\d+$/.test(server)) throw new RunUsageError(`--server ${server}: write HOST:PORT`);
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
  return { request, server, format: values.format, timeoutMs };
}

export async function runCommand(args: string[], out: (s: string) => void = (s) => process.stdout.write(s), err: (s: string) => void = (s) => process.stderr.write(s)): Promise<number> {
  let run: RunRequest | 'help';
  try {
    run = parseRunArgs(args);
  } catch (e) {
    if (e instanceof RunUsageError || e instanceof ScriptNotFoundError) {
      err(`loupe run: ${e.message}\n\n${RUN_USAGE}${bundledScripts().join(', ')}\n`);
      return 2;
    }
    throw e;
  }
  if (run === 'help') {
    out(`${RUN_USAGE}${bundledScripts().join(', ')}\n`);
    return 0;
  }
  const client = insecureClient(run.server);
  try {
    // The server enforces the query's own time limit; the deadline only covers an unreachable server.
    const results = await collectFrames(callStream(client, BROKER_SERVICE.executeScript, run.request, undefined, run.timeoutMs + 5_000));
    for (const table of results.tables) out(run.format === 'json' ? formatJsonLines(table) : `${formatTable(table)}\n`);
    for (const w of results.warnings) err(`loupe run: warning: ${w}\n`);
    return 0;
  } catch (e) {
    const message = queryErrorMessage(e);
    const unreachable = (e as { code?: number }).code === 14;
    err(unreachable ? `loupe run: cannot reach a query API at ${run.server} (${message}); start one with \`loupe standalone\` (or \`make run\`), or pass --server HOST:PORT\n` : `loupe run: ${message}\n`);
    return 1;
  } finally {
    client.close();
  }
}
