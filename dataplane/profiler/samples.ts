// Drained stacks (native-bpf's Stack: addresses, or (build-id, offset) frames) -> symbolized
// samples that keep, per frame, the address, the name and the mapping (with its build-id), so the
// same samples can be written as pprof (locations, mappings) or as folded stacks (names only).
// Naming is native-bpf/symbols.ts's Symbolizer.
// add() runs after every drain and only merges counts and snapshots the mappings of processes
// it has not seen (while they are alive); names are resolved once per distinct address when
// samples() is asked for, which keeps the agent's steady-state CPU low.
import { Symbolizer, type MappingInfo, type ResolvedFrame, type Stack, type UserStack } from '../../native-bpf/index.js';

export type { MappingInfo } from '../../native-bpf/index.js';

export interface Frame {
  /** Function name (C++ demangled), or "file+0xOFFSET" / "0xADDR" when it could not be named. */
  name: string;
  /** The symbol as the binary spells it (mangled); `name` when absent. */
  systemName?: string;
  /** The sampled address: the instruction for the leaf, the return address for callers. */
  address: bigint;
  kernel: boolean;
  mapping: MappingInfo | undefined;
}

export interface SymbolizedSample {
  tgid: number;
  comm: string;
  count: number;
  /** Leaf first (as pprof wants): kernel frames, then user frames. */
  frames: Frame[];
}

interface RawStack extends UserStack {
  comm: string;
  count: number;
  kernFrames: BigUint64Array;
  symbolized?: SymbolizedSample;
}

export class SampleCollector {
  private readonly byKey = new Map<string, RawStack>();
  private totalCount = 0;

  constructor(private readonly symbolizer = new Symbolizer()) {}

  /** Call right after each drain. Identical stacks (same process, comm and frames) merge. */
  add(stacks: Stack[]): void {
    for (const s of stacks) {
      this.totalCount += s.count;
      const buildIds = s.userBuildIds ? `|${Buffer.from(s.userBuildIds.buffer, s.userBuildIds.byteOffset, s.userBuildIds.length).toString('hex')}|${s.userFrameStatus!.join('')}` : '';
      const key = `${s.tgid}|${s.comm}|${s.userFrames.join(',')}${buildIds}|${s.kernFrames.join(',')}`;
      const seen = this.byKey.get(key);
      if (seen) {
        seen.count += s.count;
        if (seen.symbolized) seen.symbolized.count = seen.count;
        continue;
      }
      // Copies: the drained arrays are views into the whole batch.
      this.byKey.set(key, {
        tgid: s.tgid,
        comm: s.comm,
        count: s.count,
        userFrames: s.userFrames.slice(),
        ...(s.userBuildIds ? { userBuildIds: s.userBuildIds.slice(), userFrameStatus: s.userFrameStatus!.slice() } : {}),
        kernFrames: s.kernFrames.slice(),
      });
      this.symbolizer.observe(s.tgid, Symbolizer.firstAddress(s));
    }
  }

  /** Every distinct stack so far, in first-seen order, symbolized (each address once). */
  samples(): SymbolizedSample[] {
    const out: SymbolizedSample[] = [];
    for (const raw of this.byKey.values()) {
      raw.symbolized ??= { tgid: raw.tgid, comm: raw.comm, count: raw.count, frames: this.frames(raw) };
      out.push(raw.symbolized);
    }
    return out;
  }

  /** Samples added so far. */
  get total(): number {
    return this.totalCount;
  }

  private frames(s: RawStack): Frame[] {
    const out: Frame[] = [];
    const frame = (f: ResolvedFrame, kernel: boolean): Frame => ({ name: f.name, systemName: f.systemName, address: f.address, kernel, mapping: f.mapping });
    s.kernFrames.forEach((address, i) => out.push(frame(this.symbolizer.kernel(address, i > 0), true)));
    // User frame 0 is where the task was (or entered the kernel); the rest are return addresses.
    for (let i = 0; i < s.userFrames.length; i++) out.push(frame(this.symbolizer.userFrame(s, i), false));
    return out;
  }
}
