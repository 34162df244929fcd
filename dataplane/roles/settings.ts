// Where a role's setting comes from: a command-line flag wins over the environment variable the
// operator sets (crds/roles.ts `Env`), which wins over the default. Every parse error names the
// flag or variable it came from, so `loupe pem` by hand and a pod's log say the same thing.
import { UsageError } from '../../lib/cli.js';
import { parseQuantity } from '../../lib/quantity.js';
import { durationToMs } from '../../crds/schema.js';
import { parseDuration } from '../targets.js';

/** A flag or environment value a role cannot use; the message names it and says what to pass. */
export class RoleConfigError extends UsageError {
  override readonly name = 'RoleConfigError';
  constructor(
    /** "--listen" or "$LOUPE_HEALTH_ADDR". */
    readonly setting: string,
    message: string,
  ) {
    super(message, setting);
  }
}

/** A raw value and where it came from. */
export interface Setting {
  readonly value: string;
  /** "--flag" or "$ENV_NAME", for messages. */
  readonly from: string;
}

/** The flag's value if given, else the environment variable's if set and non-empty. */
export function pick(flag: string, flagValue: string | undefined, envName: string | undefined, env: NodeJS.ProcessEnv): Setting | undefined {
  if (flagValue !== undefined) return { value: flagValue, from: `--${flag}` };
  const fromEnv = envName ? env[envName] : undefined;
  if (fromEnv !== undefined && fromEnv !== '') return { value: fromEnv, from: `$${envName}` };
  return undefined;
}

/** The environment variable's value if set and non-empty. */
export function envSetting(envName: string, env: NodeJS.ProcessEnv): Setting | undefined {
  return pick('', undefined, envName, env);
}

/** `--memory-limit "abc": ...`: the setting, its value, what was wrong. */
export function fail(s: Setting, problem: string): never {
  throw new RoleConfigError(s.from, `${s.from} "${s.value}": ${problem}`);
}

/** A byte quantity ("512Mi", "1Gi", "1073741824") of at least `min` bytes. */
export function bytesSetting(s: Setting, min: number): number {
  let bytes: number;
  try {
    bytes = parseQuantity(s.value);
  } catch {
    fail(s, 'not a quantity of bytes; write e.g. 512Mi, 2Gi or 1073741824');
  }
  if (!Number.isSafeInteger(Math.floor(bytes)) || bytes < min) fail(s, `at least ${min} bytes (${Math.round(min / 2 ** 20)}Mi)`);
  return Math.floor(bytes);
}

/** An interval such as 500ms, 10s or 2m (as `loupe standalone` takes them). */
export function intervalSetting(s: Setting): number {
  try {
    return parseDuration(s.value);
  } catch {
    fail(s, 'must be a positive duration such as 500ms, 10s or 2m');
  }
}

/** A manifest duration such as 24h, 14d or 1h30m (as spec.pem.dataRetention is written). */
export function retentionSetting(s: Setting): number {
  const ms = durationToMs(s.value.trim());
  if (ms === undefined || ms <= 0) fail(s, 'must be a duration such as 30m, 24h, 14d or 1h30m');
  return ms;
}

/** A NATS URL: nats://HOST:PORT or tls://HOST:PORT (a bare HOST:PORT means nats://). */
export function natsUrlSetting(s: Setting): string {
  const text = s.value.trim();
  const withScheme = /^[a-z]+:\/\//i.test(text) ? text : `nats://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    fail(s, 'not a URL; write nats://HOST:PORT (or tls://HOST:PORT)');
  }
  if (url.protocol !== 'nats:' && url.protocol !== 'tls:') fail(s, `scheme ${url.protocol}// is not nats:// or tls://`);
  if (!url.hostname) fail(s, 'names no host; write nats://HOST:PORT');
  return withScheme;
}
