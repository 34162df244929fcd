import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { upidOf } from '../stats/process-stats.js';
import { parseUpid } from './upid.js';

describe('upid', () => {
  it('reads back what process_stats writes', () => {
    const upid = upidOf({ pid: 4242, starttimeTicks: 1234567 });
    assert.deepEqual(parseUpid(upid), { pid: 4242, startTicks: 1234567 });
    assert.deepEqual(parseUpid('1:0'), { pid: 1, startTicks: 0 });
  });

  it('rejects anything else', () => {
    for (const bad of ['', '4242', '0:5', '-1:5', '12:', ':12', '1:2:3', '12:3x', ' 12:3', '99999999999:1', '1:99999999999999999999']) {
      assert.equal(parseUpid(bad), undefined, bad);
    }
  });
});
