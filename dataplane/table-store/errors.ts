// The one error class of the table store: a code, the table and column at fault, and a hint.

export type TableStoreErrorCode =
  /** A row whose values do not match the table's schema; nothing of it was stored. */
  | 'BAD_ROW'
  /** A schema that cannot make a table (duplicate column, missing time column, ...). */
  | 'BAD_SCHEMA'
  /** createTable() for a name that exists with a different schema. */
  | 'TABLE_EXISTS'
  | 'UNKNOWN_TABLE'
  /** A scan request with column positions outside the schema. */
  | 'BAD_SCAN'
  /** Store or table options out of range. */
  | 'BAD_OPTIONS';

export class TableStoreError extends Error {
  override readonly name = 'TableStoreError';

  constructor(
    readonly code: TableStoreErrorCode,
    readonly table: string,
    readonly column: string | undefined,
    problem: string,
    readonly hint: string,
  ) {
    super(`table ${table}${column === undefined ? '' : `, column ${column}`}: ${problem}; ${hint}`);
  }
}

/** A short, printable form of an offending value for error messages. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing (the value is missing)';
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return `string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value)}`;
    case 'bigint':
      return `bigint ${value}`;
    case 'number':
      return `number ${value}`;
    case 'boolean':
      return `boolean ${value}`;
    default:
      return typeof value;
  }
}
