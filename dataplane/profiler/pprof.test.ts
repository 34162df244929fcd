import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { Profile } from 'pprof-format';
import { buildIdFromNotes, ElfFile, kernelBuildId } from '../../native-bpf/index.js';
import { toFolded } from './folded.js';
import { decodePprof, encodePprof, samplePeriodNs, toPprof } from './pprof.js';
import type { Frame, MappingInfo, SymbolizedSample } from './samples.js';

const APP: MappingInfo = { key: '100:4096', start: 0x1000n, end: 0x9000n, fileOffset: 0n, path: '/opt/app/bin/app', buildId: 'aabbccdd' };
const LIBC: MappingInfo = { key: '100:65536', start: 0x10000n, end: 0x20000n, fileOffset: 0x1000n, path: '/usr/lib/libc.so.6', buildId: '' };
const OTHER_APP: MappingInfo = { ...APP, key: '200:4096' };
const KERNEL: MappingInfo = { key: 'kernel', start: 0xffff800000000000n, end: 0xffffffffffffffffn, fileOffset: 0n, path: '[kernel.kallsyms]', buildId: '0123' };

const u = (name: string, address: bigint, mapping: MappingInfo | undefined): Frame => ({ name, address, kernel: false, mapping });
const k = (name: string, address: bigint): Frame => ({ name, address, kernel: true, mapping: KERNEL });

/** Leaf first. Process 100 (app) and 200 (same binary) share function names. */
const SAMPLES: SymbolizedSample[] = [
  { tgid: 100, comm: 'app', count: 70, frames: [u('hot', 0x1100n, APP), u('main', 0x1200n, APP), u('__libc_start_call_main', 0x10100n, LIBC)] },
  { tgid: 100, comm: 'app', count: 20, frames: [k('ksys_write', 0xffffffff81000010n), k('do_syscall_64', 0xffffffff81000100n), u('write', 0x10200n, LIBC), u('main', 0x1200n, APP)] },
  { tgid: 200, comm: 'app', count: 9, frames: [u('hot', 0x1100n, OTHER_APP), u('main', 0x1200n, OTHER_APP)] },
  // The same stack again, as a later drain reports it: merged into the first.
  { tgid: 100, comm: 'app', count: 1, frames: [u('hot', 0x1100n, APP), u('main', 0x1200n, APP), u('__libc_start_call_main', 0x10100n, LIBC)] },
];

function names(p: Profile, ids: readonly (number | bigint)[]): string[] {
  return ids.map((id) => {
    const loc = p.location.find((l) => l.id == id)!;
    const fn = p.function.find((f) => f.id == loc.line[0]!.functionId)!;
    return p.stringTable.strings[Number(fn.name)]!;
  });
}

describe('pprof output', () => {
  it('round-trips through pprof-format with both sample types, the period and the totals', () => {
    const bytes = encodePprof(toPprof(SAMPLES, { frequencyHz: 99, timeNanos: 1_700_000_000_000_000_000n, durationNanos: 10_000_000_000n, comments: ['lost: 0'] }));
    assert.deepEqual([...bytes.subarray(0, 2)], [0x1f, 0x8b], 'gzip-compressed like other pprof files');
    const p = Profile.decode(gunzipSync(bytes));
    const s = (i: number | bigint) => p.stringTable.strings[Number(i)];
    assert.deepEqual(
      p.sampleType.map((t) => [s(t.type), s(t.unit)]),
      [
        ['samples', 'count'],
        ['cpu', 'nanoseconds'],
      ],
    );
    assert.deepEqual([s(p.periodType!.type), s(p.periodType!.unit)], ['cpu', 'nanoseconds']);
    assert.equal(Number(p.period), 10101010);
    assert.equal(samplePeriodNs(99), 10101010);
    assert.equal(s(p.defaultSampleType), 'cpu');
    assert.equal(BigInt(p.timeNanos), 1_700_000_000_000_000_000n);
    assert.equal(Number(p.durationNanos), 10_000_000_000);
    assert.deepEqual(p.comment.map(s), ['lost: 0']);

    assert.equal(p.sample.length, 3, 'the repeated stack is merged');
    const count = p.sample.reduce((n, x) => n + Number(x.value[0]), 0);
    const cpu = p.sample.reduce((n, x) => n + Number(x.value[1]), 0);
    assert.equal(count, 100);
    assert.equal(cpu, 100 * 10101010);
    const first = p.sample[0]!;
    assert.deepEqual(names(p, first.locationId), ['hot', 'main', '__libc_start_call_main']);
    assert.deepEqual(first.value.map(Number), [71, 71 * 10101010]);
    assert.deepEqual(
      first.label.map((l) => [s(l.key), s(l.str), Number(l.num)]),
      [
        ['pid', '', 100],
        ['comm', 'app', 0],
      ],
    );
    assert.deepEqual(names(p, p.sample[1]!.locationId), ['ksys_write', 'do_syscall_64', 'write', 'main']);
  });

  it('deduplicates mappings, locations and functions', () => {
    const p = decodePprof(encodePprof(toPprof(SAMPLES, { frequencyHz: 99 })));
    const s = (i: number | bigint) => p.stringTable.strings[Number(i)];
    // Mappings: app and libc of 100, app of 200, the kernel.
    assert.deepEqual(
      p.mapping.map((m) => [Number(m.id), s(m.filename), s(m.buildId), BigInt(m.memoryStart), BigInt(m.memoryLimit), BigInt(m.fileOffset)]),
      [
        [1, '/opt/app/bin/app', 'aabbccdd', 0x1000n, 0x9000n, 0n],
        [2, '/usr/lib/libc.so.6', '', 0x10000n, 0x20000n, 0x1000n],
        [3, '[kernel.kallsyms]', '0123', 0xffff800000000000n, 0xffffffffffffffffn, 0n],
        [4, '/opt/app/bin/app', 'aabbccdd', 0x1000n, 0x9000n, 0n],
      ],
    );
    // main of process 100 appears in two stacks but is one location; process 200's is its own.
    assert.equal(p.location.length, 8);
    for (const l of p.location) assert.ok(p.mapping.some((m) => m.id == l.mappingId && BigInt(l.address) >= BigInt(m.memoryStart) && BigInt(l.address) < BigInt(m.memoryLimit)));
    const leaf = p.location.find((l) => l.id == p.sample[0]!.locationId[0])!;
    const caller = p.location.find((l) => l.id == p.sample[0]!.locationId[1])!;
    assert.equal(BigInt(leaf.address), 0x1100n, 'the leaf keeps its instruction address');
    assert.equal(BigInt(caller.address), 0x11ffn, 'a caller points into its call instruction');
    // One function per (binary, name): hot and main of the app binary shared by 100 and 200.
    assert.deepEqual(p.function.map((f) => s(f.name)).sort(), ['__libc_start_call_main', 'do_syscall_64', 'hot', 'ksys_write', 'main', 'write']);
    assert.ok(p.function.every((f) => f.name === f.systemName));
  });

  it('writes folded stacks root first, kernel frames marked, identical lines merged, most frequent first', () => {
    assert.equal(
      toFolded([...SAMPLES, { tgid: 300, comm: 'my app;x', count: 5, frames: [] }]),
      [
        'app;__libc_start_call_main;main;hot 71',
        'app;main;write;do_syscall_64_[k];ksys_write_[k] 20',
        'app;main;hot 9',
        'my_app_x 5',
        '',
      ].join('\n'),
    );
  });
});

describe('build-ids', () => {
  it('reads the GNU build-id of an ELF file like readelf does', () => {
    const exe = realpathSync(process.execPath);
    const expected = /Build ID: ([0-9a-f]+)/.exec(execFileSync('readelf', ['-n', exe], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }))?.[1];
    assert.ok(expected, `readelf shows no build-id for ${exe}`);
    assert.equal(ElfFile.open(exe)?.buildId, expected);
    assert.equal(ElfFile.open('/proc/self/status'), undefined);
    assert.equal(ElfFile.open('/nonexistent'), undefined);
  });

  it('reads the running kernel build-id from /sys/kernel/notes', () => {
    assert.match(kernelBuildId() ?? '', /^[0-9a-f]{40}$/);
    const notes = Buffer.from('04000000' + '02000000' + '01000000' + '58595a00' + 'aaaa0000' + '04000000' + '03000000' + '03000000' + '474e5500' + '0a0b0c', 'hex');
    assert.equal(buildIdFromNotes(Buffer.concat([notes, Buffer.alloc(1)])), '0a0b0c');
  });
});
