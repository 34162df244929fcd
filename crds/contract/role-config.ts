// A role's settings, from the declarations in crds/contract/: parsed from flags and environment
// for the roles (a flag wins over its variable, a variable over the default; an empty variable
// counts as unset), rendered into a pod's environment for the controllers, and written out as
// `loupe ROLE --help`. Every parse error names the flag or variable and says what to write.
import type { ParseArgsConfig } from 'node:util';
import { parseFlags, UsageError } from '../../lib/cli.js';
import { formatDurationMs, parseDurationNs } from '../../lib/duration.js';
import { formatHostPort, HostPortError, parseHostPort } from '../../lib/host-port.js';
import { formatBytes, parseQuantity } from '../../lib/quantity.js';
import type { ConfigOf, HostPortValue, Kind, RoleContract, Setting, Settings } from './setting.js';
import { CidrError, formatCidr, parseCidrList, type Cidr } from '../../lib/cidr.js';

/** A raw value and where it came from. */
export interface RawSetting {
  readonly value: string;
  /** "--flag" or "$NAME". */
  readonly from: string;
}

/** The flag's value if given, else the variable's if set and not empty. */
export function pickSetting(flag: string | undefined, flagValue: string | undefined, envName: string | undefined, env: NodeJS.ProcessEnv): RawSetting | undefined {
  if (flag !== undefined && flagValue !== undefined) return { value: flagValue, from: `--${flag}` };
  const fromEnv = envName === undefined ? undefined : env[envName];
  if (fromEnv !== undefined && fromEnv !== '') return { value: fromEnv, from: `$${envName}` };
  return undefined;
}

/** `--memory-limit "abc": ...`: the setting, its value, what was wrong. */
export function failSetting(s: RawSetting, problem: string): never {
  throw new UsageError(`${s.from} "${s.value}": ${problem}`, s.from);
}

const MiB = 2 ** 20;

function parseText(s: RawSetting): string {
  const text = s.value.trim();
  if (text === '') throw new UsageError(`${s.from}: empty`, s.from);
  return text;
}

function parseBytes(s: RawSetting, min: number): number {
  let bytes: number;
  try {
    bytes = parseQuantity(s.value);
  } catch {
    failSetting(s, 'not a quantity of bytes; write e.g. 512Mi, 2Gi or 1073741824');
  }
  if (!Number.isSafeInteger(Math.floor(bytes)) || bytes < min) failSetting(s, `at least ${min} bytes (${Math.round(min / MiB)}Mi)`);
  return Math.floor(bytes);
}

function parseNatsUrl(s: RawSetting): string {
  const text = s.value.trim();
  const withScheme = /^[a-z]+:\/\//i.test(text) ? text : `nats://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    failSetting(s, 'not a URL; write nats://HOST:PORT (or tls://HOST:PORT)');
  }
  if (url.protocol !== 'nats:' && url.protocol !== 'tls:') failSetting(s, `scheme ${url.protocol}// is not nats:// or tls://`);
  if (!url.hostname) failSetting(s, 'names no host; write nats://HOST:PORT');
  return withScheme;
}

function parseSet(s: RawSetting, values: readonly string[], noun: string): string[] {
  if (s.value.trim() === 'none') return [];
  const members = s.value.split(',').map((m) => m.trim()).filter((m) => m !== '');
  const unknown = members.filter((m) => !values.includes(m));
  if (unknown.length > 0 || members.length === 0) failSetting(s, `unknown ${noun} ${unknown.join(', ') || '(empty)'}; choose from ${values.join(', ')} (or none)`);
  return [...new Set(members)];
}

function parseHostPortSetting(s: RawSetting): HostPortValue {
  try {
    return parseHostPort(s.value);
  } catch (err) {
    if (!(err instanceof HostPortError) || err.message !== 'not HOST:PORT') failSetting(s, (err as Error).message);
    failSetting(s, 'not HOST:PORT; write e.g. 127.0.0.1:12345, [::1]:12345 or 0.0.0.0:0 (port 0 picks a free one)');
  }
}

function parseCidrsSetting(s: RawSetting): Cidr[] {
  try {
    return parseCidrList(s.value);
  } catch (err) {
    if (!(err instanceof CidrError)) throw err;
    failSetting(s, err.input === s.value ? err.problem : `"${err.input}" ${err.problem}`);
  }
}

/** The value of one setting's text, checked against its kind. */
function parseSettingValue(kind: Kind, s: RawSetting): unknown {
  switch (kind.type) {
    case 'text':
    case 'path':
      return parseText(s);
    case 'bytes':
      return parseBytes(s, kind.min);
    case 'duration': {
      const ns = parseDurationNs(s.value, kind.bareSeconds ? { bareNumberUnit: 's' } : {});
      if (ns === undefined || ns <= 0n) failSetting(s, kind.hint);
      return Math.round(Number(ns) / 1e6);
    }
    case 'choice':
      if (!kind.values.includes(s.value.trim())) failSetting(s, `not one of ${kind.values.join(', ')}`);
      return s.value.trim();
    case 'set':
      return parseSet(s, kind.values, kind.noun);
    case 'hostPort':
      return parseHostPortSetting(s);
    case 'natsUrl':
      return parseNatsUrl(s);
    case 'boolean':
      if (s.value.trim() !== 'true' && s.value.trim() !== 'false') failSetting(s, 'not true or false');
      return s.value.trim() === 'true';
    case 'cidrs':
      return parseCidrsSetting(s);
    case 'switch':
    case 'repeated':
      throw new UsageError(`${s.from} takes no text value`, s.from);
  }
}

function parseRepeated(flag: string, given: readonly string[]): string[] {
  const items = given.flatMap((g) => g.split(',')).map((i) => i.trim());
  if (items.some((i) => i === '')) throw new UsageError(`--${flag} "${given.join(',')}": an empty entry; write --${flag} X or --${flag} X,Y`, `--${flag}`);
  return items;
}

export interface ParsedRole<S extends Settings> {
  readonly values: ConfigOf<S>;
  /** Where each given value came from ("--flag" or "$NAME"); unset for a default or nothing. */
  readonly from: { readonly [K in keyof S]?: string };
}

type FlagValues = Record<string, string | boolean | string[] | undefined>;

function flagValues(contract: RoleContract, args: readonly string[]): FlagValues | 'help' {
  const options: NonNullable<ParseArgsConfig['options']> = { help: { type: 'boolean', short: 'h' } };
  for (const setting of Object.values(contract.settings)) {
    if (setting.flag === undefined) continue;
    options[setting.flag] = setting.kind.type === 'switch' ? { type: 'boolean' } : { type: 'string', ...(setting.kind.type === 'repeated' ? { multiple: true } : {}) };
  }
  const values = parseFlags({ args: [...args], options, strict: true, allowPositionals: false }).values as FlagValues;
  return values['help'] ? 'help' : values;
}

/** Flags and environment → the role's settings; 'help' when --help was given (it wins over everything). */
export function parseRoleConfig<S extends Settings>(contract: RoleContract<S>, args: readonly string[], env: NodeJS.ProcessEnv): ParsedRole<S> | 'help' {
  const flags = flagValues(contract, args);
  if (flags === 'help') return 'help';
  const values: Record<string, unknown> = {};
  const from: Record<string, string> = {};
  for (const [key, setting] of Object.entries(contract.settings) as [string, Setting][]) {
    const given = setting.flag === undefined ? undefined : flags[setting.flag];
    if (setting.kind.type === 'switch') {
      if (given === true) [values[key], from[key]] = [true, `--${setting.flag}`];
      else values[key] = setting.default ?? false;
      continue;
    }
    if (setting.kind.type === 'repeated') {
      if (Array.isArray(given)) [values[key], from[key]] = [parseRepeated(setting.flag!, given), `--${setting.flag}`];
      else values[key] = setting.default;
      continue;
    }
    const raw = pickSetting(setting.flag, typeof given === 'string' ? given : undefined, setting.env, env);
    if (raw) [values[key], from[key]] = [parseSettingValue(setting.kind, raw), raw.from];
    else values[key] = setting.default;
  }
  return { values: values as ConfigOf<S>, from: from as ParsedRole<S>['from'] };
}

/** One variable of a container, as a pod spec writes it. */
export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { fieldRef: { fieldPath: string } } | { secretKeyRef: { name: string; key: string } };
}

export interface SecretKeyRef {
  readonly name: string;
  readonly key: string;
}

function formatValue(kind: Kind, value: unknown): string {
  switch (kind.type) {
    case 'bytes':
      return String(Math.floor(value as number));
    case 'duration':
      return formatDurationMs(value as number);
    case 'set':
      return (value as readonly string[]).length === 0 ? 'none' : (value as readonly string[]).join(',');
    case 'hostPort':
      return formatHostPort(value as HostPortValue);
    case 'cidrs':
      return (value as readonly Cidr[]).map(formatCidr).join(',');
    case 'switch':
    case 'repeated':
      throw new Error(`a ${kind.type} setting has no text form`);
    default:
      return String(value);
  }
}

/**
 * A container's environment for this role, in the contract's order: the downward-API variables
 * always, each value given, each Secret key given. A value for a setting without a variable is a
 * mistake in the caller (the role could not read it) and throws.
 */
export function toEnv<S extends Settings>(contract: RoleContract<S>, values: { readonly [K in keyof S]?: ConfigOf<S>[K] }, secrets: { readonly [K in keyof S]?: SecretKeyRef } = {}): EnvVar[] {
  const out: EnvVar[] = [];
  for (const [key, setting] of Object.entries(contract.settings) as [keyof S & string, Setting][]) {
    const value = values[key];
    const secret = secrets[key];
    if (setting.env === undefined) {
      if (value !== undefined || secret !== undefined) throw new Error(`${contract.role} reads ${key} from no environment variable`);
      continue;
    }
    const source = setting.source;
    if (source && 'fieldRef' in source) out.push({ name: setting.env, valueFrom: { fieldRef: { fieldPath: source.fieldRef } } });
    else if (source && 'secretKeyRef' in source) {
      if (value !== undefined) throw new Error(`${contract.role}: ${key} comes from a Secret, never as a value`);
      if (secret) out.push({ name: setting.env, valueFrom: { secretKeyRef: { name: secret.name, key: secret.key } } });
    } else if (value !== undefined) out.push({ name: setting.env, value: formatValue(setting.kind, value) });
  }
  return out;
}

function describeDefault(setting: Setting): string | undefined {
  if (setting.defaultText !== undefined) return setting.defaultText;
  const value = setting.default;
  if (value === undefined || setting.kind.type === 'switch') return undefined;
  if (setting.kind.type === 'bytes') return formatBytes(value as number);
  if (setting.kind.type === 'set') return (value as readonly string[]).length === 0 ? 'none' : (value as readonly string[]).join(',');
  return formatValue(setting.kind, value);
}

const WIDTH = 100;
const COLUMN = 27;

function wrap(text: string, indent: number, first = indent): string {
  const lines: string[] = [];
  let line = ' '.repeat(first);
  let empty = true;
  for (const word of text.split(/\s+/).filter((w) => w !== '')) {
    if (!empty && line.length + 1 + word.length > WIDTH) {
      lines.push(line);
      line = ' '.repeat(indent);
      empty = true;
    }
    line += empty ? word : ` ${word}`;
    empty = false;
  }
  lines.push(line);
  return lines.join('\n');
}

function entry(label: string, description: string): string {
  const head = `  ${label}`;
  if (head.length < COLUMN - 1) return head + wrap(description, COLUMN, COLUMN).slice(head.length);
  return `${head}\n${wrap(description, COLUMN)}`;
}

function sourceText(setting: Setting): string | undefined {
  const source = setting.source;
  if (!source) return undefined;
  if ('fieldRef' in source) return `the operator sets it from the pod's ${source.fieldRef}`;
  if ('secretKeyRef' in source) return 'the operator sets it from a Secret';
  return 'read by Node.js itself';
}

/** `loupe ROLE --help`. */
export function roleUsage(contract: RoleContract): string {
  const settings = Object.values(contract.settings);
  const flagged = settings.filter((s) => s.flag !== undefined);
  const envOnly = settings.filter((s) => s.flag === undefined && s.env !== undefined);
  const parts = [`usage: loupe ${contract.role} [flags]`, wrap(contract.summary, 0)];
  if (!contract.built) parts.push('Not built yet: `loupe ' + contract.role + '` exits 2. The operator already renders its settings:');
  const flagLines = flagged.map((s) => {
    const label = s.kind.type === 'switch' ? `--${s.flag}` : `--${s.flag} ${s.metavar}`;
    const extra = [s.env !== undefined ? `$${s.env}` : undefined, describeDefault(s) !== undefined ? `default ${describeDefault(s)}` : undefined].filter((x) => x !== undefined);
    return entry(label, extra.length ? `${s.help} (${extra.join('; ')})` : s.help);
  });
  if (flagged.length > 0) {
    parts.push(['flags (a flag wins over its variable, the variable over the default; an empty variable is unset):', ...flagLines, entry('--help, -h', 'this text')].join('\n'));
  }
  if (envOnly.length > 0) {
    const lines = envOnly.map((s) => {
      const extra = [sourceText(s), describeDefault(s) !== undefined ? `default ${describeDefault(s)}` : undefined].filter((x) => x !== undefined);
      return entry(s.source ? s.env! : `${s.env}=${s.metavar}`, extra.length ? `${s.help} (${extra.join('; ')})` : s.help);
    });
    parts.push(['environment only:', ...lines].join('\n'));
  }
  if (contract.notes) parts.push(wrap(contract.notes, 0));
  return parts.join('\n\n');
}
