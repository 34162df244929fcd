// A DataFrame at compile time: the plan node that produces it and its relation.
import type { NodeId, Relation } from '../plan.js';
import type { ColumnSchema } from '../../table-store/types.js';
import { fail, type Pos } from '../parse/errors.js';
import { didYouMean } from './suggest.js';

export interface Frame {
  readonly node: NodeId;
  readonly relation: Relation;
  readonly index: ReadonlyMap<string, number>;
}

export function makeFrame(node: NodeId, relation: Relation): Frame {
  const index = new Map<string, number>();
  relation.forEach((c, i) => index.set(c.name, i));
  return { node, relation, index };
}

/** The column's position, or a compile error that lists what the DataFrame has. */
export function columnIndex(frame: Frame, name: string, at: Pos): number {
  const i = frame.index.get(name);
  if (i === undefined) {
    const names = frame.relation.map((c) => c.name);
    fail('unknown_column', `unknown column '${name}'${didYouMean(name, names)}; the DataFrame has: ${names.join(', ')}`, at);
  }
  return i;
}

export function columnOf(frame: Frame, name: string, at: Pos): ColumnSchema {
  return frame.relation[columnIndex(frame, name, at)] as ColumnSchema;
}

/** A relation column as plans carry it: name, type and (when set) semantic type. */
export function column(name: string, type: ColumnSchema['type'], semantic?: ColumnSchema['semantic']): ColumnSchema {
  return semantic && semantic !== 'none' ? { name, type, semantic } : { name, type };
}
