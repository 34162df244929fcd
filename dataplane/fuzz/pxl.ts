// Fuzz target for the PxL compiler: the query API compiles scripts from anyone who can reach it.
// Scripts come from a grammar of the PxL surface real scripts use (DataFrames over the PEM
// tables, column maps, filters, projections, groupby/agg, merge, append, df.ctx, px functions,
// semantic types, helper and entry functions, constant ifs, px.export), with a few wrong names,
// types and arities mixed in; then raw text mutations of those scripts and of the bundled ones.
// Properties: the compiler returns a plan or throws a PxlCompileError with a position inside the
// script (anything else is a crash), and a compiled plan survives the wire and the split into
// PEM and Kelvin fragments.
import fc from 'fast-check';
import { inspect } from 'node:util';
import { firstDifference, violated, type FuzzTarget } from './harness.js';
import { mutateText, textMutations, type TextMutation } from './mutate.js';
import { decodePlan, encodePlan } from '../query/plan-codec.js';
import { splitPlan } from '../query/split-plan.js';
import { bundledScripts, resolveScript } from '../scripts/library.js';
import { PEM_TABLES } from '../table-store/schemas.js';
import type { DataType, TableSchema } from '../table-store/types.js';
import { AGGREGATE_FUNCTIONS } from '../pxl/udf/signatures.js';
import { compilePxlSync, initPxl, type CompileOptions } from '../pxl/compiler/index.js';
import { PxlCompileError } from '../pxl/parse/index.js';

// ---- choices --------------------------------------------------------------------------------

/** Source text to choose from: what scripts write, and what they get wrong now and then. */
type Options = readonly [valid: readonly string[], wrong: readonly string[]];

/**
 * Reads a generated list of numbers as the decisions of the script builder. When the list runs
 * out every decision takes its first (simplest) option, so shrinking the list simplifies the script.
 */
class Choices {
  private at = 0;
  constructor(private readonly values: readonly number[]) {}

  below(n: number): number {
    if (n <= 1) return 0;
    const v = this.values[this.at++];
    return v === undefined ? 0 : v % n;
  }

  pick<T>(options: readonly T[]): T {
    return options[this.below(options.length)]!;
  }

  /** True with `percent` chance; false once the choices run out. */
  chance(percent: number): boolean {
    return this.below(100) >= 100 - percent;
  }

  /** Mostly a valid option, now and then (2 %) a wrong one. */
  option([valid, wrong]: Options): string {
    return this.chance(2) ? this.pick(wrong) : this.pick(valid);
  }
}

// ---- the script builder ---------------------------------------------------------------------

interface Column {
  readonly name: string;
  readonly type: DataType;
}

type Frames = Map<string, readonly Column[]>;

const SCALAR_TYPES: readonly DataType[] = ['int64', 'float64', 'string', 'boolean', 'time64ns'];
const DURATIONS: Options = [["'-5m'", "'-30s'", "'-1h30m'", "'-2d'", '-300000000000', "'2024-05-01T12:00:00Z'", 'px.now() - px.minutes(5)', 'None'], ["'5m'", "''", "'-9999999999h'", "'-5 minutes'"]];
const STRINGS: Options = [["''", "'/api/v1'", "'GET'", "'ns/pod'", "'alice@example.com'", '"x"', "'\\u00e9\\n'", "r'\\d+'", "'''tri'''", "'a' 'b'", "'p99'", "'\\x00'", "'[0-9]+'"], ["b'x'", "f'{x}'", "'\\N{nope}'"]];
const INTS: Options = [['0', '1', '-1', '42', '1000000000', '9223372036854775807', '0x1F', '1_000', '0o17'], ['-9223372036854775808', '10**3', '017', '99999999999999999999']];
const FLOATS: Options = [['0.5', '1e999', '-0.0', "float('nan')", '1.5e-7', '3.0', '1 / 3'], ["float('x')", '1j']];
const TIMES: Options = [['px.now()', 'px.now() - px.minutes(5)', "px.parse_time('2024-05-01T12:00:00Z')", 'px.int64_to_time(0)'], ["px.parse_time('yesterday')"]];
const CTX_KEYS: Options = [['pod', 'namespace', 'service', 'node', 'pod_name', 'container', 'pid', 'cmdline', 'pod_id', 'hostname'], ['podd', '']];
const HEAD_ARGS: Options = [['', '5', 'n=10', '0', '100000000000'], ['-1', "'x'", 'n=5, m=1']];
const JOINS: Options = [['inner', 'left', 'right', 'outer'], ['cross', 'INNER']];
const SUFFIXES: Options = [["['_x', '_y']", "('_x', '_y')"], ["['', '']", "['_x']", "'_x'"]];
const AGGREGATES = Object.keys(AGGREGATE_FUNCTIONS);
/** What an aggregate returns for an input type, as udf/signatures.ts says (undefined: no overload). */
function aggregateType(fn: string, input: DataType): DataType | undefined {
  return AGGREGATE_FUNCTIONS[fn]?.find((s) => s.arg === input)?.returns;
}

class ScriptBuilder {
  readonly lines: string[] = [];
  private readonly frames: Frames = new Map();
  private readonly scalars = new Map<string, DataType>();
  private indent = '';
  private names = 0;
  private displays = 0;
  /** Statements still allowed (bounds nested blocks). */
  private budget = 24;

  constructor(
    private readonly c: Choices,
    private readonly tables: readonly TableSchema[],
  ) {}

  private emit(line: string): void {
    this.lines.push(this.indent + line);
  }

  private fresh(prefix: string): string {
    return `${prefix}${this.names++}`;
  }

  /** Now and then a name that is not there: a typo a user makes. */
  private misspell(name: string): string {
    return this.c.chance(1) ? this.c.pick([`${name}s`, name.slice(1), name.toUpperCase(), 'nope']) : name;
  }

  private frameNames(): string[] {
    return [...this.frames.keys()];
  }

  private columnsOf(frame: string): readonly Column[] {
    return this.frames.get(frame) ?? [];
  }

  private columnOfType(frame: string, type: DataType): Column | undefined {
    const matching = this.columnsOf(frame).filter((col) => col.type === type);
    return matching.length ? this.c.pick(matching) : undefined;
  }

  // ---- expressions ----

  literal(type: DataType): string {
    switch (type) {
      case 'int64':
        return this.c.option(INTS);
      case 'float64':
        return this.c.option(FLOATS);
      case 'string':
      case 'uint128':
        return this.c.option(STRINGS);
      case 'boolean':
        return this.c.pick(['True', 'False']);
      case 'time64ns':
        return this.c.option(TIMES);
    }
  }

  expr(type: DataType, frame: string | undefined, depth: number): string {
    const column = frame ? this.columnOfType(frame, type) : undefined;
    const scalar = [...this.scalars].filter(([, t]) => t === type).map(([n]) => n);
    if (depth <= 0 || this.c.chance(30)) {
      if (column && this.c.chance(70)) return this.c.chance(20) ? `${frame}['${this.misspell(column.name)}']` : `${frame}.${this.misspell(column.name)}`;
      if (scalar.length && this.c.chance(50)) return this.c.pick(scalar);
      return this.literal(type);
    }
    const e = (t: DataType) => this.expr(t, frame, depth - 1);
    // A wrong type now and then: the compiler must say so, with a position.
    const any = (t: DataType) => e(this.c.chance(3) ? this.c.pick(SCALAR_TYPES) : t);
    const upid = frame && this.columnsOf(frame).some((col) => col.name === 'upid') ? `${frame}.upid` : "'1:2'";
    const options: (() => string)[] = (() => {
      switch (type) {
        case 'int64':
          return [
            () => `${e('int64')} ${this.c.pick(['+', '-', '*', '%', '//'])} ${e('int64')}`,
            () => `px.floor(${e('float64')})`,
            () => `px.length(${e('string')})`,
            () => `px.atoi(${e('string')})`,
            () => `px.upid_to_pid(${upid})`,
            () => `px.time_to_int64(${e('time64ns')})`,
            () => `px.select(${e('boolean')}, ${e('int64')}, ${e('int64')})`,
            () => `px.pluck_int(${e('string')}, 'k')`,
            () => `px.DurationNanos(${e('int64')})`,
            () => `px.${this.c.pick(['seconds', 'minutes', 'milliseconds'])}(${e('int64')})`,
            () => `-(${e('int64')})`,
            () => `px.abs(${any('int64')})`,
          ];
        case 'float64':
          return [
            () => `${e('int64')} / ${any(this.c.pick(['int64', 'float64']))}`,
            () => `px.${this.c.pick(['sqrt', 'log', 'log2', 'log10'])}(${e('float64')})`,
            () => `px.pluck_float(${e('string')}, 'p99')`,
            () => `px.atof(${e('string')})`,
            () => `${e('float64')} * ${e('float64')}`,
            () => `px.Percent(${e('float64')})`,
            () => `px.pow(${e('int64')}, ${e('float64')})`,
          ];
        case 'string':
        case 'uint128':
          return [
            () => `${e('string')} + ${e('string')}`,
            () => `px.upid_to_pod_name(${upid})`,
            () => (frame ? `${frame}.ctx['${this.c.option(CTX_KEYS)}']` : `px.nslookup(${e('string')})`),
            () => `px.substring(${e('string')}, ${e('int64')}, ${e('int64')})`,
            () => `px.replace(${this.c.pick(["'[0-9]+'", "'('", "'a*'", "'(?i)x'"])}, ${e('string')}, 'N')`,
            () => `px.${this.c.pick(['toupper', 'tolower', 'trim'])}(${e('string')})`,
            () => `px.pluck(${e('string')}, 'p50')`,
            () => `px.int64_to_string(${e('int64')})`,
            () => `px.split(${e('string')}, '/')`,
            () => `px.script_reference(${e('string')}, 'px/pod', {'pod': ${e('string')}})`,
            () => `px.${this.c.pick(['Pod', 'Service', 'Namespace', 'Node'])}(${e('string')})`,
            () => `str(${this.literal(this.c.pick(SCALAR_TYPES))})`,
          ];
        case 'boolean':
          return [
            () => {
              const t = this.c.pick(SCALAR_TYPES);
              return `${e(t)} ${this.c.pick(['==', '!=', '<', '<=', '>', '>='])} ${any(t)}`;
            },
            () => `px.contains(${e('string')}, ${e('string')})`,
            () => `px.regex_match(${this.c.pick(["'.*x'", "'['", "'(a|b)+$'"])}, ${e('string')})`,
            () => `${e('boolean')} ${this.c.pick(['and', 'or'])} ${e('boolean')}`,
            () => `not ${e('boolean')}`,
            () => `(${e('boolean')}) ${this.c.pick(['&', '|'])} (${e('boolean')})`,
            () => `~(${e('boolean')})`,
            () => `px.has_service_name(${e('string')}, ${e('string')})`,
            () => `${this.literal('int64')} in [1, 2, 3]`,
          ];
        case 'time64ns':
          return [
            () => `px.bin(${e('time64ns')}, px.seconds(${this.c.pick(['10', '1', '0', '-5'])}))`,
            () => `${e('time64ns')} + px.minutes(${this.c.pick(['1', '-1'])})`,
            () => `px.int64_to_time(${e('int64')})`,
            () => `px.pod_name_to_start_time(${e('string')})`,
          ];
      }
    })();
    const made = this.c.pick(options)();
    return this.c.chance(10) ? `(${made})` : made;
  }

  // ---- statements ----

  private newFrame(): void {
    const table = this.c.pick(this.tables);
    const name = this.fresh('df');
    const args = [this.c.chance(80) ? `table='${this.misspell(table.name)}'` : `'${table.name}'`];
    if (this.c.chance(70)) args.push(`start_time=${this.scalars.has('start_time') && this.c.chance(50) ? 'start_time' : this.c.option(DURATIONS)}`);
    if (this.c.chance(10)) args.push(`end_time=${this.c.option(DURATIONS)}`);
    let columns: readonly Column[] = table.columns.map((col) => ({ name: col.name, type: col.type }));
    if (this.c.chance(15)) {
      const picked = columns.filter(() => this.c.chance(40));
      if (picked.length) {
        args.push(`select=[${picked.map((col) => `'${this.misspell(col.name)}'`).join(', ')}]`);
        columns = picked;
      }
    }
    this.emit(`${name} = px.DataFrame(${args.join(', ')})`);
    this.frames.set(name, columns);
  }

  private anyFrame(): string {
    if (this.frames.size === 0) this.newFrame();
    return this.c.pick(this.frameNames());
  }

  private assignColumn(frame: string): void {
    const type = this.c.pick(SCALAR_TYPES);
    const existing = this.c.chance(25) ? this.c.pick(this.columnsOf(frame)) : undefined;
    const name = existing?.name ?? this.fresh('c');
    const value = this.expr(type, frame, 3);
    this.emit(this.c.chance(20) ? `${frame}['${name}'] = ${value}` : `${frame}.${name} = ${value}`);
    this.frames.set(frame, [...this.columnsOf(frame).filter((col) => col.name !== name), { name, type }]);
  }

  private filter(frame: string): void {
    this.emit(`${frame} = ${frame}[${this.expr('boolean', frame, 3)}]`);
  }

  private project(frame: string): void {
    const keep = this.columnsOf(frame).filter(() => this.c.chance(50));
    const list = keep.length ? keep : this.columnsOf(frame).slice(0, 1);
    if (this.c.chance(30)) {
      const drop = this.columnsOf(frame).filter((col) => !list.includes(col));
      if (drop.length) {
        this.emit(`${frame} = ${frame}.drop(${this.c.chance(50) ? 'columns=' : ''}[${drop.map((col) => `'${this.misspell(col.name)}'`).join(', ')}])`);
        this.frames.set(frame, list);
        return;
      }
    }
    this.emit(`${frame} = ${frame}[[${list.map((col) => `'${this.misspell(col.name)}'`).join(', ')}]]`);
    this.frames.set(frame, list);
  }

  private head(frame: string): void {
    this.emit(`${frame} = ${frame}.head(${this.c.option(HEAD_ARGS)})`);
  }

  private aggregate(frame: string): void {
    const columns = this.columnsOf(frame);
    const groups = this.c.chance(85) ? columns.filter(() => this.c.chance(25)).slice(0, 3) : [];
    const out: Column[] = [...groups];
    const specs: string[] = [];
    const count = 1 + this.c.below(3);
    for (let i = 0; i < count; i++) {
      const col = this.c.pick(columns);
      if (!col) break;
      const fits = AGGREGATES.filter((a) => aggregateType(a, col.type) !== undefined);
      const fn = this.c.chance(2) ? this.c.pick([...AGGREGATES, 'median']) : this.c.pick(fits.length ? fits : AGGREGATES);
      const name = this.fresh('a');
      specs.push(`${name}=('${this.misspell(col.name)}', px.${fn})`);
      out.push({ name, type: aggregateType(fn, col.type) ?? 'int64' });
    }
    const by = groups.length === 1 && this.c.chance(50) ? `'${groups[0]!.name}'` : `[${groups.map((g) => `'${g.name}'`).join(', ')}]`;
    this.emit(groups.length ? `${frame} = ${frame}.groupby(${by}).agg(${specs.join(', ')})` : `${frame} = ${frame}.agg(${specs.join(', ')})`);
    this.frames.set(frame, out);
  }

  private merge(): void {
    const left = this.anyFrame();
    const right = this.anyFrame();
    const name = this.fresh('df');
    const l = this.columnsOf(left);
    const r = this.columnsOf(right);
    const keyPairs = l.flatMap((a) => r.filter((b) => b.type === a.type).map((b) => [a, b] as const));
    const [lk, rk] = keyPairs.length ? this.c.pick(keyPairs) : [l[0], r[0]];
    const how = this.c.option(JOINS);
    const suffixes = this.c.option(SUFFIXES);
    this.emit(`${name} = ${left}.merge(${right}, how='${how}', left_on=['${lk?.name ?? 'x'}'], right_on=['${rk?.name ?? 'x'}'], suffixes=${suffixes})`);
    const rightNames = new Set(r.map((col) => col.name));
    const leftNames = new Set(l.map((col) => col.name));
    this.frames.set(name, [...l.map((col) => ({ ...col, name: rightNames.has(col.name) ? `${col.name}_x` : col.name })), ...r.map((col) => ({ ...col, name: leftNames.has(col.name) ? `${col.name}_y` : col.name }))]);
  }

  private append(): void {
    const first = this.anyFrame();
    const same = this.frameNames().filter((f) => f !== first && inspect(this.columnsOf(f)) === inspect(this.columnsOf(first)));
    const other = same.length ? this.c.pick(same) : this.c.chance(2) ? this.anyFrame() : first;
    const name = this.fresh('df');
    this.emit(`${name} = ${first}.append(${this.c.chance(30) ? `[${other}]` : other})`);
    this.frames.set(name, this.columnsOf(first));
  }

  private display(frame: string): void {
    const unnamed = this.c.chance(10);
    this.emit(unnamed ? `px.display(${frame})` : `px.display(${frame}, '${this.c.chance(3) ? 'out0' : `out${this.displays++}`}')`);
  }

  private exportFrame(frame: string): void {
    const latency = this.columnOfType(frame, 'int64')?.name;
    const text = this.columnOfType(frame, 'string')?.name;
    const time = this.columnOfType(frame, 'time64ns')?.name;
    if (!latency || !text || !time) return this.display(frame);
    const data = this.c.option([
      [
        `px.otel.metric.Gauge(name='m', value=${frame}.${latency}, attributes={'k': ${frame}.${text}})`,
        `px.otel.metric.Summary(name='s', count=${frame}.${latency}, sum=${frame}.${latency}, quantile_values={0.5: ${frame}.${latency}})`,
        `px.otel.trace.Span(name=${frame}.${text}, start_time=${frame}.${time}, end_time=${frame}.${time}, kind=px.otel.trace.SPAN_KIND_SERVER)`,
      ],
      ['px.otel.metric.Gauge(value=1)', `px.otel.trace.Span(name=${frame})`],
    ]);
    this.emit(`px.export(${frame}, px.otel.Data(resource={'service.name': ${frame}.${text}}, data=[${data}]${this.c.chance(50) ? ", endpoint=px.otel.Endpoint(url='collector:4317', insecure=True)" : ''}))`);
  }

  private scalar(): void {
    const type = this.c.pick(SCALAR_TYPES);
    const name = this.fresh('x');
    this.emit(`${name} = ${this.expr(type, undefined, 2)}`);
    this.scalars.set(name, type);
  }

  /** A value rebuilt from itself again and again (`x = x + x`, `l = [l, l]`), as accumulating code does. */
  private grow(): void {
    const name = this.fresh('g');
    const times = this.c.below(48);
    if (this.c.chance(30)) {
      this.emit(`${name} = [${this.literal(this.c.pick(SCALAR_TYPES))}]`);
      const step = this.c.pick([`${name} + ${name}`, `[${name}, ${name}]`, `(${name}, ${name})`]);
      for (let i = 0; i < times; i++) this.emit(`${name} = ${step}`);
      this.emit(this.c.pick([`x_${name} = ${name} == ${name}`, `x_${name} = 1 in ${name}`, `x_${name} = ${name}[-1]`, `x_${name} = ${name}`]));
      return;
    }
    const type = this.c.pick<DataType>(['int64', 'float64', 'string', 'boolean']);
    const frame = this.frames.size && this.c.chance(60) ? this.anyFrame() : undefined;
    this.emit(`${name} = ${this.expr(type, frame, 1)}`);
    const op = type === 'boolean' ? this.c.pick(['and', 'or', '&']) : type === 'string' ? '+' : this.c.pick(['+', '*', '-']);
    for (let i = 0; i < times; i++) this.emit(`${name} = ${name} ${op} ${name}`);
    this.scalars.set(name, type);
  }

  /**
   * A constant condition and one or two blocks (indented by 2 or 4, now and then wrongly); what
   * the branch not taken defines is forgotten again.
   */
  private conditional(): void {
    const [test, taken] = this.c.pick<readonly [string, boolean]>([['True', true], ['1 < 2', true], ["'a' in ['a']", true], ['False', false], ['None', false], ['not True', false]]);
    this.emit(`if ${this.c.chance(2) ? 'df0.latency > 1' : test}:`);
    const branch = (runs: boolean, count: number) => {
      const saved = { frames: new Map(this.frames), scalars: new Map(this.scalars), displays: this.displays };
      this.block(() => this.statements(count));
      if (runs) return;
      this.frames.clear();
      for (const [k, v] of saved.frames) this.frames.set(k, v);
      this.scalars.clear();
      for (const [k, v] of saved.scalars) this.scalars.set(k, v);
      this.displays = saved.displays;
    };
    branch(taken, 1 + this.c.below(2));
    if (this.c.chance(50)) {
      this.emit('else:');
      branch(!taken, 1);
    }
  }

  private block(body: () => void): void {
    const saved = this.indent;
    const before = this.lines.length;
    this.indent += this.c.chance(20) ? '  ' : this.c.chance(1) ? ' ' : '    ';
    body();
    if (this.lines.length === before) this.emit('pass');
    this.indent = saved;
  }

  /** A helper def applying one operation to its DataFrame argument, and a call of it. */
  private helper(frame: string): void {
    const fn = this.fresh('f');
    const saved = this.frames.get(frame)!;
    this.emit(`def ${fn}(d, n: int = 3):`);
    this.block(() => {
      this.frames.set('d', saved);
      this.frameStatement('d');
      this.emit('return d');
    });
    this.frames.set(frame, this.frames.get('d') ?? saved);
    this.frames.delete('d');
    this.emit(`${frame} = ${fn}(${frame}${this.c.chance(20) ? ', 5' : ''})`);
  }

  private frameStatement(frame: string): void {
    this.c.pick([
      () => this.assignColumn(frame),
      () => this.assignColumn(frame),
      () => this.filter(frame),
      () => this.project(frame),
      () => this.head(frame),
      () => this.aggregate(frame),
    ])();
  }

  statements(count: number): void {
    for (let i = 0; i < count && this.budget > 0; i++) {
      this.budget--;
      const kind = this.c.below(21);
      if (kind < 2 || this.frames.size === 0) this.newFrame();
      else if (kind < 10) this.frameStatement(this.anyFrame());
      else if (kind < 11) this.merge();
      else if (kind < 12) this.append();
      else if (kind < 14) this.display(this.anyFrame());
      else if (kind < 15) this.exportFrame(this.anyFrame());
      else if (kind < 17) this.scalar();
      else if (kind < 18) this.conditional();
      else if (kind < 19) this.helper(this.anyFrame());
      else if (kind < 20) this.grow();
      else this.emit(this.c.pick(['# a comment', '', 'pass', 'import px as p2']));
    }
  }

  /** The script body; in an entry function its last frame is returned. */
  build(entry: boolean): { script: string; args: Record<string, string> } {
    this.emit(this.c.chance(99) ? 'import px' : 'import pandas');
    if (!entry) {
      this.statements(1 + this.c.below(16));
      if (this.displays === 0 && this.frames.size > 0 && !this.c.chance(5)) this.display(this.c.pick(this.frameNames()));
      return { script: this.lines.join('\n') + '\n', args: {} };
    }
    // Each parameter with the argument texts a caller sends for it.
    const start: [string, Options] = ["start_time: str = '-5m'", [['-5m', '-1h', '-30s'], ['5 minutes', '']]];
    const params = this.c.pick<readonly [string, Options][]>([
      [start],
      [["start_time: str", [['-5m'], ['']]], ["pod: px.Pod = ''", [['ns/pod', ''], []]]],
      [start, ['window: int = 10', [['10', ' 7 ', '-1'], ['abc', '1.5', '-9223372036854775809']]], ['ratio: float = 0.5', [['0.25', '1e3'], ['x', '']]], ['on: bool = True', [['true', 'no', '0'], ['maybe']]]],
      [start, ['df: px.DataFrame = None', [[], ['x']]]],
    ]);
    this.emit(`def main(${params.map(([p]) => p).join(', ')}):`);
    this.scalars.set('start_time', 'string');
    this.block(() => {
      this.statements(1 + this.c.below(16));
      this.emit(`return ${this.frames.size ? this.c.pick(this.frameNames()) : 'None'}`);
    });
    const args: Record<string, string> = {};
    for (const [p, texts] of params) {
      const name = p.split(':')[0]!;
      if (texts[0].length > 0 && !this.c.chance(20)) args[name] = this.c.option(texts);
      else if (texts[1].length > 0 && this.c.chance(2)) args[name] = this.c.pick(texts[1]);
    }
    if (this.c.chance(2)) args['unknown'] = 'x';
    return { script: this.lines.join('\n') + '\n', args };
  }
}

// ---- the target ------------------------------------------------------------------------------

export type PxlInput =
  | { readonly kind: 'generated'; readonly choices: readonly number[]; readonly entry: boolean }
  | { readonly kind: 'mutated'; readonly choices: readonly number[]; readonly mutations: readonly TextMutation[] }
  | { readonly kind: 'library'; readonly script: number; readonly mutations: readonly TextMutation[] }
  | { readonly kind: 'text'; readonly text: string };

const TABLES: readonly TableSchema[] = PEM_TABLES.map((t) => t.schema);
const NOW = 1_700_000_000_000_000_000n;
const COMPILE: CompileOptions = {
  schemas: (table) => TABLES.find((t) => t.name === table),
  tableNames: TABLES.map((t) => t.name),
  now: NOW,
};

/** The bundled scripts (dataplane/scripts/px), mutated as users edit them. */
const LIBRARY = bundledScripts().map((name) => resolveScript(name));

const PXL_TOKENS = [
  '(', ')', '[', ']', '{', '}', ':', ',', '.', '=', '==', '+', '*', '**', '//', '\n', '\n    ', '    ', '\t', '\r', '\\', "'", '"', '"""', '#',
  'px.', 'df.', 'df', 'def ', 'return ', 'if ', 'else:', 'lambda', 'for x in y:', 'import os', 'None', 'True', '...', '@', 'await ', 'yield',
  "px.DataFrame(table='http_events')", 'px.display(df)', '.groupby(', '.agg(', "('latency', px.count)", ".ctx['pod']", '9' .repeat(30), '1e308', '0x',
  '\u00e9', '\ud800', '\u202e', '\uFEFF', '\0', 'f"{x}"', "b'x'", '*args', '**kw', 'print', 'global x',
];

export function scriptOf(input: PxlInput): { script: string; entry?: string; args: Record<string, string> } {
  switch (input.kind) {
    case 'generated': {
      const built = new ScriptBuilder(new Choices(input.choices), TABLES).build(input.entry);
      return input.entry ? { script: built.script, entry: 'main', args: built.args } : built;
    }
    case 'mutated':
      return { script: mutateText(new ScriptBuilder(new Choices(input.choices), TABLES).build(false).script, input.mutations), args: {} };
    case 'library': {
      const source = LIBRARY[input.script % LIBRARY.length]!;
      return { script: mutateText(source.text, input.mutations), entry: source.entry, args: {} };
    }
    case 'text':
      return { script: input.text, args: {} };
  }
}

const choices = fc.array(fc.nat({ max: 0xffff }), { maxLength: 300, size: 'max' });

export const pxlTarget: FuzzTarget<PxlInput> = {
  name: 'pxl',
  description: 'PxL: generated, mutated and arbitrary scripts compile to a plan or fail with a PxlCompileError at a position in the script; plans survive the wire and the PEM/Kelvin split',
  setup: () => initPxl(),
  arbitrary: fc.oneof(
    { weight: 5, arbitrary: fc.record({ kind: fc.constant('generated' as const), choices, entry: fc.boolean() }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('mutated' as const), choices, mutations: textMutations(PXL_TOKENS) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('library' as const), script: fc.nat(), mutations: textMutations(PXL_TOKENS) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('text' as const), text: fc.oneof(fc.string({ unit: 'binary', maxLength: 80 }), fc.string({ unit: fc.constantFrom(...PXL_TOKENS), maxLength: 30 })) }) },
  ),
  check(input) {
    const { script, entry, args } = scriptOf(input);
    let compiled;
    try {
      compiled = compilePxlSync(script, { ...COMPILE, ...(entry ? { entry } : {}), args });
    } catch (err) {
      if (!(err instanceof PxlCompileError)) throw err;
      const lines = script.split(/\r\n|\r|\n/).length;
      if (!(Number.isInteger(err.line) && err.line >= 1 && err.line <= lines && Number.isInteger(err.column) && err.column >= 1)) {
        violated(`${err.code} error at line ${err.line}, column ${err.column} of a ${lines}-line script: ${err.message}`);
      }
      err.format();
      return;
    }
    const { plan } = compiled;
    const difference = firstDifference(decodePlan(encodePlan(plan)), plan);
    if (difference) violated(`the compiled plan changes on the wire at ${difference}`);
    const { pem, kelvin } = splitPlan(plan);
    for (const fragment of [pem, kelvin]) {
      const moved = firstDifference(decodePlan(encodePlan(fragment)), fragment);
      if (moved) violated(`a plan fragment changes on the wire at ${moved}`);
    }
  },
  show(input) {
    const { script, entry, args } = scriptOf(input);
    return `${entry ? `entry ${entry}, args ${inspect(args)}\n` : ''}${script}`;
  },
};
