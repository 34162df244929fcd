// One declaration per table: its columns in order, each with its data type, semantic type,
// description and the JavaScript value collectors put in it. The store schema, the column names
// and the row type are derived from that declaration, so they cannot disagree: a collector whose
// row misses a column, adds one or carries the wrong kind of value does not compile.
//
//   export const PING_EVENTS = defineTable({
//     name: 'ping_events', description: '...', timeColumn: 'time_',
//     columns: [column.time('time_', '...'), column.int('bytes', '...', 'bytes')],
//   });
//   export type PingEventRow = RowOf<typeof PING_EVENTS>; // { readonly time_: bigint; readonly bytes: number }
import type { ColumnSchema, DataType, SemanticType, TableSchema } from './types.js';

/** The JavaScript types a row's cells carry, by name. */
interface CellTypes {
  readonly bigint: bigint;
  readonly number: number;
  readonly string: string;
  readonly boolean: boolean;
}

/** The pairs of data type and row value the table store accepts (see cells.ts). */
type CellKinds =
  | { readonly type: 'int64' | 'time64ns'; readonly cell: 'bigint' | 'number' }
  | { readonly type: 'float64'; readonly cell: 'number' }
  | { readonly type: 'string' | 'uint128'; readonly cell: 'string' }
  | { readonly type: 'boolean'; readonly cell: 'boolean' };

export type ColumnDeclaration<Name extends string = string> = CellKinds & {
  readonly name: Name;
  readonly semantic?: SemanticType;
  readonly description: string;
};

export interface TableDeclaration<Name extends string, Columns extends readonly ColumnDeclaration[]> {
  readonly name: Name;
  readonly description: string;
  readonly columns: Columns;
  /** Start/end time bounds and age eviction use it; a time64ns column. */
  readonly timeColumn: Extract<Columns[number], { readonly type: 'time64ns' }>['name'];
}

export interface TableDefinition<Name extends string = string, Columns extends readonly ColumnDeclaration[] = readonly ColumnDeclaration[]> {
  readonly name: Name;
  /** What the table store and the PxL compiler take; the declaration without the row values. */
  readonly schema: TableSchema;
  /** Column names in schema order (row objects list their properties in this order too). */
  readonly columns: { readonly [I in keyof Columns]: Columns[I]['name'] };
  /** The declaration it was derived from. */
  readonly declaration: TableDeclaration<Name, Columns>;
}

/** The row object collectors build for a table: one readonly property per column. */
export type RowOf<Definition extends TableDefinition> = { readonly [C in Definition['declaration']['columns'][number] as C['name']]: CellTypes[C['cell']] };

export function defineTable<const Name extends string, const Columns extends readonly ColumnDeclaration[]>(
  declaration: TableDeclaration<Name, Columns>,
): TableDefinition<Name, Columns> {
  const columns = declaration.columns.map(({ name, type, semantic, description }): ColumnSchema => (semantic === undefined ? { name, type, description } : { name, type, semantic, description }));
  return {
    name: declaration.name,
    schema: { name: declaration.name, description: declaration.description, timeColumn: declaration.timeColumn, columns },
    columns: declaration.columns.map((c) => c.name) as unknown as TableDefinition<Name, Columns>['columns'],
    declaration,
  };
}

function columnBuilder<const Type extends DataType, const Cell extends keyof CellTypes>(type: Type, cell: Cell) {
  return <const N extends string>(name: N, description: string, semantic?: SemanticType) =>
    (semantic === undefined ? { name, type, cell, description } : { name, type, cell, semantic, description }) as { readonly name: N; readonly type: Type; readonly cell: Cell; readonly semantic?: SemanticType; readonly description: string };
}

/** Column declarations, named for the value a row carries. */
export const column = {
  /** time64ns, carried as a bigint (ns since the epoch). */
  time: columnBuilder('time64ns', 'bigint'),
  /** int64, carried as a number (an integer; exact below 2^53). */
  int: columnBuilder('int64', 'number'),
  /** int64, carried as a bigint (exact over the whole range). */
  bigint: columnBuilder('int64', 'bigint'),
  float: columnBuilder('float64', 'number'),
  string: columnBuilder('string', 'string'),
  /** uint128 in its canonical text form (a upid: "tgid:start ticks"). */
  uint128: columnBuilder('uint128', 'string'),
  boolean: columnBuilder('boolean', 'boolean'),
};
