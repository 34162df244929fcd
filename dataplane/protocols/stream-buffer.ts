// One direction's unparsed bytes with the timestamp of the chunk each byte came in, so a parser
// can tell when a message started and ended. Capacity is fixed: the owner must not append past
// it (it drops the pending bytes instead and tells the parser about the gap).

const INITIAL_STORAGE_BYTES = 256;

export class StreamBuffer {
  private storage = Buffer.alloc(0);
  private start = 0;
  private end = 0;
  /** Absolute stream position of storage[start]. */
  private position = 0;
  // Per appended chunk still (partly) pending: absolute stream position of its first byte and
  // its timestamp; entries before markHead are consumed (parallel arrays, compacted lazily, so an
  // append allocates nothing once the arrays have grown).
  private markPositions: number[] = [];
  private markTimes: bigint[] = [];
  private markHead = 0;
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
    if (size > this.free) {
      throw new RangeError(`append of ${size} bytes exceeds the ${this.free} free bytes`);
    }
    this.reserve(size);
    this.markPositions.push(this.position + this.length);
    this.markTimes.push(timestampNs);
    source.copy(this.storage, this.end, start, end);
    this.end += size;
    this.view = undefined;
  }

  /** The pending bytes; a view that is only valid until the next append or consume. */
  bytes(): Buffer {
    return (this.view ??= this.storage.subarray(this.start, this.end));
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
    let low = this.markHead;
    let high = this.markPositions.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (this.markPositions[mid]! <= target) low = mid;
      else high = mid - 1;
    }
    return this.markTimes[low]!;
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
    if (this.length === 0) {
      this.markPositions.length = 0;
      this.markTimes.length = 0;
      this.markHead = 0;
      return;
    }
    const positions = this.markPositions;
    while (this.markHead + 1 < positions.length && positions[this.markHead + 1]! <= position) this.markHead++;
    if (this.markHead > 64 && this.markHead * 2 > positions.length) {
      positions.splice(0, this.markHead);
      this.markTimes.splice(0, this.markHead);
      this.markHead = 0;
    }
  }
}
