// pino JSON logs on stdout. Every line carries its component; controllers add `object`
// (namespace/name) and `reconcileId` through child loggers.
import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

export interface LoggerOptions {
  /** pino level; defaults to $LOUPE_LOG_LEVEL, then 'info'. */
  level?: string;
  /** Where lines go; stdout when omitted. Tests pass a stream to capture lines. */
  destination?: DestinationStream;
}

export function createLogger(component: string, opts: LoggerOptions = {}): Logger {
  const root = pino(
    {
      level: opts.level ?? process.env.LOUPE_LOG_LEVEL ?? 'info',
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    opts.destination ?? pino.destination(1),
  );
  return root.child({ component });
}
