// tree-sitter-python's concrete tree → the PxL syntax tree. Syntax errors and every Python
// construct outside PxL stop here, each with its position.
import type { Node } from 'web-tree-sitter';
import type { BinaryOp, CompareOp, Expr, Keyword, Module, Param, Stmt, UnaryOp } from './ast.js';
import { fail, unsupported, type Pos } from './errors.js';
import { decodeEscapes, splitStringLiteral } from './strings.js';

/** Deeper nesting than this is rejected (it also bounds the compiler's recursion). */
export const MAX_NESTING = 400;

const INT64_MAX = (1n << 63n) - 1n;

const posOf = (n: Node): Pos => ({ line: n.startPosition.row + 1, column: n.startPosition.column + 1 });

/** Named, non-comment children. */
function parts(n: Node): Node[] {
  const out: Node[] = [];
  for (const c of n.namedChildren) if (c && c.type !== 'comment' && c.type !== 'line_continuation') out.push(c);
  return out;
}

function field(n: Node, name: string): Node {
  const c = n.childForFieldName(name);
  if (!c) fail('syntax', `invalid syntax: ${n.type} without ${name}`, posOf(n));
  return c;
}

const UNSUPPORTED_STATEMENTS: Readonly<Record<string, string>> = {
  for_statement: 'a for loop',
  while_statement: 'a while loop',
  with_statement: 'a with statement',
  try_statement: 'a try statement',
  raise_statement: 'a raise statement',
  assert_statement: 'an assert statement',
  global_statement: 'a global statement',
  nonlocal_statement: 'a nonlocal statement',
  delete_statement: 'a del statement',
  break_statement: 'break',
  continue_statement: 'continue',
  print_statement: 'a Python 2 print statement',
  exec_statement: 'an exec statement',
  match_statement: 'a match statement',
  type_alias_statement: 'a type alias',
  class_definition: 'a class definition',
  decorated_definition: 'a decorator',
  import_from_statement: 'a from-import',
  future_import_statement: 'a from-import',
};

const UNSUPPORTED_EXPRESSIONS: Readonly<Record<string, string>> = {
  lambda: 'a lambda',
  list_comprehension: 'a comprehension',
  dictionary_comprehension: 'a comprehension',
  set_comprehension: 'a comprehension',
  generator_expression: 'a generator expression',
  set: 'a set literal',
  named_expression: 'an assignment expression (:=)',
  await: 'await',
  yield: 'yield',
  ellipsis: "'...'",
  slice: 'a slice',
  list_splat: 'unpacking with *',
  dictionary_splat: 'unpacking with **',
  parenthesized_list_splat: 'unpacking with *',
};

/** The first syntax error in document order: an ERROR node or a token the parser had to invent. */
function firstSyntaxError(n: Node): Node | undefined {
  if (n.isError || n.isMissing) return n;
  if (!n.hasError) return undefined;
  for (const c of n.children) {
    if (!c) continue;
    const found = firstSyntaxError(c);
    if (found) return found;
  }
  return undefined;
}

const CLOSERS: Readonly<Record<string, string>> = { ')': '(', ']': '[', '}': '{' };

/** An unclosed or unmatched bracket inside an ERROR node: the usual cause, worth naming. */
function bracketProblem(n: Node): { message: string; at: Node } | undefined {
  const open: Node[] = [];
  const visit = (node: Node): { message: string; at: Node } | undefined => {
    if (node.childCount === 0) {
      if (node.type === '(' || node.type === '[' || node.type === '{') open.push(node);
      const opener = CLOSERS[node.type];
      if (opener !== undefined && !node.isMissing) {
        if (open[open.length - 1]?.type !== opener) return { message: `unmatched '${node.type}'`, at: node };
        open.pop();
      }
      return undefined;
    }
    for (const c of node.children) {
      const found = c ? visit(c) : undefined;
      if (found) return found;
    }
    return undefined;
  };
  const found = visit(n);
  if (found) return found;
  const first = open[0];
  return first ? { message: `'${first.type}' was never closed`, at: first } : undefined;
}

function syntaxError(n: Node): never {
  if (n.isMissing) fail('syntax', n.isNamed ? `invalid syntax: missing ${n.type}` : `invalid syntax: missing '${n.type}'`, posOf(n));
  const brackets = bracketProblem(n);
  if (brackets) fail('syntax', `invalid syntax: ${brackets.message}`, posOf(brackets.at));
  const token = n.child(0);
  const at = token ?? n;
  let text = at.text.split(/\r?\n/)[0] ?? '';
  if (/^[rRbBuUfF]*['"]/.test(text)) fail('syntax', 'invalid syntax: unterminated string literal', posOf(at));
  if (text.length > 30) text = `${text.slice(0, 30)}...`;
  fail('syntax', text ? `invalid syntax near '${text}'` : 'invalid syntax', posOf(at));
}

/** Python rejects `return` outside a def before running anything; so do we. */
function checkReturns(body: readonly Stmt[]): void {
  for (const s of body) {
    if (s.kind === 'return') fail('syntax', "'return' outside a function", s.pos);
    if (s.kind === 'if') {
      checkReturns(s.body);
      checkReturns(s.orelse);
    }
  }
}

export function convertModule(root: Node): Module {
  const bad = firstSyntaxError(root);
  if (bad) syntaxError(bad);
  const body = convertBlock(root, 0);
  checkReturns(body);
  return { body };
}

const keywordOf = (header: Node): string => (header.type === 'function_definition' ? 'def' : header.type.replace(/_.*/, ''));

/** tree-sitter accepts inconsistent indentation that Python rejects; check it here. */
function checkIndentation(statements: readonly Node[], header: Node | undefined): void {
  let indent: number | undefined;
  let prevRow = -1;
  let prev: Node | undefined;
  for (const s of statements) {
    const { row, column } = s.startPosition;
    if (row !== prevRow) {
      if (indent === undefined) {
        indent = column;
        const sameLine = header !== undefined && row === header.startPosition.row;
        if (header ? !sameLine && column <= header.startPosition.column : column > 0) {
          fail('syntax', header ? `invalid syntax: expected an indented block after '${keywordOf(header)}'` : 'invalid syntax: unexpected indent', posOf(s));
        }
      } else if (column > indent) {
        // Deeper than this block but shallower than the block just closed: Python's "unindent" case.
        const inner = prev?.childForFieldName('body') ?? prev?.childForFieldName('consequence');
        const innerIndent = inner?.namedChildren[0]?.startPosition.column ?? column;
        fail('syntax', column < innerIndent ? 'invalid syntax: unindent does not match any outer indentation level' : 'invalid syntax: unexpected indent', posOf(s));
      } else if (column < indent) {
        fail('syntax', 'invalid syntax: unindent does not match any outer indentation level', posOf(s));
      }
    }
    prevRow = s.endPosition.row;
    prev = s;
  }
}

/** The statements of the module (`header` undefined) or of the block of a def / if / elif / else. */
function convertBlock(block: Node, depth: number, header?: Node): Stmt[] {
  if (depth > MAX_NESTING) fail('limit', `statements nested too deeply (more than ${MAX_NESTING} levels)`, posOf(block));
  const statements = parts(block);
  if (header && statements.length === 0) fail('syntax', `invalid syntax: expected an indented block after '${keywordOf(header)}'`, posOf(header));
  checkIndentation(statements, header);
  const out: Stmt[] = [];
  for (const s of statements) out.push(...convertStatement(s, depth));
  return out;
}

function convertStatement(n: Node, depth: number): Stmt[] {
  const pos = posOf(n);
  const what = UNSUPPORTED_STATEMENTS[n.type];
  if (what) {
    unsupported(what, pos, n.type.includes('import') ? 'use `import px`' : undefined);
  }
  switch (n.type) {
    case 'import_statement':
      return convertImport(n);
    case 'expression_statement':
      return [convertExpressionStatement(n, depth)];
    case 'function_definition':
      return [convertDef(n, depth)];
    case 'return_statement': {
      const [value] = parts(n);
      return [value ? { kind: 'return', value: convertExpr(value, depth), pos } : { kind: 'return', pos }];
    }
    case 'if_statement':
      return [convertIf(n, depth)];
    case 'pass_statement':
      return [{ kind: 'pass', pos }];
    default:
      unsupported(`the statement '${n.type.replace(/_statement$/, '')}'`, pos);
  }
}

function convertImport(n: Node): Stmt[] {
  const out: Stmt[] = [];
  for (const name of n.childrenForFieldName('name')) {
    if (!name) continue;
    const dotted = name.type === 'aliased_import' ? field(name, 'name') : name;
    const alias = name.type === 'aliased_import' ? field(name, 'alias').text : dotted.text;
    if (dotted.text !== 'px') unsupported(`importing '${dotted.text}'`, posOf(dotted), 'only `import px` is available');
    out.push({ kind: 'import', module: 'px', alias, pos: posOf(n) });
  }
  return out;
}

function convertExpressionStatement(n: Node, depth: number): Stmt {
  const pos = posOf(n);
  const items = parts(n);
  const first = items[0];
  if (!first) fail('syntax', 'invalid syntax: empty statement', pos);
  if (items.length > 1) return { kind: 'expr', value: { kind: 'tuple', items: items.map((i) => convertExpr(i, depth)), pos }, pos };
  if (first.type === 'assignment') return convertAssignment(first, depth);
  if (first.type === 'augmented_assignment') {
    const opNode = field(first, 'operator');
    const op = opNode.text.slice(0, -1) as BinaryOp;
    return { kind: 'augassign', target: convertTarget(field(first, 'left'), depth), op, value: convertExpr(field(first, 'right'), depth), pos, opPos: posOf(opNode) };
  }
  return { kind: 'expr', value: convertExpr(first, depth), pos };
}

function convertAssignment(n: Node, depth: number): Stmt {
  const pos = posOf(n);
  const targets: Expr[] = [];
  let cur: Node = n;
  for (;;) {
    targets.push(convertTarget(field(cur, 'left'), depth));
    const right = cur.childForFieldName('right');
    if (!right) unsupported('an annotation without a value', posOf(cur));
    if (right.type === 'assignment') {
      cur = right;
      continue;
    }
    if (right.type === 'augmented_assignment') unsupported('an augmented assignment inside an assignment', posOf(right));
    return { kind: 'assign', targets, value: convertExpr(right, depth), pos };
  }
}

function convertTarget(n: Node, depth: number): Expr {
  switch (n.type) {
    case 'identifier':
    case 'attribute':
    case 'subscript':
      return convertExpr(n, depth);
    case 'pattern_list':
    case 'tuple_pattern':
    case 'list_pattern':
      return { kind: 'tuple', items: parts(n).map((p) => convertTarget(p, depth + 1)), pos: posOf(n) };
    default:
      unsupported(`assigning to ${n.type.replace(/_/g, ' ')}`, posOf(n));
  }
}

function convertDef(n: Node, depth: number): Stmt {
  const pos = posOf(n);
  if (n.child(0)?.type === 'async') unsupported('an async function', pos);
  const params: Param[] = [];
  for (const p of parts(field(n, 'parameters'))) params.push(convertParam(p, depth));
  const seen = new Set<string>();
  for (const p of params) {
    if (seen.has(p.name)) fail('syntax', `duplicate argument '${p.name}' in function definition`, p.pos);
    seen.add(p.name);
  }
  let sawDefault = false;
  for (const p of params) {
    if (p.default) sawDefault = true;
    else if (sawDefault) fail('syntax', `argument '${p.name}' without a default follows an argument with one`, p.pos);
  }
  return { kind: 'def', name: field(n, 'name').text, params, body: convertBlock(field(n, 'body'), depth + 1, n), pos };
}

function convertParam(p: Node, depth: number): Param {
  const pos = posOf(p);
  switch (p.type) {
    case 'identifier':
      return { name: p.text, pos };
    case 'typed_parameter': {
      const name = parts(p)[0];
      if (!name || name.type !== 'identifier') unsupported('unpacking in a parameter list', pos);
      return { name: name.text, annotation: convertExpr(field(p, 'type'), depth), pos };
    }
    case 'default_parameter':
      return { name: field(p, 'name').text, default: convertExpr(field(p, 'value'), depth), pos };
    case 'typed_default_parameter':
      return { name: field(p, 'name').text, annotation: convertExpr(field(p, 'type'), depth), default: convertExpr(field(p, 'value'), depth), pos };
    case 'list_splat_pattern':
      return unsupported('*args', pos);
    case 'dictionary_splat_pattern':
      return unsupported('**kwargs', pos);
    default:
      return unsupported(`a '${p.text}' parameter marker`, pos);
  }
}

function convertIf(n: Node, depth: number): Stmt {
  const body = convertBlock(field(n, 'consequence'), depth + 1, n);
  const alternatives = n.childrenForFieldName('alternative').filter((a): a is Node => a !== null);
  let orelse: Stmt[] = [];
  for (let i = alternatives.length - 1; i >= 0; i--) {
    const alt = alternatives[i] as Node;
    if (alt.type === 'else_clause') orelse = convertBlock(field(alt, 'body'), depth + 1, alt);
    else orelse = [{ kind: 'if', test: convertExpr(field(alt, 'condition'), depth), body: convertBlock(field(alt, 'consequence'), depth + 1, alt), orelse, pos: posOf(alt) }];
  }
  return { kind: 'if', test: convertExpr(field(n, 'condition'), depth), body, orelse, pos: posOf(n) };
}

function convertString(n: Node): string {
  const { prefix, body } = splitStringLiteral(n.text);
  if (prefix.includes('f') || n.children.some((c) => c?.type === 'interpolation')) unsupported('an f-string', posOf(n), "build the text with '+'");
  if (prefix.includes('b')) unsupported('a bytes literal', posOf(n));
  return prefix.includes('r') ? body : decodeEscapes(body);
}

function convertExpr(n: Node, depth: number): Expr {
  if (depth > MAX_NESTING) fail('limit', `expression nested too deeply (more than ${MAX_NESTING} levels)`, posOf(n));
  const d = depth + 1;
  const pos = posOf(n);
  const what = UNSUPPORTED_EXPRESSIONS[n.type];
  if (what) unsupported(what, pos);
  switch (n.type) {
    case 'identifier':
      return { kind: 'name', id: n.text, pos };
    case 'integer': {
      const text = n.text.replace(/_/g, '');
      if (/[jJ]$/.test(text)) unsupported('a complex number', pos);
      if (/^0+[1-9]/.test(text)) fail('syntax', `invalid integer literal '${n.text}' (write octal as 0o...)`, pos);
      // tree-sitter-python still reads Python 2's long literals (10L), which BigInt rejects.
      if (/[lL]$/.test(text)) unsupported(`a Python 2 long literal ('${n.text}')`, pos, `write ${n.text.slice(0, -1)}`);
      let value: bigint;
      try {
        value = BigInt(text);
      } catch {
        fail('syntax', `invalid integer literal '${n.text}'`, pos);
      }
      if (value > INT64_MAX) fail('value', `integer literal ${n.text} does not fit in int64`, pos);
      return { kind: 'int', value, pos };
    }
    case 'float': {
      const text = n.text.replace(/_/g, '');
      if (/[jJ]$/.test(text)) unsupported('a complex number', pos);
      return { kind: 'float', value: Number(text), pos };
    }
    case 'string':
      return { kind: 'str', value: convertString(n), pos };
    case 'concatenated_string':
      return { kind: 'str', value: parts(n).map(convertString).join(''), pos };
    case 'true':
    case 'false':
      return { kind: 'bool', value: n.type === 'true', pos };
    case 'none':
      return { kind: 'none', pos };
    case 'type':
    case 'parenthesized_expression': {
      const [inner] = parts(n);
      if (!inner) return { kind: 'tuple', items: [], pos };
      return convertExpr(inner, d);
    }
    case 'attribute': {
      const name = field(n, 'attribute');
      return { kind: 'attribute', object: convertExpr(field(n, 'object'), d), name: name.text, pos, namePos: posOf(name) };
    }
    case 'subscript': {
      const subs = n.childrenForFieldName('subscript').filter((s): s is Node => s !== null);
      const items = subs.map((s) => convertExpr(s, d));
      const index: Expr = items.length === 1 && items[0] ? items[0] : { kind: 'tuple', items, pos: subs[0] ? posOf(subs[0]) : pos };
      return { kind: 'subscript', object: convertExpr(field(n, 'value'), d), index, pos };
    }
    case 'call':
      return convertCall(n, d);
    case 'binary_operator': {
      const op = field(n, 'operator');
      return { kind: 'binary', op: op.text as BinaryOp, left: convertExpr(field(n, 'left'), d), right: convertExpr(field(n, 'right'), d), pos, opPos: posOf(op) };
    }
    case 'unary_operator':
      return { kind: 'unary', op: field(n, 'operator').text as UnaryOp, operand: convertExpr(field(n, 'argument'), d), pos };
    case 'not_operator':
      return { kind: 'unary', op: 'not', operand: convertExpr(field(n, 'argument'), d), pos };
    case 'boolean_operator': {
      const op = field(n, 'operator');
      return { kind: 'boolean', op: op.text === 'and' ? 'and' : 'or', left: convertExpr(field(n, 'left'), d), right: convertExpr(field(n, 'right'), d), pos, opPos: posOf(op) };
    }
    case 'comparison_operator':
      return convertComparison(n, d);
    case 'list':
      return { kind: 'list', items: parts(n).map((i) => convertExpr(i, d)), pos };
    case 'tuple':
    case 'expression_list':
      return { kind: 'tuple', items: parts(n).map((i) => convertExpr(i, d)), pos };
    case 'dictionary':
      return {
        kind: 'dict',
        entries: parts(n).map((p) => {
          if (p.type !== 'pair') unsupported(UNSUPPORTED_EXPRESSIONS[p.type] ?? `'${p.type}' in a dict`, posOf(p));
          return { key: convertExpr(field(p, 'key'), d), value: convertExpr(field(p, 'value'), d) };
        }),
        pos,
      };
    case 'conditional_expression': {
      const [body, test, orelse] = parts(n);
      if (!body || !test || !orelse) fail('syntax', 'invalid conditional expression', pos);
      return { kind: 'conditional', test: convertExpr(test, d), body: convertExpr(body, d), orelse: convertExpr(orelse, d), pos };
    }
    default:
      return unsupported(`the expression '${n.type.replace(/_/g, ' ')}'`, pos);
  }
}

function convertCall(n: Node, depth: number): Expr {
  const pos = posOf(n);
  const argList = field(n, 'arguments');
  if (argList.type !== 'argument_list') unsupported(UNSUPPORTED_EXPRESSIONS[argList.type] ?? 'this call syntax', posOf(argList));
  const args: Expr[] = [];
  const keywords: Keyword[] = [];
  for (const a of parts(argList)) {
    if (a.type === 'keyword_argument') {
      const name = field(a, 'name');
      if (keywords.some((k) => k.name === name.text)) fail('syntax', `keyword argument '${name.text}' repeated`, posOf(name));
      keywords.push({ name: name.text, value: convertExpr(field(a, 'value'), depth), pos: posOf(name) });
    } else {
      if (keywords.length > 0) fail('syntax', 'a positional argument follows a keyword argument', posOf(a));
      args.push(convertExpr(a, depth));
    }
  }
  return { kind: 'call', callee: convertExpr(field(n, 'function'), depth), args, keywords, pos };
}

function convertComparison(n: Node, depth: number): Expr {
  let left: Expr | undefined;
  const comparisons: { op: CompareOp; right: Expr; opPos: Pos }[] = [];
  let pending: { op: CompareOp; opPos: Pos } | undefined;
  for (let i = 0; i < n.childCount; i++) {
    const c = n.child(i);
    if (!c || c.type === 'comment') continue;
    if (n.fieldNameForChild(i) === 'operators') {
      pending = { op: c.text.replace(/\s+/g, ' ') as CompareOp, opPos: posOf(c) };
    } else if (c.isNamed) {
      const operand = convertExpr(c, depth);
      if (!left) left = operand;
      else if (pending) comparisons.push({ ...pending, right: operand });
      else fail('syntax', 'invalid comparison', posOf(c));
      pending = undefined;
    }
  }
  if (!left || pending || comparisons.length === 0) fail('syntax', 'invalid comparison', posOf(n));
  return { kind: 'compare', left, comparisons, pos: posOf(n) };
}
