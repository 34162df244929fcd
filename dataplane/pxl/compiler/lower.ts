// Sym → plan Expr for one DataFrame: column names become positions in its relation, and types
// are checked again in case a column has another type there than where it was read.
import type { Expr } from '../plan.js';
import type { SemanticType } from '../../table-store/types.js';
import { columnIndex, type Frame } from './frame.js';
import { resolveFor } from './calls.js';
import type { Sym } from './sym.js';

const withSemantic = <T extends object>(e: T, semantic: SemanticType | undefined): T => (semantic && semantic !== 'none' ? { ...e, semantic } : e);

export function lower(sym: Sym, frame: Frame): Expr {
  switch (sym.k) {
    case 'lit':
      return withSemantic({ kind: 'literal', type: sym.type, value: sym.value }, sym.tag);
    case 'col': {
      const index = columnIndex(frame, sym.name, sym.pos);
      const col = frame.relation[index];
      if (!col) throw new Error('column index out of range');
      return withSemantic({ kind: 'column', index, name: sym.name, type: col.type }, sym.tag ?? col.semantic);
    }
    case 'call': {
      const args = sym.args.map((a) => lower(a, frame));
      const same = args.every((a, i) => a.type === sym.args[i]?.type);
      const type = same ? sym.type : resolveFor(sym.fn, args.map((a) => a.type), sym.pos, sym.label).returns;
      const semantic = sym.tag ?? (same ? sym.semantic : undefined);
      return withSemantic({ kind: 'call', fn: sym.fn, args, type, at: { line: sym.pos.line, column: sym.pos.column } }, semantic);
    }
  }
}
