import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Expr } from '../plan.js';
import { MINUTE, NOW, SECOND, compile, compileError, compileRaw, node } from './test-fixtures.js';

const SCRIPT = `import px

def requests(start_time: str, pod: px.Pod, min_status: int = 400, ratio: float = 0.5, slow: px.DurationNanos = 1000, errors_only: bool = False, label='all'):
    df = px.DataFrame(table='http_events', start_time=start_time)
    df.pod = df.ctx['pod']
    df = df[df.pod == pod]
    df.ratio = ratio
    df.slow = df.latency > slow
    df.label = label
    if errors_only:
        df = df[df.resp_status >= min_status]
    return df

def shown(start_time: str):
    px.display(px.DataFrame(table='conn_stats', start_time=start_time), 'conns')
`;

/** The constant a map computes for `name`. */
function constantOf(exprs: readonly { name: string; expr: Expr }[], name: string): unknown {
  const e = exprs.find((x) => x.name === name)?.expr;
  assert.ok(e, `no ${name}`);
  if (e.kind === 'literal') return e.value;
  if (e.kind === 'call') return e.args.map((a) => (a.kind === 'literal' ? a.value : a.kind === 'column' ? a.name : a.fn));
  return e.name;
}

describe('entry functions', () => {
  it('converts text arguments by annotation and displays the result under the function name', async () => {
    const q = await compile(SCRIPT, {
      entry: 'requests',
      args: { start_time: '-5m', pod: 'default/web-1', min_status: '500', ratio: '0.25', slow: '2s', errors_only: 'true', label: 'x' },
      optimize: false,
    });
    assert.deepEqual(q.sinks, ['requests']);
    const plan = q.plan;
    assert.equal(node(plan, 0, 'source').startTime, NOW - 5n * MINUTE);
    const byPod = node(plan, 2, 'filter').predicate;
    assert.deepEqual(byPod.kind === 'call' && byPod.args[1], { kind: 'literal', type: 'string', value: 'default/web-1', semantic: 'pod_name' });
    assert.equal(constantOf(node(plan, 3, 'map').exprs, 'ratio'), 0.25);
    assert.deepEqual(constantOf(node(plan, 4, 'map').exprs, 'slow'), ['latency', 2n * SECOND]);
    assert.equal(constantOf(node(plan, 5, 'map').exprs, 'label'), 'x');
    const status = node(plan, 6, 'filter').predicate;
    assert.deepEqual(status.kind === 'call' && status.args[1], { kind: 'literal', type: 'int64', value: 500n });
    assert.equal(node(plan, 7, 'sink').name, 'requests');
  });

  it('uses defaults for arguments not given', async () => {
    const plan = (await compile(SCRIPT, { entry: 'requests', args: { start_time: '-1m', pod: 'p' }, optimize: false })).plan;
    assert.equal(constantOf(node(plan, 3, 'map').exprs, 'ratio'), 0.5);
    assert.deepEqual(constantOf(node(plan, 4, 'map').exprs, 'slow'), ['latency', 1000n]);
    assert.equal(constantOf(node(plan, 5, 'map').exprs, 'label'), 'all');
    assert.equal(node(plan, 6, 'sink').name, 'requests');
  });

  it('accepts an entry that displays by itself and returns nothing', async () => {
    const q = await compile(SCRIPT, { entry: 'shown', args: { start_time: '-1m' } });
    assert.deepEqual(q.sinks, ['conns']);
  });

  it('keeps module-level displays next to the entry result', async () => {
    const plan = await compileRaw(`${SCRIPT}px.display(px.DataFrame(table='process_stats'), 'procs')\n`, { entry: 'shown', args: { start_time: '-1m' } });
    assert.deepEqual(
      plan.nodes.filter((n) => n.op === 'sink').map((n) => n.op === 'sink' && n.name),
      ['procs', 'conns'],
    );
  });

  it('reports missing, unknown and malformed arguments at the def', async () => {
    const missing = await compileError(SCRIPT, { entry: 'requests', args: {} });
    assert.deepEqual([missing.code, missing.line, missing.column, missing.message], ['argument', 3, 1, "requests() needs the arguments 'start_time', 'pod'"]);
    const unknown = await compileError(SCRIPT, { entry: 'requests', args: { start_time: '-5m', pod: 'p', podd: 'x' } });
    assert.equal(unknown.message, "requests() has no argument 'podd' (did you mean 'pod'?); it takes 'start_time', 'pod', 'min_status', 'ratio', 'slow', 'errors_only', 'label'");
    const badInt = await compileError(SCRIPT, { entry: 'requests', args: { start_time: '-5m', pod: 'p', min_status: 'lots' } });
    assert.deepEqual([badInt.code, badInt.line, badInt.column, badInt.message], ['argument', 3, 44, "argument 'min_status' of requests() must be an int, got 'lots'"]);
    const badBool = await compileError(SCRIPT, { entry: 'requests', args: { start_time: '-5m', pod: 'p', errors_only: 'maybe' } });
    assert.equal(badBool.message, "argument 'errors_only' of requests() must be true or false, got 'maybe'");
    const badDuration = await compileError(SCRIPT, { entry: 'requests', args: { start_time: '-5m', pod: 'p', slow: 'fast' } });
    assert.equal(badDuration.message, "argument 'slow' of requests() must be nanoseconds or a duration such as '10s', got 'fast'");
    const badFloat = await compileError(SCRIPT, { entry: 'requests', args: { start_time: '-5m', pod: 'p', ratio: 'half' } });
    assert.equal(badFloat.message, "argument 'ratio' of requests() must be a number, got 'half'");
  });

  it('rejects an unknown entry, a DataFrame argument, a non-DataFrame result and arguments without an entry', async () => {
    const unknown = await compileError(SCRIPT, { entry: 'request' });
    assert.deepEqual([unknown.code, unknown.message], ['unknown_name', "entry function 'request' is not defined in the script (did you mean 'requests'?); it defines 'requests', 'shown'"]);
    const frameArg = await compileError('import px\ndef f(df: px.DataFrame):\n    return df\n', { entry: 'f', args: { df: 'x' } });
    assert.equal(frameArg.message, "argument 'df' of f() is a DataFrame and cannot be given as a script argument");
    const scalar = await compileError('import px\ndef f():\n    return 1\n', { entry: 'f' });
    assert.deepEqual([scalar.code, scalar.message], ['no_output', 'entry function f() must return a DataFrame, got an int constant']);
    const stray = await compileError("import px\npx.display(px.DataFrame(table='http_events'))\n", { args: { a: '1' } });
    assert.deepEqual([stray.code, stray.message], ['argument', 'script arguments (a) were given but no entry function to receive them']);
  });
});
