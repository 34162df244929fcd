// The batch a table appends into: one column builder per schema column, the row count, and the
// range of the time column. Sealing it gives an immutable stored batch; a snapshot gives the
// rows so far without sealing.
import { createColumnBuilder, widthOf, type ColumnBuilder } from './column-builder.js';
import type { CellValue, DataType, RowBatch } from './types.js';

/** A batch as a table keeps it: the rows, their time range (for skipping) and its accounted size. */
export interface StoredBatch {
  readonly batch: RowBatch;
  /** Smallest and largest value of the time column. */
  readonly minTime: bigint;
  readonly maxTime: bigint;
  readonly bytes: number;
}

/** Accounted bytes of a batch beyond its column storage: the batch, vector and typed-array objects. */
export function batchOverheadBytes(columnCount: number): number {
  return 128 + 160 * columnCount;
}

/** Bytes of typed-array storage per row of a table with these column types. */
export function rowWidthOf(types: readonly DataType[]): number {
  let width = 0;
  for (const type of types) width += widthOf(type);
  return width;
}

export class BatchBuilder {
  private readonly builders: ColumnBuilder[];
  private readonly rowWidth: number;
  private readonly overhead: number;
  private rows = 0;
  private size: number;
  private stringBytes = 0;
  private minT = 0n;
  private maxT = 0n;
  /** State before the last push, for pop(). */
  private prevMin = 0n;
  private prevMax = 0n;
  private lastStringBytes = 0;

  constructor(
    types: readonly DataType[],
    private readonly timeIndex: number,
    capacity: number,
  ) {
    this.builders = types.map((type) => createColumnBuilder(type, capacity));
    this.rowWidth = rowWidthOf(types);
    this.overhead = batchOverheadBytes(types.length);
    this.size = capacity;
  }

  get length(): number {
    return this.rows;
  }

  get capacity(): number {
    return this.size;
  }

  get minTime(): bigint {
    return this.minT;
  }

  get maxTime(): bigint {
    return this.maxT;
  }

  /** Accounted bytes of the dictionary strings so far. */
  get dictBytes(): number {
    return this.stringBytes;
  }

  /** Accounted bytes now: the allocated column storage (not only the rows used), strings, overhead. */
  get bytes(): number {
    return this.size * this.rowWidth + this.stringBytes + this.overhead;
  }


  grow(capacity: number): void {
    for (const builder of this.builders) builder.grow(capacity, this.rows);
    this.size = capacity;
  }

  /** Appends a checked row; there must be room (length < capacity). */
  push(values: readonly CellValue[]): void {
    const index = this.rows;
    let added = 0;
    for (let c = 0; c < this.builders.length; c++) added += this.builders[c]!.set(index, values[c]!);
    const raw = values[this.timeIndex]!;
    const time = typeof raw === 'bigint' ? raw : BigInt(raw as number);
    this.prevMin = this.minT;
    this.prevMax = this.maxT;
    if (index === 0 || time < this.minT) this.minT = time;
    if (index === 0 || time > this.maxT) this.maxT = time;
    this.lastStringBytes = added;
    this.stringBytes += added;
    this.rows = index + 1;
  }

  /** Takes back the row of the last push(). */
  pop(): void {
    this.rows--;
    for (const builder of this.builders) builder.unset(this.rows);
    this.stringBytes -= this.lastStringBytes;
    this.lastStringBytes = 0;
    this.minT = this.prevMin;
    this.maxT = this.prevMax;
  }

  /** The rows so far as an immutable batch sharing this builder's storage. */
  snapshot(): StoredBatch {
    const length = this.rows;
    const columns = this.builders.map((builder) => builder.view(length));
    return { batch: { length, columns }, minTime: this.minT, maxTime: this.maxT, bytes: this.bytes };
  }

  /** The rows in storage trimmed to size; the builder must not be used afterwards. */
  seal(): StoredBatch {
    const length = this.rows;
    const columns = this.builders.map((builder) => builder.seal(length));
    return {
      batch: { length, columns },
      minTime: this.minT,
      maxTime: this.maxT,
      bytes: length * this.rowWidth + this.stringBytes + this.overhead,
    };
  }
}
