import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { Expr, Stmt } from './ast.js';
import { PxlCompileError, initPxlParser, parsePxl } from './index.js';
import { decodeEscapes, splitStringLiteral } from './strings.js';

function parseError(source: string): PxlCompileError {
  try {
    parsePxl(source);
  } catch (err) {
    assert.ok(err instanceof PxlCompileError, `expected PxlCompileError, got ${String(err)}`);
    return err;
  }
  assert.fail(`expected ${JSON.stringify(source)} to be rejected`);
}

function onlyExpr(source: string): Expr {
  const [stmt] = parsePxl(source).body;
  assert.equal(stmt?.kind, 'expr');
  return (stmt as Extract<Stmt, { kind: 'expr' }>).value;
}

describe('PxL parser', () => {
  before(() => initPxlParser());

  it('converts imports, assignments and calls with 1-based positions', () => {
    const m = parsePxl("import px\ndf = px.DataFrame(table='http_events', start_time='-5m')\n");
    assert.deepEqual(m.body[0], { kind: 'import', module: 'px', alias: 'px', pos: { line: 1, column: 1 } });
    const assign = m.body[1] as Extract<Stmt, { kind: 'assign' }>;
    assert.equal(assign.kind, 'assign');
    assert.deepEqual(assign.targets, [{ kind: 'name', id: 'df', pos: { line: 2, column: 1 } }]);
    const call = assign.value as Extract<Expr, { kind: 'call' }>;
    assert.equal(call.kind, 'call');
    assert.deepEqual(call.pos, { line: 2, column: 6 });
    assert.deepEqual(
      call.keywords.map((k) => [k.name, k.value.kind === 'str' ? k.value.value : undefined, k.pos.column]),
      [
        ['table', 'http_events', 19],
        ['start_time', '-5m', 40],
      ],
    );
  });

  it('keeps operator positions and builds chained comparisons', () => {
    const e = onlyExpr('a < b <= c');
    assert.equal(e.kind, 'compare');
    const c = e as Extract<Expr, { kind: 'compare' }>;
    assert.deepEqual(
      c.comparisons.map((x) => [x.op, x.opPos.column]),
      [
        ['<', 3],
        ['<=', 7],
      ],
    );
    const b = onlyExpr('x not in y') as Extract<Expr, { kind: 'compare' }>;
    assert.equal(b.comparisons[0]?.op, 'not in');
    const bin = onlyExpr('df.a + 1') as Extract<Expr, { kind: 'binary' }>;
    assert.deepEqual([bin.op, bin.opPos], ['+', { line: 1, column: 6 }]);
  });

  it('decodes literals: ints with underscores and hex, floats, strings with escapes, raw and concatenated strings', () => {
    assert.deepEqual(onlyExpr('1_000_000'), { kind: 'int', value: 1_000_000n, pos: { line: 1, column: 1 } });
    assert.equal((onlyExpr('0x1F') as { value: bigint }).value, 31n);
    assert.equal((onlyExpr('1.5e3') as { value: number }).value, 1500);
    assert.equal((onlyExpr(String.raw`'a\tb\n\x41\u00e9'`) as { value: string }).value, 'a\tb\nAé');
    assert.equal((onlyExpr(String.raw`r'a\tb'`) as { value: string }).value, String.raw`a\tb`);
    assert.equal((onlyExpr(`'ab' "cd"`) as { value: string }).value, 'abcd');
    assert.equal((onlyExpr(`'''multi\nline'''`) as { value: string }).value, 'multi\nline');
    assert.deepEqual(onlyExpr('None'), { kind: 'none', pos: { line: 1, column: 1 } });
    assert.equal((onlyExpr('True') as { value: boolean }).value, true);
  });

  it('converts defs with annotations and defaults, if/elif/else, and tuple targets', () => {
    const m = parsePxl('def f(a: str, b: px.Pod, c=3, d: int = 4):\n    """doc"""\n    if a:\n        return 1\n    elif b:\n        pass\n    else:\n        x, y = 1, 2\n');
    const def = m.body[0] as Extract<Stmt, { kind: 'def' }>;
    assert.equal(def.kind, 'def');
    assert.deepEqual(
      def.params.map((p) => [p.name, p.annotation?.kind, p.default?.kind]),
      [
        ['a', 'name', undefined],
        ['b', 'attribute', undefined],
        ['c', undefined, 'int'],
        ['d', 'name', 'int'],
      ],
    );
    const ifs = def.body[1] as Extract<Stmt, { kind: 'if' }>;
    assert.equal(ifs.kind, 'if');
    const elif = ifs.orelse[0] as Extract<Stmt, { kind: 'if' }>;
    assert.equal(elif.kind, 'if');
    const unpack = elif.orelse[0] as Extract<Stmt, { kind: 'assign' }>;
    assert.equal(unpack.targets[0]?.kind, 'tuple');
    assert.equal(unpack.value.kind, 'tuple');
  });

  it('reports syntax errors at the offending token', () => {
    const unclosed = parseError("import px\ndf = px.DataFrame(table='http_events'\npx.display(df)\n");
    assert.equal(unclosed.code, 'syntax');
    assert.deepEqual([unclosed.line, unclosed.column, unclosed.message], [2, 18, "invalid syntax: '(' was never closed"]);
    const stray = parseError('x = 1)\n');
    assert.deepEqual([stray.line, stray.column, stray.message], [1, 6, "invalid syntax: unmatched ')'"]);
    const doubled = parseError('x = = 2\n');
    assert.deepEqual([doubled.line, doubled.column, doubled.message], [1, 5, "invalid syntax near '='"]);
    const missing = parseError('def f(:\n    pass\n');
    assert.deepEqual([missing.line, missing.column, missing.message], [1, 7, "invalid syntax: missing ')'"]);
    const str = parseError("x = 'abc\n");
    assert.deepEqual([str.line, str.column, str.message], [1, 5, 'invalid syntax: unterminated string literal']);
  });

  it('rejects Python outside PxL with "is not supported in PxL"', () => {
    const cases: [string, string, number, number][] = [
      ['for x in y:\n    pass\n', 'a for loop', 1, 1],
      ['while True:\n    pass\n', 'a while loop', 1, 1],
      ['import os\n', "importing 'os'", 1, 8],
      ['import px, sys\n', "importing 'sys'", 1, 12],
      ['from px import DataFrame\n', 'a from-import', 1, 1],
      ['class A:\n    pass\n', 'a class definition', 1, 1],
      ['x = lambda y: y\n', 'a lambda', 1, 5],
      ['x = [y for y in z]\n', 'a comprehension', 1, 5],
      ['x = {y: 1 for y in z}\n', 'a comprehension', 1, 5],
      ["with open('f') as f:\n    pass\n", 'a with statement', 1, 1],
      ['try:\n    x = 1\nexcept:\n    pass\n', 'a try statement', 1, 1],
      ['raise ValueError()\n', 'a raise statement', 1, 1],
      ['global x\n', 'a global statement', 1, 1],
      ['del x\n', 'a del statement', 1, 1],
      ['@dec\ndef f():\n    pass\n', 'a decorator', 1, 1],
      ['async def f():\n    pass\n', 'an async function', 1, 1],
      ['x = {1, 2}\n', 'a set literal', 1, 5],
      ['x = y[1:2]\n', 'a slice', 1, 7],
      ["x = f'{y}'\n", 'an f-string', 1, 5],
      ["x = b'y'\n", 'a bytes literal', 1, 5],
      ['f(*args)\n', 'unpacking with *', 1, 3],
      ['f(**kw)\n', 'unpacking with **', 1, 3],
      ['def f(*args):\n    pass\n', '*args', 1, 7],
      ['def f(**kw):\n    pass\n', '**kwargs', 1, 7],
      ['x = (y := 1)\n', 'an assignment expression (:=)', 1, 6],
      ['assert x\n', 'an assert statement', 1, 1],
    ];
    for (const [source, what, line, column] of cases) {
      const err = parseError(source);
      assert.equal(err.code, 'unsupported', source);
      assert.ok(err.message.startsWith(`${what} is not supported in PxL`), `${source}: ${err.message}`);
      assert.deepEqual([err.line, err.column], [line, column], source);
    }
  });

  it('accepts CRLF line endings and a byte-order mark', () => {
    const m = parsePxl('\uFEFFimport px\r\nx = 1\r\n');
    assert.deepEqual(
      m.body.map((s) => [s.kind, s.pos]),
      [
        ['import', { line: 1, column: 1 }],
        ['assign', { line: 2, column: 1 }],
      ],
    );
  });

  it("rejects 'return' outside a def, even in a branch that would not run", () => {
    const err = parseError('if False:\n    return 1\n');
    assert.deepEqual([err.code, err.line, err.column, err.message], ['syntax', 2, 5, "'return' outside a function"]);
  });

  it('rejects repeated keyword arguments and legacy octal', () => {
    assert.equal(parseError('f(a=1, a=2)\n').message, "keyword argument 'a' repeated");
    assert.equal(parseError('x = 017\n').code, 'syntax');
    assert.equal(parseError('x = 9223372036854775808\n').message, 'integer literal 9223372036854775808 does not fit in int64');
  });

  // Found by the pxl fuzz target: tree-sitter reads 10L (and 0x1e308lambda as 0x1e308l, ambda) as
  // an integer, and BigInt threw a SyntaxError at it instead of the compile error.
  it('rejects Python 2 long literals with a compile error at the literal', () => {
    const long = parseError('x = 10L\n');
    assert.deepEqual([long.code, long.line, long.column, long.message], ['unsupported', 1, 5, "a Python 2 long literal ('10L') is not supported in PxL; write 10"]);
    const glued = parseError('0x1e308lambda\n');
    assert.deepEqual([glued.code, glued.line, glued.column], ['unsupported', 1, 1]);
    assert.equal(parseError('y = 1 + 0x_ffl\n').message, "a Python 2 long literal ('0x_ffl') is not supported in PxL; write 0x_ff");
  });

  it('splits and decodes string literals', () => {
    assert.deepEqual(splitStringLiteral(`R"""x"""`), { prefix: 'r', body: 'x' });
    assert.equal(decodeEscapes(String.raw`\q\101\\`), String.raw`\q` + 'A\\');
  });
});
