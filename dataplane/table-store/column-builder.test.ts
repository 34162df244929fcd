import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createColumnBuilder, dictEntryBytes, DICT_ENTRY_OVERHEAD_BYTES } from './column-builder.js';
import { cellAt } from './rows.js';
import type { CellValue, ColumnVector, DataType } from './types.js';

function fill(type: DataType, values: readonly CellValue[], capacity = 2): { sealed: ColumnVector; view: ColumnVector; added: number } {
  const builder = createColumnBuilder(type, capacity);
  let size = capacity;
  let added = 0;
  values.forEach((value, i) => {
    if (i === size) builder.grow((size *= 2), i);
    added += builder.set(i, value);
  });
  return { view: builder.view(values.length), sealed: builder.seal(values.length), added };
}

const cells = (vector: ColumnVector, length: number) => Array.from({ length }, (_, i) => cellAt(vector, i));

describe('column builders', () => {
  it('round-trips strings through a per-batch dictionary holding each distinct value once, in first-seen order', () => {
    const values = ['/a', '', 'é€😀', '/a', 'GET', '', '/a', 'é€😀'];
    const { sealed, added } = fill('string', values);
    assert.equal(sealed.type, 'string');
    if (sealed.type !== 'string') return;
    assert.deepEqual(sealed.dict, ['/a', '', 'é€😀', 'GET']);
    assert.deepEqual([...sealed.codes], [0, 1, 2, 0, 3, 1, 0, 2]);
    assert.deepEqual(cells(sealed, values.length), values);
    // UTF-8 bytes of the distinct strings plus the per-entry overhead.
    assert.equal(added, 2 + 0 + 9 + 3 + 4 * DICT_ENTRY_OVERHEAD_BYTES);
    assert.equal(dictEntryBytes('é'), 2 + DICT_ENTRY_OVERHEAD_BYTES);
  });

  it('keeps uint128 values as canonical text', () => {
    const { sealed } = fill('uint128', ['1234:99', '1:1', '1234:99']);
    assert.deepEqual(cells(sealed, 3), ['1234:99', '1:1', '1234:99']);
  });

  it('stores numbers and bigints exactly in int64 columns, negative and beyond 2^32 included', () => {
    const values: CellValue[] = [0, -1, 1, 2 ** 32, 2 ** 32 - 1, -(2 ** 32), -(2 ** 32) - 1, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 2 ** 60, -(2 ** 63), 2n ** 63n - 1n, -(2n ** 63n), 123456789012345678n];
    const { sealed } = fill('int64', values);
    assert.deepEqual(
      cells(sealed, values.length),
      values.map((v) => BigInt(v)),
    );
  });

  it('stores float64 and boolean columns', () => {
    assert.deepEqual(cells(fill('float64', [0.5, -1e300, Number.NaN, 3]).sealed, 4), [0.5, -1e300, Number.NaN, 3]);
    assert.deepEqual(cells(fill('boolean', [true, false, false, true, true]).sealed, 5), [true, false, false, true, true]);
  });

  it('seals into storage trimmed to the rows; a view shares the builder storage', () => {
    const { sealed, view } = fill('time64ns', [1n, 2n, 3n], 8);
    assert.ok(sealed.type === 'time64ns' && view.type === 'time64ns');
    assert.equal(sealed.values.length, 3);
    assert.equal(sealed.values.buffer.byteLength, 3 * 8);
    assert.equal(view.values.length, 3);
    assert.equal(view.values.buffer.byteLength, 8 * 8);
  });

  it('takes back a dictionary entry that the undone row added, and only that one', () => {
    const builder = createColumnBuilder('string', 4);
    builder.set(0, 'a');
    builder.set(1, 'b');
    builder.unset(1);
    builder.set(1, 'a');
    builder.unset(1);
    builder.set(1, 'c');
    builder.set(2, 'b');
    const sealed = builder.seal(3);
    assert.ok(sealed.type === 'string');
    assert.deepEqual(sealed.dict, ['a', 'c', 'b']);
    assert.deepEqual(cells(sealed, 3), ['a', 'c', 'b']);
  });
});
