import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UsageError } from '../../lib/cli.js';
import { parseSources, parseTracerTarget, resolveTracerTarget } from './collection-flags.js';

describe('collection flags', () => {
  it('parses --sources, dropping repeats and blanks', () => {
    assert.equal(parseSources(undefined), undefined);
    assert.deepEqual(parseSources('socket_tracer, cpu_profiler,socket_tracer,'), ['socket_tracer', 'cpu_profiler']);
    assert.throws(() => parseSources(''), /unknown source \(empty\)/);
    assert.throws(() => parseSources('http'), /unknown source http; choose from socket_tracer, process_stats, network_stats, cpu_profiler/);
  });

  it('takes --pid as a list and repeated, or --cgroup, never both', () => {
    assert.equal(parseTracerTarget(undefined, undefined), undefined);
    assert.deepEqual(parseTracerTarget(['1,2', '3'], undefined), { pids: ['1', '2', '3'] });
    assert.deepEqual(parseTracerTarget(undefined, '/sys/fs/cgroup/x'), { cgroup: '/sys/fs/cgroup/x' });
    assert.throws(() => parseTracerTarget(['1'], '/x'), /--pid or --cgroup, not both/);
    assert.throws(() => parseTracerTarget([','], undefined), /empty entry/);
    assert.throws(() => parseTracerTarget(undefined, ' '), /--cgroup: empty/);
  });

  it('checks pids against /proc as loupe trace does', () => {
    assert.deepEqual(resolveTracerTarget({ pids: [String(process.pid), String(process.pid)] }), { pids: [process.pid] });
    assert.throws(() => resolveTracerTarget({ pids: ['x1'] }), (e: unknown) => e instanceof UsageError && /--pid "x1": must be a process id/.test(e.message));
    assert.throws(() => resolveTracerTarget({ pids: ['999999999'] }), /--pid 999999999: no such process/);
    assert.throws(() => resolveTracerTarget({ cgroup: '/nonexistent/cgroup' }), /--cgroup "\/nonexistent\/cgroup": no such directory/);
  });
});
