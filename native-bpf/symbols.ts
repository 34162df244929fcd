// Address -> function name for the profiler's frames.
// User frames: /proc/PID/maps gives the file and file offset, the ELF's PT_LOAD segments turn
// that into a link-time address, and .symtab (else .dynsym) names it; anonymous executable
// memory is looked up in /tmp/perf-PID.map (JITs such as node --perf-basic-prof).
// Kernel frames: /proc/kallsyms. Names are not demangled, and there is no DWARF (inlined
// functions, file:line) yet: that belongs to the profiling pipeline's symbolizer.
import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { basename } from 'node:path';

/** One line of /proc/PID/maps. */
export interface MapEntry {
  start: bigint;
  end: bigint;
  perms: string;
  offset: bigint;
  inode: number;
  path: string;
}

export function parseProcMaps(text: string): MapEntry[] {
  const out: MapEntry[] = [];
  for (const line of text.split('\n')) {
    const m = /^([0-9a-f]+)-([0-9a-f]+)\s+(\S+)\s+([0-9a-f]+)\s+\S+\s+(\d+)\s*(.*)$/.exec(line);
    if (!m) continue;
    out.push({
      start: BigInt('0x' + m[1]),
      end: BigInt('0x' + m[2]),
      perms: m[3]!,
      offset: BigInt('0x' + m[4]),
      inode: Number(m[5]),
      path: m[6]!.trim(),
    });
  }
  return out;
}

/** A sorted table of [start, size) -> name ranges with binary search. */
export class SymbolTable {
  private readonly starts: BigUint64Array;
  private readonly sizes: BigUint64Array;
  private readonly names: string[];

  constructor(entries: { addr: bigint; size: bigint; name: string }[]) {
    const sorted = [...entries].sort((a, b) => (a.addr < b.addr ? -1 : a.addr > b.addr ? 1 : 0));
    this.starts = new BigUint64Array(sorted.length);
    this.sizes = new BigUint64Array(sorted.length);
    this.names = new Array<string>(sorted.length);
    sorted.forEach((e, i) => {
      this.starts[i] = e.addr;
      this.sizes[i] = e.size;
      this.names[i] = e.name;
    });
  }

  get size(): number {
    return this.names.length;
  }

  /**
   * The symbol containing addr. A symbol of size 0 (kallsyms gives no sizes) extends to the
   * next symbol; `maxGap` bounds how far, so an address past the last symbol stays unnamed.
   */
  lookup(addr: bigint, maxGap = 1n << 20n): string | undefined {
    let lo = 0;
    let hi = this.starts.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.starts[mid]! <= addr) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    // Several symbols may share an address (aliases); any containing one will do, so walk back
    // over zero-size or too-short neighbours to a sized symbol that covers addr.
    for (let i = found; i >= 0 && this.starts[i] === this.starts[found]; i--) {
      const size = this.sizes[i]!;
      if (size > 0n && addr < this.starts[i]! + size) return this.names[i];
    }
    if (found >= 0 && this.sizes[found] === 0n && addr - this.starts[found]! < maxGap) return this.names[found];
    return undefined;
  }
}

const PT_LOAD = 1;
const SHT_SYMTAB = 2;
const SHT_DYNSYM = 11;
const STT_FUNC = 2;
const STT_GNU_IFUNC = 10;

interface LoadSegment {
  offset: bigint;
  vaddr: bigint;
  filesz: bigint;
}

/** Function symbols and load segments of one ELF64 little-endian file (read, never mapped). */
export class ElfFile {
  private constructor(
    readonly path: string,
    readonly segments: LoadSegment[],
    readonly symbols: SymbolTable,
  ) {}

  /** Parses `path`; undefined if it is not a readable ELF64 little-endian file. */
  static open(path: string): ElfFile | undefined {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch {
      return undefined;
    }
    try {
      return ElfFile.parse(path, fd);
    } catch {
      return undefined;
    } finally {
      closeSync(fd);
    }
  }

  private static parse(path: string, fd: number): ElfFile | undefined {
    const read = (pos: bigint, len: number): Buffer => {
      const b = Buffer.alloc(len);
      const n = readSync(fd, b, 0, len, Number(pos));
      if (n !== len) throw new Error(`${path}: short read at ${pos}`);
      return b;
    };
    const eh = read(0n, 64);
    if (eh.readUInt32BE(0) !== 0x7f454c46 || eh[4] !== 2 || eh[5] !== 1) return undefined;
    const phoff = eh.readBigUInt64LE(0x20);
    const shoff = eh.readBigUInt64LE(0x28);
    const phentsize = eh.readUInt16LE(0x36);
    const phnum = eh.readUInt16LE(0x38);
    const shentsize = eh.readUInt16LE(0x3a);
    const shnum = eh.readUInt16LE(0x3c);

    const segments: LoadSegment[] = [];
    if (phnum > 0) {
      const ph = read(phoff, phentsize * phnum);
      for (let i = 0; i < phnum; i++) {
        const o = i * phentsize;
        if (ph.readUInt32LE(o) !== PT_LOAD) continue;
        segments.push({
          offset: ph.readBigUInt64LE(o + 8),
          vaddr: ph.readBigUInt64LE(o + 16),
          filesz: ph.readBigUInt64LE(o + 32),
        });
      }
    }

    const sections: { type: number; offset: bigint; size: bigint; link: number; entsize: bigint }[] = [];
    if (shnum > 0 && shoff > 0n) {
      const sh = read(shoff, shentsize * shnum);
      for (let i = 0; i < shnum; i++) {
        const o = i * shentsize;
        sections.push({
          type: sh.readUInt32LE(o + 4),
          offset: sh.readBigUInt64LE(o + 24),
          size: sh.readBigUInt64LE(o + 32),
          link: sh.readUInt32LE(o + 40),
          entsize: sh.readBigUInt64LE(o + 56),
        });
      }
    }
    // .symtab has every function; stripped files keep only .dynsym.
    const symtab = sections.find((s) => s.type === SHT_SYMTAB) ?? sections.find((s) => s.type === SHT_DYNSYM);
    const entries: { addr: bigint; size: bigint; name: string }[] = [];
    if (symtab && symtab.size > 0n && symtab.link < sections.length) {
      const strtab = sections[symtab.link]!;
      const syms = read(symtab.offset, Number(symtab.size));
      const strs = read(strtab.offset, Number(strtab.size));
      const entsize = Number(symtab.entsize) || 24;
      for (let o = 0; o + 24 <= syms.length; o += entsize) {
        const type = syms[o + 4]! & 0xf;
        const shndx = syms.readUInt16LE(o + 6);
        if ((type !== STT_FUNC && type !== STT_GNU_IFUNC) || shndx === 0) continue;
        const value = syms.readBigUInt64LE(o + 8);
        if (value === 0n) continue;
        const nameOff = syms.readUInt32LE(o);
        const end = strs.indexOf(0, nameOff);
        entries.push({ addr: value, size: syms.readBigUInt64LE(o + 16), name: strs.toString('utf8', nameOff, end < 0 ? undefined : end) });
      }
    }
    return new ElfFile(path, segments, new SymbolTable(entries));
  }

  /** Link-time virtual address of a file offset, via the PT_LOAD segment holding it. */
  fileOffsetToVaddr(off: bigint): bigint | undefined {
    for (const s of this.segments) {
      if (off >= s.offset && off < s.offset + s.filesz) return off - s.offset + s.vaddr;
    }
    return undefined;
  }
}

/** ELF files parsed once and shared by every process that maps them. */
export class ElfCache {
  private readonly files = new Map<string, ElfFile | undefined>();

  get(path: string): ElfFile | undefined {
    let key = path;
    try {
      const st = statSync(path);
      key = `${st.dev}:${st.ino}:${st.mtimeMs}`;
    } catch {
      return undefined;
    }
    if (!this.files.has(key)) this.files.set(key, ElfFile.open(path));
    return this.files.get(key);
  }
}

function hex(addr: bigint): string {
  return '0x' + addr.toString(16);
}

/** Symbolizes user addresses of one process. Read /proc/PID/maps while the process is alive. */
export class ProcessSymbolizer {
  private readonly maps: MapEntry[];
  private perfMap: SymbolTable | undefined;
  private perfMapLoaded = false;

  constructor(
    readonly pid: number,
    private readonly elves: ElfCache,
  ) {
    let text = '';
    try {
      text = readFileSync(`/proc/${pid}/maps`, 'utf8');
    } catch {
      // The process exited: its frames come out as raw addresses.
    }
    this.maps = parseProcMaps(text);
  }

  /** `isReturnAddress`: the frame is a caller's return address, so look up addr - 1. */
  symbolize(addr: bigint, isReturnAddress: boolean): string {
    const a = isReturnAddress && addr > 0n ? addr - 1n : addr;
    const m = this.maps.find((e) => a >= e.start && a < e.end);
    if (!m || m.inode === 0 || !m.path.startsWith('/')) {
      return this.perfMapLookup(a) ?? (m?.path ? `${m.path}+${hex(a - m.start)}` : hex(addr));
    }
    const off = a - m.start + m.offset;
    // /proc/PID/root/... reaches files inside the process's mount namespace (containers).
    const elf = this.elves.get(`/proc/${this.pid}/root${m.path}`) ?? this.elves.get(m.path);
    const vaddr = elf?.fileOffsetToVaddr(off);
    const name = vaddr === undefined ? undefined : elf!.symbols.lookup(vaddr, 0n);
    return name ?? `${basename(m.path)}+${hex(off)}`;
  }

  private perfMapLookup(addr: bigint): string | undefined {
    if (!this.perfMapLoaded) {
      this.perfMapLoaded = true;
      try {
        const entries: { addr: bigint; size: bigint; name: string }[] = [];
        for (const line of readFileSync(`/tmp/perf-${this.pid}.map`, 'utf8').split('\n')) {
          const m = /^([0-9a-fA-F]+)\s+([0-9a-fA-F]+)\s+(.+)$/.exec(line);
          if (m) entries.push({ addr: BigInt('0x' + m[1]), size: BigInt('0x' + m[2]), name: m[3]! });
        }
        this.perfMap = new SymbolTable(entries);
      } catch {
        this.perfMap = undefined;
      }
    }
    return this.perfMap?.lookup(addr, 0n);
  }
}

/** Kernel text symbols from /proc/kallsyms (all addresses read as 0 without CAP_SYSLOG). */
export class KernelSymbolizer {
  private readonly table: SymbolTable;

  constructor(kallsyms?: string) {
    const text = kallsyms ?? readFileSync('/proc/kallsyms', 'utf8');
    const entries: { addr: bigint; size: bigint; name: string }[] = [];
    for (const line of text.split('\n')) {
      const m = /^([0-9a-f]+) ([tTwW]) (\S+)/.exec(line);
      if (!m) continue;
      const addr = BigInt('0x' + m[1]);
      if (addr !== 0n) entries.push({ addr, size: 0n, name: m[3]! });
    }
    this.table = new SymbolTable(entries);
  }

  get size(): number {
    return this.table.size;
  }

  symbolize(addr: bigint, isReturnAddress: boolean): string {
    const a = isReturnAddress && addr > 0n ? addr - 1n : addr;
    const name = this.table.lookup(a);
    if (name) return name;
    // x86-64 module space, where BPF JIT images live too: a frame of a module or BPF program
    // unloaded since the sample (e.g. another tracer that has stopped) has no kallsyms entry left.
    if (a >= MODULE_SPACE_START && a < MODULE_SPACE_END) return `[unloaded module or bpf]+${hex(addr)}`;
    return hex(addr);
  }
}

const MODULE_SPACE_START = 0xffffffffa0000000n;
const MODULE_SPACE_END = 0xffffffffff000000n;
