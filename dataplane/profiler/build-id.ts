// GNU build-ids (NT_GNU_BUILD_ID notes): of ELF files, from their PT_NOTE segments, and of the
// running kernel, from /sys/kernel/notes. The profiling pipeline keys debug info by them.
import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';

const PT_NOTE = 4;
const NT_GNU_BUILD_ID = 3;

/** The GNU build-id (lowercase hex) in a buffer of ELF notes, or undefined. */
export function buildIdFromNotes(notes: Buffer, align = 4): string | undefined {
  const pad = (n: number) => (n + align - 1) & ~(align - 1);
  let o = 0;
  while (o + 12 <= notes.length) {
    const namesz = notes.readUInt32LE(o);
    const descsz = notes.readUInt32LE(o + 4);
    const type = notes.readUInt32LE(o + 8);
    const nameAt = o + 12;
    const descAt = nameAt + pad(namesz);
    if (descAt + descsz > notes.length) return undefined;
    if (type === NT_GNU_BUILD_ID && namesz === 4 && notes.toString('latin1', nameAt, nameAt + 3) === 'GNU') {
      return notes.toString('hex', descAt, descAt + descsz);
    }
    o = descAt + pad(descsz);
  }
  return undefined;
}

/** The build-id of an ELF64 little-endian file; undefined if it has none or is not one. */
export function readElfBuildId(path: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return undefined;
  }
  try {
    const read = (pos: number, len: number): Buffer | undefined => {
      const b = Buffer.alloc(len);
      return readSync(fd, b, 0, len, pos) === len ? b : undefined;
    };
    const eh = read(0, 64);
    if (!eh || eh.readUInt32BE(0) !== 0x7f454c46 || eh[4] !== 2 || eh[5] !== 1) return undefined;
    const phoff = Number(eh.readBigUInt64LE(0x20));
    const phentsize = eh.readUInt16LE(0x36);
    const phnum = eh.readUInt16LE(0x38);
    const ph = read(phoff, phentsize * phnum);
    if (!ph) return undefined;
    for (let i = 0; i < phnum; i++) {
      const p = i * phentsize;
      if (ph.readUInt32LE(p) !== PT_NOTE) continue;
      const size = Number(ph.readBigUInt64LE(p + 32));
      const notes = size > 0 && size < 1 << 20 ? read(Number(ph.readBigUInt64LE(p + 8)), size) : undefined;
      const align = Number(ph.readBigUInt64LE(p + 48)) === 8 ? 8 : 4;
      const id = notes && buildIdFromNotes(notes, align);
      if (id) return id;
    }
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** Build-ids by file identity (device, inode, mtime), so each file is read once. */
export class BuildIdCache {
  private readonly ids = new Map<string, string | undefined>();

  get(path: string): string | undefined {
    let key: string;
    try {
      const st = statSync(path);
      key = `${st.dev}:${st.ino}:${st.mtimeMs}`;
    } catch {
      return undefined;
    }
    if (!this.ids.has(key)) this.ids.set(key, readElfBuildId(path));
    return this.ids.get(key);
  }
}

/** The running kernel's build-id; undefined where /sys/kernel/notes is not readable. */
export function kernelBuildId(): string | undefined {
  try {
    return buildIdFromNotes(readFileSync('/sys/kernel/notes'));
  } catch {
    return undefined;
  }
}
