import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UsageError } from '../../lib/cli.js';
import { resolveTracerTarget, tracerTarget } from './collection-flags.js';

describe('collection flags', () => {
  it('takes --pid or --cgroup, never both', () => {
    assert.equal(tracerTarget(undefined, undefined), undefined);
    assert.deepEqual(tracerTarget(['1', '2', '3'], undefined), { pids: ['1', '2', '3'] });
    assert.deepEqual(tracerTarget(undefined, '/sys/fs/cgroup/x'), { cgroup: '/sys/fs/cgroup/x' });
    assert.throws(() => tracerTarget(['1'], '/x'), /--pid or --cgroup, not both/);
  });

  it('checks pids against /proc as loupe trace does', () => {
    assert.deepEqual(resolveTracerTarget({ pids: [String(process.pid), String(process.pid)] }), { pids: [process.pid] });
    assert.throws(() => resolveTracerTarget({ pids: ['x1'] }), (e: unknown) => e instanceof UsageError && /--pid "x1": must be a process id/.test(e.message));
    assert.throws(() => resolveTracerTarget({ pids: ['999999999'] }), /--pid 999999999: no such process/);
    assert.throws(() => resolveTracerTarget({ cgroup: '/nonexistent/cgroup' }), /--cgroup "\/nonexistent\/cgroup": no such directory/);
  });
});
