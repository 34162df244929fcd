// The PxL syntax tree: only the Python constructs PxL allows. Everything else is rejected while
// the tree-sitter tree is converted, so the compiler never sees it.
import type { Pos } from './errors.js';

export type BinaryOp = '+' | '-' | '*' | '/' | '//' | '%' | '**' | '&' | '|' | '^' | '<<' | '>>' | '@';
export type CompareOp = '==' | '!=' | '<' | '<=' | '>' | '>=' | 'in' | 'not in' | 'is' | 'is not';
export type UnaryOp = '-' | '+' | '~' | 'not';

export interface Keyword {
  readonly name: string;
  readonly value: Expr;
  readonly pos: Pos;
}

export type Expr =
  | { readonly kind: 'name'; readonly id: string; readonly pos: Pos }
  | { readonly kind: 'int'; readonly value: bigint; readonly pos: Pos }
  | { readonly kind: 'float'; readonly value: number; readonly pos: Pos }
  | { readonly kind: 'str'; readonly value: string; readonly pos: Pos }
  | { readonly kind: 'bool'; readonly value: boolean; readonly pos: Pos }
  | { readonly kind: 'none'; readonly pos: Pos }
  | { readonly kind: 'attribute'; readonly object: Expr; readonly name: string; readonly pos: Pos; readonly namePos: Pos }
  | { readonly kind: 'subscript'; readonly object: Expr; readonly index: Expr; readonly pos: Pos }
  | { readonly kind: 'call'; readonly callee: Expr; readonly args: readonly Expr[]; readonly keywords: readonly Keyword[]; readonly pos: Pos }
  | { readonly kind: 'binary'; readonly op: BinaryOp; readonly left: Expr; readonly right: Expr; readonly pos: Pos; readonly opPos: Pos }
  | { readonly kind: 'unary'; readonly op: UnaryOp; readonly operand: Expr; readonly pos: Pos }
  | { readonly kind: 'boolean'; readonly op: 'and' | 'or'; readonly left: Expr; readonly right: Expr; readonly pos: Pos; readonly opPos: Pos }
  | {
      readonly kind: 'compare';
      readonly left: Expr;
      readonly comparisons: readonly { readonly op: CompareOp; readonly right: Expr; readonly opPos: Pos }[];
      readonly pos: Pos;
    }
  | { readonly kind: 'list'; readonly items: readonly Expr[]; readonly pos: Pos }
  | { readonly kind: 'tuple'; readonly items: readonly Expr[]; readonly pos: Pos }
  | { readonly kind: 'dict'; readonly entries: readonly { readonly key: Expr; readonly value: Expr }[]; readonly pos: Pos }
  | { readonly kind: 'conditional'; readonly test: Expr; readonly body: Expr; readonly orelse: Expr; readonly pos: Pos };

export interface Param {
  readonly name: string;
  readonly annotation?: Expr;
  readonly default?: Expr;
  readonly pos: Pos;
}

export interface DefStmt {
  readonly kind: 'def';
  readonly name: string;
  readonly params: readonly Param[];
  readonly body: readonly Stmt[];
  readonly pos: Pos;
}

export type Stmt =
  | { readonly kind: 'import'; readonly module: string; readonly alias: string; readonly pos: Pos }
  | { readonly kind: 'expr'; readonly value: Expr; readonly pos: Pos }
  | { readonly kind: 'assign'; readonly targets: readonly Expr[]; readonly value: Expr; readonly pos: Pos }
  | { readonly kind: 'augassign'; readonly target: Expr; readonly op: BinaryOp; readonly value: Expr; readonly pos: Pos; readonly opPos: Pos }
  | DefStmt
  | { readonly kind: 'return'; readonly value?: Expr; readonly pos: Pos }
  | { readonly kind: 'if'; readonly test: Expr; readonly body: readonly Stmt[]; readonly orelse: readonly Stmt[]; readonly pos: Pos }
  | { readonly kind: 'pass'; readonly pos: Pos };

export interface Module {
  readonly body: readonly Stmt[];
}
