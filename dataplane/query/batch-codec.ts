// Row batches on the wire between PEMs, Kelvin and the broker: a compact binary layout that
// decodes into typed-array views without per-row work.
//
//   "LB1\0" | u32 rows | u32 columns | u32 protocol version | per column: u8 type, 7 pad bytes, then its data:
//     boolean             rows bytes, padded to 8
//     int64, time64ns     rows × 8 bytes (little-endian)
//     float64             rows × 8 bytes
//     string, uint128     u32 dictionary size, u32 UTF-8 byte length of the entries,
//                         u32 × size entry lengths, the UTF-8 bytes, padded to 8, then rows × u32 codes, padded to 8
// Every section starts 8-byte aligned so numeric columns decode as views into one copy.
// A dictionary goes out with only the entries the batch's rows use: a filtered or cut batch
// shares its source batch's whole dictionary (thousands of unique bodies for a few rows).
import type { ColumnVector, DataType, DictVector, RowBatch } from '../table-store/types.js';
import { describeVersion, PROTOCOL_VERSION, speaks, supportedVersions, THIS_BUILD, type Protocol } from './protocol-version.js';

const MAGIC = 0x0031424c; // "LB1\0" little-endian
const TYPE_CODES: readonly DataType[] = ['boolean', 'int64', 'uint128', 'float64', 'string', 'time64ns'];

export class BatchDecodeError extends Error {
  override readonly name = 'BatchDecodeError';
}

const pad8 = (n: number) => (n + 7) & ~7;

function columnBytes(column: ColumnVector, rows: number): number {
  switch (column.type) {
    case 'boolean':
      return 8 + pad8(rows);
    case 'int64':
    case 'time64ns':
    case 'float64':
      return 8 + rows * 8;
    default: {
      let text = 0;
      for (const entry of column.dict) text += Buffer.byteLength(entry, 'utf8');
      return 8 + 8 + pad8(4 * column.dict.length + text) + pad8(4 * rows);
    }
  }
}

/**
 * The dictionary entries the first `rows` codes use, in order of first use, with the codes
 * renumbered; the column itself when every entry is used (or a code is out of range, which
 * the decoder then reports).
 */
export function usedEntries(column: DictVector, rows: number): DictVector {
  const { dict, codes } = column;
  const remap = new Int32Array(dict.length).fill(-1);
  let used = 0;
  for (let i = 0; i < rows; i++) {
    const c = codes[i]!;
    if (c >= dict.length) return column;
    if (remap[c]! < 0) remap[c] = used++;
  }
  if (used === dict.length) return column;
  const entries = new Array<string>(used);
  for (let d = 0; d < dict.length; d++) if (remap[d]! >= 0) entries[remap[d]!] = dict[d]!;
  const renumbered = new Uint32Array(rows);
  for (let i = 0; i < rows; i++) renumbered[i] = remap[codes[i]!]!;
  return { type: column.type, codes: renumbered, dict: entries };
}

/** Encodes a batch as protocol `version` writes it (every version this build speaks writes this layout). */
export function encodeBatch(batch: RowBatch, version: number = PROTOCOL_VERSION): Buffer {
  const rows = batch.length;
  const columns = batch.columns.map((c) => (c.type === 'string' || c.type === 'uint128' ? usedEntries(c, rows) : c));
  let size = 12 + 4;
  for (const column of columns) size += columnBytes(column, rows);
  size = pad8(size);
  const out = Buffer.alloc(size);
  out.writeUInt32LE(MAGIC, 0);
  out.writeUInt32LE(rows, 4);
  out.writeUInt32LE(columns.length, 8);
  out.writeUInt32LE(version, 12);
  let at = 16;
  for (const column of columns) {
    out.writeUInt8(TYPE_CODES.indexOf(column.type), at);
    at += 8;
    switch (column.type) {
      case 'boolean':
        out.set(column.values.subarray(0, rows), at);
        at += pad8(rows);
        break;
      case 'int64':
      case 'time64ns':
      case 'float64': {
        const bytes = new Uint8Array(column.values.buffer, column.values.byteOffset, rows * 8);
        out.set(bytes, at);
        at += rows * 8;
        break;
      }
      default: {
        const { dict, codes } = column;
        out.writeUInt32LE(dict.length, at);
        const lengthsAt = at + 8;
        let textAt = lengthsAt + 4 * dict.length;
        for (let i = 0; i < dict.length; i++) {
          const written = out.write(dict[i]!, textAt, 'utf8');
          out.writeUInt32LE(written, lengthsAt + 4 * i);
          textAt += written;
        }
        out.writeUInt32LE(textAt - lengthsAt - 4 * dict.length, at + 4);
        at = lengthsAt + pad8(textAt - lengthsAt);
        out.set(new Uint8Array(codes.buffer, codes.byteOffset, rows * 4), at);
        at += pad8(rows * 4);
      }
    }
  }
  return out;
}

/**
 * Decodes one encoded batch of a protocol version `protocol` speaks; numeric columns are views
 * into a single aligned copy of `data`.
 */
export function decodeBatch(data: Uint8Array, expected?: readonly DataType[], protocol: Protocol = THIS_BUILD): RowBatch {
  // One copy into a fresh ArrayBuffer gives the 8-byte alignment typed-array views need.
  const buffer = new ArrayBuffer(data.byteLength);
  new Uint8Array(buffer).set(data);
  const view = new DataView(buffer);
  const need = (at: number, bytes: number) => {
    if (at + bytes > buffer.byteLength) throw new BatchDecodeError(`batch truncated: needs ${at + bytes} bytes, has ${buffer.byteLength}`);
  };
  need(0, 16);
  if (view.getUint32(0, true) !== MAGIC) throw new BatchDecodeError('not a row batch (bad magic number)');
  const version = view.getUint32(12, true);
  if (!speaks(protocol, version)) throw new BatchDecodeError(`row batch of ${describeVersion(version)}; this build reads ${supportedVersions(protocol)}`);
  const rows = view.getUint32(4, true);
  const count = view.getUint32(8, true);
  if (expected && expected.length !== count) throw new BatchDecodeError(`batch has ${count} columns, the relation has ${expected.length}`);
  const columns: ColumnVector[] = [];
  let at = 16;
  for (let c = 0; c < count; c++) {
    need(at, 8);
    const type = TYPE_CODES[view.getUint8(at)];
    if (!type) throw new BatchDecodeError(`column ${c}: unknown type code ${view.getUint8(at)}`);
    if (expected && expected[c] !== type) throw new BatchDecodeError(`column ${c} is ${type}, the relation says ${expected[c]}`);
    at += 8;
    switch (type) {
      case 'boolean':
        need(at, rows);
        columns.push({ type, values: new Uint8Array(buffer, at, rows) });
        at += pad8(rows);
        break;
      case 'int64':
      case 'time64ns':
        need(at, rows * 8);
        columns.push({ type, values: new BigInt64Array(buffer, at, rows) });
        at += rows * 8;
        break;
      case 'float64':
        need(at, rows * 8);
        columns.push({ type, values: new Float64Array(buffer, at, rows) });
        at += rows * 8;
        break;
      default: {
        need(at, 8);
        const size = view.getUint32(at, true);
        const textBytes = view.getUint32(at + 4, true);
        const lengthsAt = at + 8;
        need(lengthsAt, 4 * size + textBytes);
        const bytes = Buffer.from(buffer);
        const dict = new Array<string>(size);
        let textAt = lengthsAt + 4 * size;
        for (let i = 0; i < size; i++) {
          const length = view.getUint32(lengthsAt + 4 * i, true);
          dict[i] = bytes.toString('utf8', textAt, textAt + length);
          textAt += length;
        }
        at = lengthsAt + pad8(4 * size + textBytes);
        need(at, rows * 4);
        const codes = new Uint32Array(buffer, at, rows);
        for (let i = 0; i < rows; i++) {
          if (codes[i]! >= size) throw new BatchDecodeError(`column ${c}, row ${i}: dictionary code ${codes[i]} out of range (${size} entries)`);
        }
        columns.push({ type, codes, dict });
        at += pad8(rows * 4);
      }
    }
  }
  return { length: rows, columns };
}
