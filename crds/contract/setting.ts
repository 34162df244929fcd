// The shape of one role setting: what it is (its kind and bounds), where it comes from (a flag,
// an environment variable, the downward API or a Secret), its default and its help text. The
// declarations are data: role-config.ts parses flags and environment with them (for the
// roles), renders environment from them (for the controllers) and writes `loupe ROLE --help`.
import type { Cidr } from '../../lib/cidr.js';

/** What a setting's text must look like, with its bounds. */
export type Kind =
  /** Text without surrounding blanks, not empty. */
  | { readonly type: 'text' }
  /** A file or directory path, not empty. */
  | { readonly type: 'path' }
  /** A byte quantity ("512Mi", "1Gi", "1073741824") of at least `min` bytes. */
  | { readonly type: 'bytes'; readonly min: number }
  /** A positive duration (lib/duration.ts); `bareSeconds`: a bare number counts as seconds. */
  | { readonly type: 'duration'; readonly bareSeconds: boolean; readonly hint: string }
  /** One of `values`, spelled exactly. */
  | { readonly type: 'choice'; readonly values: readonly string[] }
  /** Comma-separated members of `values` (each `noun` in messages); "none" is the empty set. */
  | { readonly type: 'set'; readonly values: readonly string[]; readonly noun: string }
  /** HOST:PORT (lib/host-port.ts). */
  | { readonly type: 'hostPort' }
  /** nats://HOST:PORT or tls://HOST:PORT; a bare HOST:PORT means nats://. */
  | { readonly type: 'natsUrl' }
  /** true or false. */
  | { readonly type: 'boolean' }
  /** A flag without a value: present or not. */
  | { readonly type: 'switch' }
  /** A repeatable flag whose values are comma-separated lists: --pid 1,2 --pid 3. */
  | { readonly type: 'repeated' }
  /** Comma-separated CIDR blocks, IPv4 or IPv6 (lib/cidr.ts). */
  | { readonly type: 'cidrs' };

export interface HostPortValue {
  readonly host: string;
  readonly port: number;
}

/** How the operator fills a variable that does not carry a value from the spec. */
export type Source =
  /** The downward API: the pod's own name, namespace, IP or node. */
  | { readonly fieldRef: string }
  /** A key of a Secret the spec names (the value never appears in the pod spec). */
  | { readonly secretKeyRef: true }
  /** Read by the Node.js runtime itself, not by Loupe's code (NODE_OPTIONS). */
  | { readonly runtime: 'node' };

export interface Setting<T = unknown> {
  readonly kind: Kind;
  /** Shown after the flag in --help: URL, HOST:PORT, Q, D, LIST... */
  readonly metavar: string;
  readonly env?: string;
  /** Without the leading "--". */
  readonly flag?: string;
  readonly default?: T;
  /** --help's words for a default that depends on where the role runs. */
  readonly defaultText?: string;
  readonly help: string;
  readonly source?: Source;
  /** Type-level only: the parsed value's type. */
  readonly _value?: T;
}

export type Settings = Readonly<Record<string, Setting>>;

/** What one role reads: its settings in --help order, and the words around them. */
export interface RoleContract<S extends Settings = Settings> {
  readonly role: string;
  /** False for a role the operator already renders but that is not built yet. */
  readonly built: boolean;
  /** --help's paragraph after the usage line. */
  readonly summary: string;
  /** --help's closing paragraph. */
  readonly notes?: string;
  readonly settings: S;
}

export const defineRole = <const S extends Settings>(c: RoleContract<S>): RoleContract<S> => c;

type Value<X> = X extends Setting<infer T> ? T : never;

/** A role's parsed configuration: a value for every setting with a default, maybe undefined otherwise. */
export type ConfigOf<S extends Settings> = {
  readonly [K in keyof S]: S[K] extends { readonly default: infer T } ? T : Value<S[K]> | undefined;
};

interface Decl<T> {
  readonly env?: string;
  readonly flag?: string;
  readonly default?: T;
  readonly defaultText?: string;
  readonly help: string;
  readonly metavar?: string;
  readonly source?: Source;
}

type Declared<T, D> = Setting<T> & (D extends { readonly default: T } ? { readonly default: T } : unknown);

const kindOf =
  <T>(kind: Kind, metavar: string) =>
  <const D extends Decl<T>>(d: D): Declared<T, D> =>
    ({ kind, metavar, ...d }) as Declared<T, D>;

export const text = kindOf<string>({ type: 'text' }, 'TEXT');
export const path = kindOf<string>({ type: 'path' }, 'PATH');
export const hostPort = kindOf<HostPortValue>({ type: 'hostPort' }, 'HOST:PORT');
export const natsUrl = kindOf<string>({ type: 'natsUrl' }, 'URL');
export const boolean = kindOf<boolean>({ type: 'boolean' }, 'true|false');
export const flagSwitch = kindOf<boolean>({ type: 'switch' }, '');
export const repeated = kindOf<readonly string[]>({ type: 'repeated' }, 'LIST');
export const cidrs = kindOf<readonly Cidr[]>({ type: 'cidrs' }, 'CIDRS');
export const bytes = (min: number) => kindOf<number>({ type: 'bytes', min }, 'Q');
/** Milliseconds. */
export const duration = (opts: { readonly bareSeconds: boolean; readonly hint: string }) => kindOf<number>({ type: 'duration', ...opts }, 'D');
export const choice = <const V extends readonly string[]>(values: V) => kindOf<V[number]>({ type: 'choice', values }, values.join('|'));
export const set = <const V extends readonly string[]>(values: V, noun: string) => kindOf<readonly V[number][]>({ type: 'set', values, noun }, 'LIST');
