import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { hostKernelConstants, parseAuxv, ProcParseError } from './proc.js';
import { parseProcIo, parseProcStat, ProcessStatsReader, toProcessStatsRow } from './process-stats.js';

// Captured on the dev VM (cat's own /proc/self/stat), then the comm swapped for a hostile one.
const STAT_CAT =
  '27037 (cat) R 27035 27035 25294 0 -1 4194304 98 0 0 0 0 0 0 0 20 0 1 0 360910 3133440 380 18446744073709551615 94490531946496 94490531966377 140724933364576 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0 94490531982384 94490531984000 94490813956096 140724933372640 140724933372660 140724933372660 140724933373931 0\n';
const STAT_WEIRD_COMM =
  '4242 (a) b (c) S 1 4242 4242 0 -1 4194560 5310 120 7 1 250 37 0 0 20 0 12 0 1234567 987654144 2560 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 0 0 0 0 0 0\n';
const IO_CAT = 'rchar: 6976\nwchar: 12\nsyscr: 10\nsyscw: 1\nread_bytes: 4096\nwrite_bytes: 8192\ncancelled_write_bytes: 0\n';

const K = { clockTicksPerSecond: 100, pageSizeBytes: 4096 };

describe('process_stats parsing', () => {
  it('reads the fields of /proc/PID/stat, with a comm holding spaces and parentheses', () => {
    const s = parseProcStat(STAT_WEIRD_COMM);
    assert.deepEqual(s, {
      pid: 4242,
      comm: 'a) b (c',
      state: 'S',
      ppid: 1,
      minorFaults: 5310,
      majorFaults: 7,
      utimeTicks: 250,
      stimeTicks: 37,
      numThreads: 12,
      starttimeTicks: 1234567,
      vsizeBytes: 987654144,
      rssPages: 2560,
    });
    assert.equal(parseProcStat(STAT_CAT).starttimeTicks, 360910);
  });

  it('rejects a truncated stat line with the file named', () => {
    assert.throws(() => parseProcStat('12 (x) R 1 2 3'), (e: unknown) => e instanceof ProcParseError && /\/proc\/PID\/stat: expected at least 24 fields/.test(e.message));
    assert.throws(() => parseProcStat('garbage'), ProcParseError);
  });

  it('reads rchar, wchar, read_bytes and write_bytes from /proc/PID/io', () => {
    assert.deepEqual(parseProcIo(IO_CAT), { rchar: 6976, wchar: 12, readBytes: 4096, writeBytes: 8192 });
    assert.throws(() => parseProcIo('rchar: 1\n'), /no "wchar" line/);
  });

  it('turns ticks into nanoseconds and pages into bytes; upid is tgid:starttime', () => {
    const row = toProcessStatsRow(parseProcStat(STAT_WEIRD_COMM), parseProcIo(IO_CAT), K, 1_700_000_000_000_000_000n);
    assert.deepEqual(row, {
      time_: 1_700_000_000_000_000_000n,
      upid: '4242:1234567',
      major_faults: 7,
      minor_faults: 5310,
      cpu_utime_ns: 2_500_000_000,
      cpu_ktime_ns: 370_000_000,
      num_threads: 12,
      vsize_bytes: 987654144,
      rss_bytes: 2560 * 4096,
      rchar_bytes: 6976,
      wchar_bytes: 12,
      read_bytes: 4096,
      write_bytes: 8192,
    });
  });

  it('reads AT_CLKTCK and AT_PAGESZ from an auxiliary vector', () => {
    const buf = Buffer.alloc(16 * 4);
    [
      [33n, 0x7fff0000n],
      [6n, 16384n],
      [17n, 250n],
      [0n, 0n],
    ].forEach(([k, v], i) => {
      buf.writeBigUInt64LE(k!, i * 16);
      buf.writeBigUInt64LE(v!, i * 16 + 8);
    });
    assert.deepEqual(parseAuxv(buf), { clockTicksPerSecond: 250, pageSizeBytes: 16384 });
    assert.throws(() => parseAuxv(Buffer.alloc(16)), ProcParseError);
  });
});

describe('ProcessStatsReader', () => {
  const root = mkdtempSync(join(tmpdir(), 'loupe-proc-fixture-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  it('reads every pid of a /proc root, zeros the io columns when io is unreadable, skips vanished pids', () => {
    mkdirSync(join(root, '4242'));
    writeFileSync(join(root, '4242', 'stat'), STAT_WEIRD_COMM);
    writeFileSync(join(root, '4242', 'io'), IO_CAT);
    mkdirSync(join(root, '27037'));
    writeFileSync(join(root, '27037', 'stat'), STAT_CAT);
    mkdirSync(join(root, '31337')); // exited between readdir and read: no stat
    mkdirSync(join(root, 'self'));
    writeFileSync(join(root, 'uptime'), '1.0 2.0\n');

    const rows = new ProcessStatsReader({ procRoot: root, kernel: K, clock: () => 5n }).read();
    assert.deepEqual(
      rows.map((r) => [r.upid, r.time_, r.rss_bytes, r.rchar_bytes, r.write_bytes]),
      [
        ['4242:1234567', 5n, 2560 * 4096, 6976, 8192],
        ['27037:360910', 5n, 380 * 4096, 0, 0],
      ],
    );
  });

  it('reads the test process itself from the real /proc', () => {
    const reader = new ProcessStatsReader();
    const end = Date.now() + 50;
    while (Date.now() < end); // at least a few clock ticks of user CPU
    const a = reader.readPid(process.pid)!;
    const b = reader.read([process.pid, 2 ** 22 + 1])[0]!;
    assert.ok(a, 'no row for our own pid');
    assert.match(a.upid, new RegExp(`^${process.pid}:\\d+$`));
    assert.equal(b.upid, a.upid, 'upid changes between reads');
    assert.ok(a.num_threads >= 1);
    assert.ok(a.rss_bytes > 10 * 2 ** 20, `rss ${a.rss_bytes}`);
    assert.ok(a.vsize_bytes > a.rss_bytes);
    assert.ok(a.cpu_utime_ns >= 50_000_000, `utime ${a.cpu_utime_ns} ns after a 50 ms busy loop`);
    assert.equal(a.cpu_utime_ns % (1e9 / hostKernelConstants().clockTicksPerSecond), 0);
    assert.ok(a.rchar_bytes > 0, 'node read its own modules, so rchar > 0');
    assert.ok(a.minor_faults > 0);
    const nowNs = BigInt(Date.now()) * 1_000_000n;
    assert.ok(a.time_ <= nowNs + 1_000_000n && a.time_ > nowNs - 10_000_000_000n, `time_ ${a.time_} vs now ${nowNs}`);
  });
});
