// Symbolized samples -> a pprof Profile (pprof-format), and back from bytes.
// Sample types: samples/count and cpu/nanoseconds (count x period); period = 1e9 / frequency.
// Mappings, locations and functions are deduplicated: a location per (mapping, address), a
// function per (binary, symbol), named demangled with the symbol as its systemName. Every sample
// carries `pid` and `comm` labels, so one profile can hold many processes (each with its own
// mappings).
import { gunzipSync, gzipSync } from 'node:zlib';
import { Function as PprofFunction, Label, Line, Location, Mapping, Profile, Sample, StringTable, ValueType } from 'pprof-format';
import type { MappingInfo, SymbolizedSample } from './samples.js';

export interface PprofOptions {
  /** Sampling frequency per CPU; the period of one sample is 1e9 / frequencyHz ns. */
  frequencyHz: number;
  /** When sampling started, ns since the epoch. */
  timeNanos?: bigint;
  durationNanos?: bigint;
  /** Free-form lines (e.g. loss counters) stored as the profile's comments. */
  comments?: string[];
}

export function samplePeriodNs(frequencyHz: number): number {
  return Math.round(1e9 / frequencyHz);
}

export function toPprof(samples: SymbolizedSample[], opts: PprofOptions): Profile {
  const strings = new StringTable();
  const str = (s: string) => strings.dedup(s);
  const period = samplePeriodNs(opts.frequencyHz);

  const mappings = new Map<string, Mapping>();
  const mappingOf = (m: MappingInfo): Mapping => {
    let out = mappings.get(m.key);
    if (!out) {
      out = new Mapping({
        id: mappings.size + 1,
        memoryStart: m.start,
        memoryLimit: m.end,
        fileOffset: m.fileOffset,
        filename: str(m.path),
        buildId: str(m.buildId),
        hasFunctions: true,
      });
      mappings.set(m.key, out);
    }
    return out;
  };

  const functions = new Map<string, PprofFunction>();
  const functionOf = (name: string, systemName: string, binary: string): PprofFunction => {
    const key = `${binary}\0${systemName}`;
    let out = functions.get(key);
    if (!out) {
      out = new PprofFunction({ id: functions.size + 1, name: str(name), systemName: str(systemName) });
      functions.set(key, out);
    }
    return out;
  };

  const locations = new Map<string, Location>();
  const merged = new Map<string, Sample>();
  const pidKey = str('pid');
  const commKey = str('comm');

  for (const s of samples) {
    const locationIds: number[] = [];
    s.frames.forEach((f, i) => {
      // pprof: a caller's address should fall inside its call instruction, so step back one byte.
      const address = i > 0 && f.address > 0n ? f.address - 1n : f.address;
      const mapping = f.mapping ? mappingOf(f.mapping) : undefined;
      const key = `${f.mapping?.key ?? (f.kernel ? 'kernel' : `${s.tgid}:?`)}@${address}`;
      let loc = locations.get(key);
      if (!loc) {
        const fn = functionOf(f.name, f.systemName ?? f.name, f.mapping?.path ?? (f.kernel ? '[kernel.kallsyms]' : ''));
        loc = new Location({ id: locations.size + 1, mappingId: mapping?.id ?? 0, address, line: [new Line({ functionId: fn.id })] });
        locations.set(key, loc);
      }
      locationIds.push(loc.id as number);
    });
    const sampleKey = `${s.tgid}|${s.comm}|${locationIds.join(',')}`;
    const seen = merged.get(sampleKey);
    if (seen) {
      seen.value[0] = (seen.value[0] as number) + s.count;
      seen.value[1] = (seen.value[1] as number) + s.count * period;
      continue;
    }
    merged.set(
      sampleKey,
      new Sample({
        locationId: locationIds,
        value: [s.count, s.count * period],
        label: [new Label({ key: pidKey, num: s.tgid }), new Label({ key: commKey, str: str(s.comm) })],
      }),
    );
  }

  const cpu = str('cpu');
  const nanoseconds = str('nanoseconds');
  return new Profile({
    sampleType: [new ValueType({ type: str('samples'), unit: str('count') }), new ValueType({ type: cpu, unit: nanoseconds })],
    sample: [...merged.values()],
    mapping: [...mappings.values()],
    location: [...locations.values()],
    function: [...functions.values()],
    stringTable: strings,
    timeNanos: opts.timeNanos ?? 0,
    durationNanos: opts.durationNanos ?? 0,
    periodType: new ValueType({ type: cpu, unit: nanoseconds }),
    period,
    comment: (opts.comments ?? []).map(str),
    defaultSampleType: cpu,
  });
}

/** The gzip-compressed protobuf that `go tool pprof` and other pprof readers take. */
export function encodePprof(profile: Profile): Buffer {
  return gzipSync(profile.encode());
}

/** Decodes a pprof file, gzip-compressed or not. */
export function decodePprof(bytes: Uint8Array): Profile {
  const raw = bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes;
  return Profile.decode(raw);
}
