import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parseProcStat } from '../stats/process-stats.js';
import { LocalMetadata } from './local.js';
import type { PodInfo, ServiceInfo } from './types.js';

const CID = '3f4b8c1d2e5a6978a0b1c2d3e4f5061728394a5b6c7d8e9f0a1b2c3d4e5f6a7b';
const POD = '5f3c8a2e-1b4d-4c9a-9f2e-0a1b2c3d4e5f';

const root = mkdtempSync(join(tmpdir(), 'loupe-metadata-proc-'));
after(() => rmSync(root, { recursive: true, force: true }));

let nextRoot = 0;
/** A fresh fake /proc under the temp dir. */
function fakeProc(): string {
  const dir = join(root, String(nextRoot++));
  mkdirSync(dir);
  return dir;
}

/** /proc/PID/{stat,cmdline,cgroup} with the fields readProcess uses (stat field 22 = start ticks). */
function writeProcess(proc: string, pid: number, p: { start: number; comm?: string; cmdline?: string; cgroup?: string }): void {
  const dir = join(proc, String(pid));
  mkdirSync(dir, { recursive: true });
  const fields = ['S', 1, pid, pid, 0, -1, 4194560, 100, 0, 0, 0, 5, 3, 0, 0, 20, 0, 1, 0, p.start, 1_000_000, 100];
  writeFileSync(join(dir, 'stat'), `${pid} (${p.comm ?? 'app'}) ${fields.join(' ')} 0 0 0\n`);
  writeFileSync(join(dir, 'cmdline'), p.cmdline ?? '');
  writeFileSync(join(dir, 'cgroup'), p.cgroup ?? '0::/user.slice/session-1.scope\n');
}

/** A clock the test moves by hand. */
function manualClock(start = 1_000_000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => { t += ms; } };
}

describe('LocalMetadata over a fake /proc', () => {
  it('resolves a upid to pid, cmdline (NULs as spaces), container id and pod uid from the cgroup', () => {
    const proc = fakeProc();
    writeProcess(proc, 4242, {
      start: 777,
      cmdline: '/usr/local/bin/server\0--port\x008080\0',
      cgroup: `0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${POD.replaceAll('-', '_')}.slice/cri-containerd-${CID}.scope\n`,
    });
    const md = new LocalMetadata({ procRoot: proc, hostname: 'host-a' });
    assert.deepEqual(md.process('4242:777'), { upid: '4242:777', pid: 4242, cmdline: '/usr/local/bin/server --port 8080', containerId: CID, podId: POD });
  });

  it('a host process has no container or pod', () => {
    const proc = fakeProc();
    writeProcess(proc, 10, { start: 5, cmdline: 'sshd\0' });
    assert.deepEqual(new LocalMetadata({ procRoot: proc }).process('10:5'), { upid: '10:5', pid: 10, cmdline: 'sshd' });
  });

  it('a reused pid (same pid, other start time) is not the process the upid names', () => {
    const proc = fakeProc();
    writeProcess(proc, 300, { start: 9000, cmdline: 'newcomer\0' });
    const md = new LocalMetadata({ procRoot: proc });
    assert.deepEqual(md.process('300:8000'), { upid: '300:8000', pid: 300, cmdline: '' });
    assert.equal(md.process('300:9000')?.cmdline, 'newcomer');
  });

  it('a upid never seen running is still a process of this node: its upid and pid, for good; malformed upids miss', () => {
    const proc = fakeProc();
    const clock = manualClock();
    const md = new LocalMetadata({ procRoot: proc, ttlMs: 1000, now: clock.now });
    assert.deepEqual(md.process('999:1'), { upid: '999:1', pid: 999, cmdline: '' });
    clock.advance(5000);
    assert.deepEqual(md.process('999:1'), { upid: '999:1', pid: 999, cmdline: '' });
    assert.equal(md.stats().procReads, 1, 'the answer is final: a process cannot start in the past');
    assert.equal(md.process('not-a-upid'), undefined);
    assert.equal(md.process(''), undefined);
    assert.equal(md.process('0:5'), undefined);
  });

  it('a kernel thread (empty cmdline) shows its comm in brackets, as ps does', () => {
    const proc = fakeProc();
    writeProcess(proc, 2, { start: 0, comm: 'kthreadd' });
    assert.equal(new LocalMetadata({ procRoot: proc }).process('2:0')?.cmdline, '[kthreadd]');
  });

  it('repeated lookups within the TTL read /proc once; after the TTL the process is read again', () => {
    const proc = fakeProc();
    writeProcess(proc, 50, { start: 1, cmdline: 'before\0' });
    const clock = manualClock();
    const md = new LocalMetadata({ procRoot: proc, ttlMs: 1000, now: clock.now });
    const first = md.process('50:1');
    writeFileSync(join(proc, '50', 'cmdline'), 'after\0');
    for (let i = 0; i < 1000; i++) assert.equal(md.process('50:1'), first);
    assert.equal(md.stats().procReads, 1);
    assert.equal(md.stats().lookups, 1001);
    clock.advance(999);
    assert.equal(md.process('50:1')?.cmdline, 'before');
    clock.advance(1);
    assert.equal(md.process('50:1')?.cmdline, 'after');
    assert.equal(md.stats().procReads, 2);
  });

  it('with localUpids false, a upid not running misses, and the miss is cached for the TTL', () => {
    const proc = fakeProc();
    const clock = manualClock();
    const md = new LocalMetadata({ procRoot: proc, ttlMs: 1000, now: clock.now, localUpids: false });
    assert.equal(md.process('60:1'), undefined);
    writeProcess(proc, 60, { start: 1, cmdline: 'late\0' });
    assert.equal(md.process('60:1'), undefined);
    assert.equal(md.stats().procReads, 1);
    clock.advance(1000);
    assert.equal(md.process('60:1')?.cmdline, 'late');
  });

  it('a process that exits keeps resolving to what was read while it ran, without further reads', () => {
    const proc = fakeProc();
    writeProcess(proc, 70, { start: 3, cmdline: 'short-lived\0' });
    const clock = manualClock();
    const md = new LocalMetadata({ procRoot: proc, ttlMs: 1000, now: clock.now });
    assert.equal(md.process('70:3')?.cmdline, 'short-lived');
    rmSync(join(proc, '70'), { recursive: true });
    clock.advance(5000);
    assert.equal(md.process('70:3')?.cmdline, 'short-lived');
    clock.advance(5000);
    assert.equal(md.process('70:3')?.cmdline, 'short-lived');
    assert.equal(md.stats().procReads, 2);
  });

  it('exited processes are kept apart from the LRU: lookups of many live processes do not push them out', () => {
    const proc = fakeProc();
    writeProcess(proc, 71, { start: 3, cmdline: 'job\0', cgroup: `0::/kubepods/burstable/pod${POD}/${CID}\n` });
    for (let pid = 100; pid < 110; pid++) writeProcess(proc, pid, { start: 1, cmdline: `p${pid}\0` });
    const clock = manualClock();
    const md = new LocalMetadata({ procRoot: proc, ttlMs: 1000, cacheSize: 2, now: clock.now });
    const seen = md.process('71:3');
    rmSync(join(proc, '71'), { recursive: true });
    clock.advance(1000);
    assert.equal(md.process('71:3'), seen, 'read again after the TTL: gone, remembered');
    for (let pid = 100; pid < 110; pid++) md.process(`${pid}:1`);
    assert.deepEqual(md.process('71:3'), { upid: '71:3', pid: 71, cmdline: 'job', containerId: CID, podId: POD });
    assert.deepEqual(md.stats(), { lookups: 13, procReads: 12, errors: 0, cached: 2, exited: 1 });
  });

  it('exited processes are remembered for exitedRetentionMs, at most exitedCacheSize of them, oldest exit first', () => {
    const proc = fakeProc();
    for (const pid of [1, 2, 3]) writeProcess(proc, pid, { start: 1, cmdline: `p${pid}\0` });
    const clock = manualClock();
    const md = new LocalMetadata({ procRoot: proc, ttlMs: 1000, exitedCacheSize: 2, exitedRetentionMs: 60_000, now: clock.now });
    for (const pid of [1, 2, 3]) md.process(`${pid}:1`);
    for (const pid of [1, 2, 3]) rmSync(join(proc, String(pid)), { recursive: true });
    clock.advance(1000);
    for (const pid of [1, 2, 3]) {
      assert.equal(md.process(`${pid}:1`)?.cmdline, `p${pid}`);
      clock.advance(10);
    }
    assert.equal(md.stats().exited, 2);
    assert.deepEqual(md.process('1:1'), { upid: '1:1', pid: 1, cmdline: '' }, 'the oldest exit was forgotten');
    assert.equal(md.process('2:1')?.cmdline, 'p2');
    clock.advance(60_000);
    assert.deepEqual(md.process('2:1'), { upid: '2:1', pid: 2, cmdline: '' }, 'past the retention');
  });

  it('scan reads every process ahead of any query and remembers the ones that exit before the next scan', () => {
    const proc = fakeProc();
    writeProcess(proc, 40, { start: 7, cmdline: 'cron-job\0', cgroup: `0::/kubepods/burstable/pod${POD}/${CID}\n` });
    writeProcess(proc, 41, { start: 8, cmdline: 'daemon\0' });
    mkdirSync(join(proc, 'self'));
    const clock = manualClock();
    const md = new LocalMetadata({ procRoot: proc, ttlMs: 1000, now: clock.now });
    assert.deepEqual(md.scan(), { processes: 2, read: 2, exited: 0 });
    assert.deepEqual(md.scan(), { processes: 2, read: 0, exited: 0 }, 'within the TTL only stat is read');
    rmSync(join(proc, '40'), { recursive: true });
    writeProcess(proc, 42, { start: 9, cmdline: 'new\0' });
    clock.advance(1000);
    assert.deepEqual(md.scan(), { processes: 2, read: 2, exited: 1 });
    const reads = md.stats().procReads;
    assert.deepEqual(md.process('40:7'), { upid: '40:7', pid: 40, cmdline: 'cron-job', containerId: CID, podId: POD });
    assert.equal(md.process('42:9')?.cmdline, 'new');
    assert.equal(md.stats().procReads, reads, 'lookups were answered from what the scan read');
  });

  it('startScanning scans at once and on its interval until stopScanning', async () => {
    const proc = fakeProc();
    writeProcess(proc, 43, { start: 1, cmdline: 'x\0' });
    const md = new LocalMetadata({ procRoot: proc });
    md.startScanning(5);
    assert.equal(md.stats().procReads, 1);
    md.process('43:1');
    rmSync(join(proc, '43'), { recursive: true });
    await new Promise((r) => setTimeout(r, 50));
    md.stopScanning();
    assert.equal(md.stats().exited, 1);
    assert.equal(md.process('43:1')?.cmdline, 'x');
  });

  it('pid reuse after the TTL does not overwrite the exited process', () => {
    const proc = fakeProc();
    writeProcess(proc, 80, { start: 3, cmdline: 'old\0' });
    const clock = manualClock();
    const md = new LocalMetadata({ procRoot: proc, ttlMs: 1000, now: clock.now });
    assert.equal(md.process('80:3')?.cmdline, 'old');
    writeProcess(proc, 80, { start: 4, cmdline: 'new\0' });
    clock.advance(1000);
    assert.equal(md.process('80:3')?.cmdline, 'old');
    assert.equal(md.process('80:4')?.cmdline, 'new');
  });

  it('holds at most cacheSize processes, forgetting the least recently used', () => {
    const proc = fakeProc();
    for (const pid of [1, 2, 3]) writeProcess(proc, pid, { start: 1, cmdline: `p${pid}\0` });
    const md = new LocalMetadata({ procRoot: proc, cacheSize: 2 });
    md.process('1:1');
    md.process('2:1');
    md.process('1:1');
    md.process('3:1');
    assert.equal(md.stats().cached, 2);
    const reads = md.stats().procReads;
    md.process('1:1');
    assert.equal(md.stats().procReads, reads, '1 was used recently and stayed');
    md.process('2:1');
    assert.equal(md.stats().procReads, reads + 1, '2 was evicted');
  });

  it('an unexpected read error misses and is reported', () => {
    const proc = fakeProc();
    writeProcess(proc, 90, { start: 1 });
    writeFileSync(join(proc, '90', 'stat'), 'garbage');
    const errors: string[] = [];
    const md = new LocalMetadata({ procRoot: proc, onError: (err, upid) => errors.push(`${upid}: ${(err as Error).message}`) });
    assert.equal(md.process('90:1'), undefined);
    assert.equal(errors.length, 1);
    assert.match(errors[0]!, /^90:1: \/proc\/PID\/stat/);
    assert.equal(md.stats().errors, 1);
  });

  it('node name defaults to the hostname; no pods or services without a static list', () => {
    const md = new LocalMetadata({ procRoot: fakeProc(), hostname: 'box' });
    assert.equal(md.nodeName, 'box');
    assert.equal(md.hostname, 'box');
    assert.equal(md.pod(POD), undefined);
    assert.equal(md.podByName('default/web'), undefined);
    assert.equal(md.serviceByIp('10.96.0.10'), undefined);
    assert.equal(new LocalMetadata({ procRoot: fakeProc(), hostname: 'box', nodeName: 'node-1' }).nodeName, 'node-1');
  });

  it('answers pod and service lookups from a static list', () => {
    const pod: PodInfo = { id: POD, name: 'shop/web-0', namespace: 'shop', nodeName: 'box', ip: '10.1.0.5', status: 'Running', serviceIds: ['svc-1'] };
    const svc: ServiceInfo = { id: 'svc-1', name: 'shop/web', namespace: 'shop', clusterIp: '10.96.0.20' };
    const md = new LocalMetadata({ procRoot: fakeProc(), pods: [pod], services: [svc] });
    assert.equal(md.pod(POD), pod);
    assert.equal(md.podByName('shop/web-0'), pod);
    assert.equal(md.podByIp('10.1.0.5'), pod);
    assert.equal(md.service('svc-1'), svc);
    assert.equal(md.serviceByName('shop/web'), svc);
    assert.equal(md.serviceByIp('10.96.0.20'), svc);
    assert.equal(md.podByIp('10.1.0.6'), undefined);
  });
});

describe('LocalMetadata over this machine\'s /proc', () => {
  it('resolves the test process itself: its upid, its pid, a cmdline naming node', () => {
    const stat = parseProcStat(readFileSync('/proc/self/stat', 'utf8'));
    const upid = `${process.pid}:${stat.starttimeTicks}`;
    const md = new LocalMetadata();
    const info = md.process(upid);
    assert.ok(info, `no process for ${upid}`);
    assert.equal(info.upid, upid);
    assert.equal(info.pid, process.pid);
    assert.match(info.cmdline, /node/);
    assert.deepEqual(md.process(`${process.pid}:${stat.starttimeTicks + 1}`), { upid: `${process.pid}:${stat.starttimeTicks + 1}`, pid: process.pid, cmdline: '' });
    assert.ok(md.scan().processes > 1, 'a scan of the real /proc finds this process and others');
    assert.equal(md.process(upid), info);
  });
});
