// Cell-by-cell reading of batches, for printing results and for tests. Allocates per row:
// not for scan or operator hot paths, which work on the vectors directly.
import type { CellValue, ColumnVector, RowBatch } from './types.js';

export function cellAt(vector: ColumnVector, row: number): CellValue {
  switch (vector.type) {
    case 'boolean':
      return vector.values[row] === 1;
    case 'int64':
    case 'time64ns':
    case 'float64':
      return vector.values[row]!;
    case 'string':
    case 'uint128':
      return vector.dict[vector.codes[row]!]!;
  }
}

/** The batches' rows as arrays of cells, in order. */
export function readRows(batches: Iterable<RowBatch>): CellValue[][] {
  const rows: CellValue[][] = [];
  for (const batch of batches) {
    for (let r = 0; r < batch.length; r++) rows.push(batch.columns.map((vector) => cellAt(vector, r)));
  }
  return rows;
}
