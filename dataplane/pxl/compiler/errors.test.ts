import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { compilePxlSync, initPxl } from './compile.js';
import { PxlCompileError } from '../parse/errors.js';
import { TEST_OPTIONS, compile, compileError } from './test-fixtures.js';

const HTTP = "import px\ndf = px.DataFrame(table='http_events')\n";

/** [code, line, column, message (a RegExp or exact text)] of the error `source` gets. */
async function expectError(source: string, code: string, line: number, column: number, message: string | RegExp): Promise<PxlCompileError> {
  const err = await compileError(source);
  assert.equal(err.code, code, `${err.format()}`);
  assert.deepEqual([err.line, err.column], [line, column], err.format());
  if (typeof message === 'string') assert.equal(err.message, message);
  else assert.match(err.message, message);
  return err;
}

describe('compile errors', () => {
  before(() => initPxl());

  it('format() gives file:line:col, the source line and a caret under the column', async () => {
    const err = await compileError(`${HTTP}df.x = df.latncy + 1\npx.display(df)\n`, { file: 'px/demo.pxl' });
    assert.equal(
      err.format(),
      [
        "px/demo.pxl:3:11: unknown column 'latncy' (did you mean 'latency'?); the DataFrame has: time_, upid, remote_addr, remote_port, trace_role, req_method, req_path, req_body, resp_status, resp_body, latency",
        'df.x = df.latncy + 1',
        '          ^',
      ].join('\n'),
    );
    assert.equal(err.sourceLine, 'df.x = df.latncy + 1');
    assert.equal(err.file, 'px/demo.pxl');
  });

  it('keeps tabs in the caret line so it lines up', async () => {
    const err = await compileError('import px\ndef f():\n\treturn px.nope()\nf()\n');
    assert.equal(err.format().split('\n').slice(1).join('\n'), `\treturn px.nope()\n\t${' '.repeat(10)}^`);
  });

  it('syntax errors', async () => {
    const err = await expectError("import px\ndf = px.DataFrame(table='http_events'\npx.display(df)\n", 'syntax', 2, 18, "invalid syntax: '(' was never closed");
    assert.equal(err.format(), "script.pxl:2:18: invalid syntax: '(' was never closed\ndf = px.DataFrame(table='http_events'\n                 ^");
    await expectError('import px\ndef f():\n    x = 1\n  y = 2\n', 'syntax', 4, 3, 'invalid syntax: unindent does not match any outer indentation level');
    await expectError('import px\n  x = 1\n', 'syntax', 2, 3, 'invalid syntax: unexpected indent');
    await expectError('import px\ndef f():\nreturn 1\n', 'syntax', 2, 1, "invalid syntax: expected an indented block after 'def'");
  });

  it('unknown table, listing the known ones', async () => {
    await expectError("import px\ndf = px.DataFrame(table='http_event')\n", 'unknown_table', 2, 19, "unknown table 'http_event' (did you mean 'http_events'?); known tables: conn_stats, http_events, network_stats, process_stats");
  });

  it('unknown columns: attribute, subscript, select=, groupby, agg, merge keys, drop, projection', async () => {
    await expectError(`${HTTP}df = df[df['resp_stat'] > 1]\n`, 'unknown_column', 3, 12, /^unknown column 'resp_stat' \(did you mean 'resp_status'\?\); the DataFrame has: time_, /);
    await expectError("import px\ndf = px.DataFrame(table='http_events', select=['latency', 'pth'])\n", 'unknown_column', 2, 40, /^table 'http_events' has no column 'pth'; it has: /);
    await expectError(`${HTTP}df = df.groupby('path').agg(n=('latency', px.count))\n`, 'unknown_column', 3, 17, /^unknown column 'path'/);
    await expectError(`${HTTP}df = df.groupby('req_path').agg(n=('latncy', px.count))\n`, 'unknown_column', 3, 33, /^unknown column 'latncy' \(did you mean 'latency'\?\)/);
    await expectError(`${HTTP}df = df.merge(df, left_on='upid', right_on='upd')\n`, 'unknown_column', 3, 35, /^unknown column 'upd' \(did you mean 'upid'\?\)/);
    await expectError(`${HTTP}df = df.drop(['upid', 'nope'])\n`, 'unknown_column', 3, 14, /^unknown column 'nope'/);
    await expectError(`${HTTP}df = df[['upid', 'nope']]\n`, 'unknown_column', 3, 9, /^unknown column 'nope'/);
  });

  it('a column read on one DataFrame and used on another that lacks it', async () => {
    await expectError("import px\na = px.DataFrame(table='http_events')\nb = px.DataFrame(table='conn_stats')\nb.x = a.latency\n", 'unknown_column', 4, 9, /^unknown column 'latency'; the DataFrame has: time_, upid, /);
  });

  it('df.ctx on a DataFrame without upid names the key and the missing column', async () => {
    await expectError(
      "import px\ndf = px.DataFrame(table='network_stats')\ndf.pod = df.ctx['pod']\n",
      'unknown_column',
      3,
      10,
      "df.ctx['pod'] reads the metadata of the row's process through its upid column, and this DataFrame has no upid column; it has: time_, pod_id, rx_bytes, tx_bytes",
    );
    await expectError(`${HTTP}df.p = df.ctx['podd']\n`, 'argument', 3, 15, /^unknown df.ctx key 'podd' \(did you mean 'pod'\?\); known keys: pod, /);
  });

  it('type mismatches carry the signature message at the operator or call', async () => {
    await expectError(`${HTTP}df.x = df.req_path + 1\n`, 'type', 3, 20, /^operator '\+': no overload of 'add' takes \(string, int64\); it takes \(int64, int64\), /);
    await expectError(`${HTTP}df.x = px.contains(df.latency, 'a')\n`, 'type', 3, 8, "px.contains(): no overload of 'contains' takes (int64, string); it takes (string, string)");
    await expectError(`${HTTP}df = df[df.latency]\n`, 'type', 3, 12, 'a filter needs a boolean expression; this one is int64');
    await expectError(`${HTTP}df = df[df.latency > 1 and df.req_path]\n`, 'type', 3, 24, /^operator 'and': no overload of 'logicalAnd' takes \(boolean, string\)/);
    await expectError(`${HTTP}df = df.agg(m=('req_path', px.mean))\n`, 'type', 3, 13, "aggregate 'm' over column 'req_path': aggregate 'mean' does not take string; it takes int64, float64, boolean");
    await expectError(`${HTTP}c = px.DataFrame(table='conn_stats')\ndf = df.merge(c, left_on='latency', right_on='remote_addr')\n`, 'type', 4, 37, "merge() key 'latency' is int64 on the left but 'remote_addr' is string on the right");
    await expectError(`${HTTP}df.x = df\n`, 'type', 3, 1, /^the value assigned to column 'x' must be a column expression or a constant, got a DataFrame/);
  });

  it('unknown functions, keyword arguments and wrong arity', async () => {
    await expectError(`${HTTP}df.x = px.containz(df.req_path, 'a')\n`, 'unknown_function', 3, 11, "px has no function 'containz' (did you mean 'contains'?)");
    await expectError("import px\ndf = px.DataFrame(tabel='http_events')\n", 'argument', 2, 19, "px.DataFrame() got an unexpected keyword argument 'tabel' (did you mean 'table'?); it takes table, select, start_time, end_time");
    await expectError("import px\ndf = px.DataFrame()\n", 'argument', 2, 6, "px.DataFrame() is missing the required argument 'table'");
    await expectError(`${HTTP}df.x = px.contains(df.req_path)\n`, 'argument', 3, 8, 'px.contains() takes 2 arguments (1 given)');
    await expectError(`${HTTP}df = df.head(1, 2)\n`, 'argument', 3, 17, 'head() takes at most 1 positional argument (2 given)');
    await expectError(`${HTTP}df.x = px.contains(df.req_path, s='a')\n`, 'argument', 3, 33, 'px.contains() takes no keyword arguments');
    await expectError('import px\ndef f(a, b=1):\n    return a\nx = f(1, 2, 3)\n', 'argument', 4, 13, 'f() takes 2 positional arguments (3 given)');
    await expectError('import px\ndef f(a, b=1):\n    return a\nx = f(1, c=2)\n', 'argument', 4, 10, "f() got an unexpected keyword argument 'c'; it takes a, b");
    await expectError('import px\ndef f(a, b=1):\n    return a\nx = f(b=2)\n', 'argument', 4, 5, "f() is missing the required argument 'a'");
    await expectError(`${HTTP}df = df.merge(df, how='cross', on='upid')\n`, 'value', 3, 19, "merge(how='cross') is not a join type; use one of 'inner', 'left', 'right', 'outer'");
    await expectError(`${HTTP}x = px.count(df.latency)\n`, 'type', 3, 5, "px.count is an aggregate; use it inside agg(): agg(out=('column', px.count))");
    await expectError(`${HTTP}df = df.groupby('upid').agg(n=px.count)\n`, 'type', 3, 29, /^agg argument 'n' must be a pair \('column', px.<aggregate>\)/);
  });

  it('names that do not exist, and px used without import', async () => {
    await expectError(`${HTTP}px.display(dff)\n`, 'unknown_name', 3, 12, "name 'dff' is not defined (did you mean 'df'?)");
    await expectError("df = px.DataFrame(table='http_events')\n", 'unknown_name', 1, 6, "name 'px' is not defined; start the script with `import px`");
  });

  it('values that must be known at compile time', async () => {
    await expectError("import px\ndf = px.DataFrame(table='http_events', start_time='yesterday')\n", 'value', 2, 40, "start_time: 'yesterday' is neither a duration such as '-5m' nor a time such as '2024-05-01T12:00:00Z'");
    await expectError("import px\ndf = px.DataFrame(table='http_events', start_time='-1m', end_time='-5m')\n", 'value', 2, 40, /^start_time \(2024-05-01T11:59:00.000Z\) is after end_time \(2024-05-01T11:55:00.000Z\)/);
    await expectError(`${HTTP}t = px.DataFrame(table='http_events', start_time=df.time_)\n`, 'type', 3, 39, /^start_time must be known at compile time/);
    await expectError(`${HTTP}if df.latency > 1:\n    pass\n`, 'type', 3, 4, /^an if condition must be known at compile time/);
    await expectError(`${HTTP}x = px.parse_duration('soon')\n`, 'value', 3, 5, "px.parse_duration(): 'soon' is not a duration such as '-5m', '30s' or '1h30m'");
    await expectError('import px\nx = 1 // 0\n', 'value', 2, 7, 'integer division by zero');
    await expectError(`${HTTP}px.display(df, 'a')\npx.display(df, 'a')\n`, 'value', 4, 16, "a table named 'a' is already displayed; give each px.display() its own name");
    await expectError(`${HTTP}j = df.merge(df, on='upid', suffixes=['', ''])\n`, 'value', 3, 29, "merge() would produce two columns named 'time_'; pass suffixes= that tell them apart");
  });

  it('forbidden Python outside the parser: builtins, attributes outside the px surface, item assignment', async () => {
    await expectError("import px\nf = open('/etc/passwd')\n", 'unsupported', 2, 5, "the Python builtin 'open' is not supported in PxL");
    await expectError("import px\nos = __import__('os')\n", 'unsupported', 2, 6, "the Python builtin '__import__' is not supported in PxL");
    await expectError("import px\nx = eval('1')\n", 'unsupported', 2, 5, "the Python builtin 'eval' is not supported in PxL");
    await expectError("import px\nx = 'abc'.upper()\n", 'unsupported', 2, 11, "the attribute '.upper' of a string constant is not supported in PxL; only px, DataFrames and their columns have attributes");
    await expectError('import px\nx = px.__dict__\n', 'unsupported', 2, 8, "the attribute '__dict__' is not supported in PxL");
    await expectError(`${HTTP}x = df.__class__\n`, 'unsupported', 3, 8, "the attribute '__class__' is not supported in PxL");
    await expectError(`${HTTP}x = df.sort_values('latency')\n`, 'unsupported', 3, 8, "the DataFrame method 'sort_values' is not supported in PxL; DataFrames have agg, append, ctx, drop, groupby, head, merge, and columns");
    await expectError('import px\nx = [1]\nx[0] = 2\n', 'unsupported', 3, 1, 'item assignment to a list is not supported in PxL');
    await expectError("import px\nx = px.otel.nope\n", 'unknown_function', 2, 13, "px.otel has no attribute 'nope'; it has Data, Endpoint, metric, trace");
    await expectError(`${HTTP}g = df.groupby('upid')\nx = g.head()\n`, 'unsupported', 4, 7, /^'head' on a grouped DataFrame is not supported in PxL/);
  });

  it('bounds compile work: plan size and call depth', async () => {
    const big = `${HTTP}${Array.from({ length: 30 }, (_, i) => `df.c${i} = ${i}`).join('\n')}\npx.display(df)\n`;
    const err = await compileError(big, { maxNodes: 10 });
    assert.equal(err.code, 'limit');
    assert.equal(err.message, 'the script builds more than 10 plan operators; simplify it or raise the limit');
    assert.equal(err.line, 12);
    await expectError('import px\ndef f(n):\n    return f(n + 1)\nx = f(0)\n', 'limit', 3, 12, 'calls nest deeper than 64 levels (is f() recursive without end?)');
    const deep = await compileError('import px\ndef f(n):\n    return f(n + 1)\nx = f(0)\n', { maxCallDepth: 500 });
    assert.equal(deep.message, 'calls nest deeper than 500 levels (is f() recursive without end?)');
    const fanout = await compileError('import px\ndef f(n):\n    if n == 0:\n        return 1\n    return f(n - 1) + f(n - 1)\nx = f(30)\n');
    assert.equal(fanout.code, 'limit');
    assert.equal(fanout.message, 'the script makes more than 10000 function calls');
  });

  // Found by the pxl fuzz target: each line doubled a value's tree while only adding one object,
  // so 22 lines of x = x + x took 46 s and 3 GB to lower, and 28 of l = l + l ran out of memory.
  it('bounds values rebuilt from themselves: expressions, lists, nested lists, strings', async () => {
    const doubling = (start: string, step: string, lines: number, after = '') => `${HTTP}x = ${start}\n${`x = ${step}\n`.repeat(lines)}${after}px.display(df)\n`;
    const hint = 'is it built from itself again and again (x = x + x)? build it once from its parts';
    await expectError(doubling('df.latency', 'x + x', 40, 'df.y = x\n'), 'limit', 16, 7, `operator '+' builds an expression of more than 10000 parts; ${hint}`);
    await expectError(doubling('[1]', 'x + x', 40), 'limit', 17, 7, `this list has 16385 parts counting what it nests; the limit is 10000; ${hint}`);
    await expectError(doubling('[1]', '[x, x]', 40), 'limit', 15, 5, `this list has 12287 parts counting what it nests; the limit is 10000; ${hint}`);
    await expectError(doubling("'ab'", 'x + x', 40), 'limit', 23, 7, `operator '+' builds a string of 2097152 characters; the limit is 1048576; ${hint}`);
    // Short of the limits, the same shapes compile.
    const fine = await compile(doubling('df.latency', 'x + x', 8, 'df.y = x\n'));
    assert.deepEqual(fine.sinks, ['output']);
  });

  // Found by the pxl fuzz target: every assignment copies the other columns into a new map node,
  // so 2000 assignments (a 56 KB script) made a 234 MB plan in 6 s.
  it('bounds the parts all plan nodes hold together', async () => {
    const assignments = (n: number) => `${HTTP}${Array.from({ length: n }, (_, i) => `df.c${i} = df.latency + ${i}`).join('\n')}\npx.display(df)\n`;
    const err = await compileError(assignments(2000));
    assert.equal(err.code, 'limit');
    assert.equal(err.message, 'the plan holds more than 250000 parts (columns and expressions) here; use fewer columns, smaller expressions or fewer operators');
    assert.deepEqual((await compile(assignments(200))).sinks, ['output']);
  });

  it('limits expression nesting but accepts long flat chains', async () => {
    const chain = Array.from({ length: 300 }, (_, i) => `df.latency == ${i}`).join(' or ');
    const flat = await compile(`${HTTP}df = df[${chain}]\npx.display(df)\n`);
    assert.deepEqual(flat.sinks, ['output']);
    const deep = await compileError(`import px\nx = ${'('.repeat(500)}1${')'.repeat(500)}\n`);
    assert.deepEqual([deep.code, deep.line, deep.column, deep.message], ['limit', 2, 406, 'expression nested too deeply (more than 400 levels)']);
    const shown = deep.format().split('\n');
    assert.equal(shown[1], `...${'('.repeat(160)}...`);
    assert.equal(shown[2], `${' '.repeat(83)}^`);
  });

  it('a script that displays nothing', async () => {
    await expectError(`${HTTP}df.x = 1\n`, 'no_output', 1, 1, 'the script displays nothing: call px.display(...) or pass an entry function');
  });

  it('compilePxlSync works once initialised and attaches the source to errors', () => {
    assert.throws(
      () => compilePxlSync("import px\npx.display(px.DataFrame(table='nope'))\n", TEST_OPTIONS),
      (err: unknown) => err instanceof PxlCompileError && err.code === 'unknown_table' && err.format().endsWith(`px.display(px.DataFrame(table='nope'))\n${' '.repeat(24)}^`),
    );
  });
});
