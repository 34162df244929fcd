// One direction's unparsed bytes with the timestamp of the chunk each byte came in, so a parser
// can tell when a message started and ended. Capacity is fixed: the owner must not append past
// it (it drops the pending bytes instead and tells the parser about the gap).

interface ChunkMark {
  /** Absolute stream position of the chunk's first byte. */
  readonly position: number;
  readonly timestampNs: bigint;
}

const INITIAL_STORAGE_BYTES = 256;

export class StreamBuffer {
  private storage = Buffer.alloc(0);
  private start = 0;
  private end = 0;
  /** Absolute stream position of storage[start]. */
  private position = 0;
  private marks: ChunkMark[] = [];

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`StreamBuffer capacity must be a positive integer, got ${capacity}`);
    }
  }

  get length(): number {
    return this.end - this.start;
  }

  get free(): number {
    return this.capacity - this.length;
  }

  /** Throws RangeError past capacity: callers slice chunks to `free`. */
  append(data: Buffer, timestampNs: bigint): void {
    if (data.length === 0) return;
    if (data.length > this.free) {
      throw new RangeError(`append of ${data.length} bytes exceeds the ${this.free} free bytes`);
    }
    this.reserve(data.length);
    this.marks.push({ position: this.position + this.length, timestampNs });
    data.copy(this.storage, this.end);
    this.end += data.length;
  }

  /** The pending bytes; a view that is only valid until the next append or consume. */
  bytes(): Buffer {
    return this.storage.subarray(this.start, this.end);
  }

  consume(count: number): void {
    if (!Number.isInteger(count) || count < 0 || count > this.length) {
      throw new RangeError(`cannot consume ${count} of ${this.length} bytes`);
    }
    this.start += count;
    this.position += count;
    if (this.start === this.end) {
      this.start = 0;
      this.end = 0;
    }
    this.dropMarksBefore(this.position);
  }

  /** Drops every pending byte; returns how many. */
  clear(): number {
    const dropped = this.length;
    this.consume(dropped);
    return dropped;
  }

  /** Timestamp of the chunk that carried the byte at `offset` (relative to the first pending byte). */
  timestampAt(offset: number): bigint {
    if (!Number.isInteger(offset) || offset < 0 || offset >= this.length) {
      throw new RangeError(`offset ${offset} outside the ${this.length} pending bytes`);
    }
    const target = this.position + offset;
    let low = 0;
    let high = this.marks.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (this.marks[mid]!.position <= target) low = mid;
      else high = mid - 1;
    }
    return this.marks[low]!.timestampNs;
  }

  private reserve(extra: number): void {
    if (this.end + extra <= this.storage.length) return;
    const needed = this.length + extra;
    if (needed <= this.storage.length) {
      this.storage.copyWithin(0, this.start, this.end);
    } else {
      let size = Math.max(this.storage.length, INITIAL_STORAGE_BYTES);
      while (size < needed) size *= 2;
      const grown = Buffer.allocUnsafe(Math.min(size, this.capacity));
      this.storage.copy(grown, 0, this.start, this.end);
      this.storage = grown;
    }
    this.end = this.length;
    this.start = 0;
  }

  private dropMarksBefore(position: number): void {
    let keepFrom = 0;
    while (keepFrom + 1 < this.marks.length && this.marks[keepFrom + 1]!.position <= position) keepFrom++;
    if (this.length === 0) this.marks = [];
    else if (keepFrom > 0) this.marks = this.marks.slice(keepFrom);
  }
}
