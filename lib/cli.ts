// The command line's shared pieces: one error for a flag or environment variable that cannot be
// used, and node's parseArgs with its complaints turned into that error. `bin/cli.ts` prints a
// UsageError as one line naming the command and exits 2; every other error exits 1.
import { parseArgs, type ParseArgsConfig } from 'node:util';

export class UsageError extends Error {
  override readonly name: string = 'UsageError';

  constructor(
    message: string,
    /** The offending flag ("--listen") or variable ("$LOUPE_NATS_URL"), when there is one. */
    readonly flag?: string,
  ) {
    super(message);
  }
}

const PARSE_ARGS_ERRORS = new Set(['ERR_PARSE_ARGS_UNKNOWN_OPTION', 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE', 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL']);

/** node:util parseArgs, but an unknown flag, a missing value or a stray argument is a one-line UsageError. */
export function parseFlags<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (typeof code !== 'string' || !PARSE_ARGS_ERRORS.has(code)) throw err;
    const message = (err as Error).message.replace(/\s*\n\s*/g, ' ');
    throw new UsageError(message, /'(--?[^' <]+)/.exec(message)?.[1]);
  }
}
