// One direction's unparsed bytes with the timestamp of the chunk each byte came in, so a parser
// can tell when a message started and ended. Capacity is fixed: the owner must not append past
// it (it drops the pending bytes instead and tells the parser about the gap).
//
// Most chunks are parsed whole as soon as they arrive, so copying them in first would be wasted:
// lend() lets the parser read a chunk where it lies, and keep() copies only what it left.

const INITIAL_STORAGE_BYTES = 256;

export class StreamBuffer {
  private owned: Buffer = Buffer.alloc(0);
  /** Where the pending bytes are: `owned`, or a lent chunk's source. */
  private data: Buffer = this.owned;
  private start = 0;
  private end = 0;
  /** Absolute stream position of data[start]. */
  private position = 0;
  // Per appended chunk still (partly) pending: absolute stream position of its first byte and
  // its timestamp; entries [markHead, markCount) are live (parallel arrays, compacted lazily and
  // never shrunk, so an append allocates nothing once the arrays have grown).
  private readonly markPositions: number[] = [];
  private readonly markTimes: bigint[] = [];
  private markHead = 0;
  private markCount = 0;
  private view: Buffer | undefined;

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
    this.appendFrom(data, 0, data.length, timestampNs);
  }

  /** Appends source[start, end) without making a view of it first. */
  appendFrom(source: Buffer, start: number, end: number, timestampNs: bigint): void {
    const size = end - start;
    if (size <= 0) return;
    this.checkFree(size);
    this.keep();
    this.reserve(size);
    this.addMark(this.position + this.length, timestampNs);
    source.copy(this.owned, this.end, start, end);
    this.end += size;
    this.view = undefined;
  }

  /**
   * Like appendFrom, but when nothing is pending the bytes are not copied: they are read in
   * `source` until keep(), which the caller must call before `source` changes.
   */
  lend(source: Buffer, start: number, end: number, timestampNs: bigint): void {
    const size = end - start;
    if (size <= 0) return;
    if (this.length > 0) {
      this.appendFrom(source, start, end, timestampNs);
      return;
    }
    this.checkFree(size);
    this.addMark(this.position, timestampNs);
    this.data = source;
    this.start = start;
    this.end = end;
    this.view = undefined;
  }

  /** Copies pending bytes that are still in a lent source into the buffer's own storage. */
  keep(): void {
    if (this.data === this.owned) return;
    const lent = this.data;
    const { start, end } = this;
    this.data = this.owned;
    this.start = 0;
    this.end = 0;
    this.view = undefined;
    if (end === start) return;
    this.reserve(end - start);
    lent.copy(this.owned, 0, start, end);
    this.end = end - start;
  }

  /**
   * The pending bytes in place, storage[storageStart, storageEnd), for parsers that index them
   * directly rather than through a view; valid as long as bytes() would be.
   */
  get storage(): Buffer {
    return this.data;
  }

  get storageStart(): number {
    return this.start;
  }

  get storageEnd(): number {
    return this.end;
  }

  /** The pending bytes; a view that is only valid until the next append or consume. */
  bytes(): Buffer {
    return (this.view ??= this.data.subarray(this.start, this.end));
  }

  consume(count: number): void {
    if (!Number.isInteger(count) || count < 0 || count > this.length) {
      throw new RangeError(`cannot consume ${count} of ${this.length} bytes`);
    }
    if (count === 0) return;
    this.start += count;
    this.position += count;
    this.view = undefined;
    if (this.start === this.end) {
      this.data = this.owned;
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
    // Mostly the pending bytes came in one chunk.
    if (this.markCount - this.markHead === 1) return this.markTimes[this.markHead]!;
    const target = this.position + offset;
    let low = this.markHead;
    let high = this.markCount - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (this.markPositions[mid]! <= target) low = mid;
      else high = mid - 1;
    }
    return this.markTimes[low]!;
  }

  private checkFree(size: number): void {
    if (size > this.free) throw new RangeError(`append of ${size} bytes exceeds the ${this.free} free bytes`);
  }

  private addMark(position: number, timestampNs: bigint): void {
    this.markPositions[this.markCount] = position;
    this.markTimes[this.markCount] = timestampNs;
    this.markCount++;
  }

  /** Room for `extra` more bytes after the pending ones in `owned` (the bytes must be there). */
  private reserve(extra: number): void {
    if (this.end + extra <= this.owned.length) return;
    const needed = this.length + extra;
    if (needed <= this.owned.length) {
      this.owned.copyWithin(0, this.start, this.end);
    } else {
      let size = Math.max(this.owned.length, INITIAL_STORAGE_BYTES);
      while (size < needed) size *= 2;
      const grown = Buffer.allocUnsafe(Math.min(size, this.capacity));
      this.owned.copy(grown, 0, this.start, this.end);
      this.owned = grown;
      this.data = grown;
    }
    this.end = this.length;
    this.start = 0;
  }

  private dropMarksBefore(position: number): void {
    if (this.length === 0) {
      this.markHead = 0;
      this.markCount = 0;
      return;
    }
    const positions = this.markPositions;
    while (this.markHead + 1 < this.markCount && positions[this.markHead + 1]! <= position) this.markHead++;
    if (this.markHead > 64 && this.markHead * 2 > this.markCount) {
      const live = this.markCount - this.markHead;
      for (let i = 0; i < live; i++) {
        positions[i] = positions[this.markHead + i]!;
        this.markTimes[i] = this.markTimes[this.markHead + i]!;
      }
      this.markHead = 0;
      this.markCount = live;
    }
  }
}
