// PxL parsing: script text → the PxL syntax tree (parse once the grammar is loaded).
import type { Module } from './ast.js';
import { convertModule } from './convert.js';
import { fail } from './errors.js';
import { initTreeSitter, treeSitterReady, withSyntaxTree } from './tree-sitter.js';

export type { BinaryOp, CompareOp, DefStmt, Expr, Keyword, Module, Param, Stmt, UnaryOp } from './ast.js';
export { PxlCompileError, type PxlErrorCode, type Pos } from './errors.js';

/** Scripts longer than this are rejected before parsing. */
export const MAX_SCRIPT_CHARS = 1 << 20;

/** Loads the Python grammar (WASM). Call once before parsePxl; later calls are free. */
export function initPxlParser(): Promise<void> {
  return initTreeSitter();
}

export function pxlParserReady(): boolean {
  return treeSitterReady();
}

/** Parses a script. Throws PxlCompileError (without the source attached) on any problem. */
export function parsePxl(source: string): Module {
  if (source.length > MAX_SCRIPT_CHARS) fail('limit', `the script is ${source.length} characters long; the limit is ${MAX_SCRIPT_CHARS}`, { line: 1, column: 1 });
  // A byte-order mark is invisible in editors: drop it so line 1 columns match theirs.
  return withSyntaxTree(source.startsWith('\uFEFF') ? source.slice(1) : source, convertModule);
}
