// A deterministic tar writer: the bytes depend only on the entries given (path, kind, mode,
// owner, content), never on the clock, the file system's order or who runs the build. Every
// entry gets the same mtime; names longer than ustar holds go into a PAX header. Layers and the
// OCI archive itself are written with it, so the same inputs give the same digests.

export type TarEntry =
  | { kind: 'dir'; path: string; mode: number; uid: number; gid: number }
  | { kind: 'file'; path: string; mode: number; uid: number; gid: number; data: Buffer }
  | { kind: 'symlink'; path: string; target: string; uid: number; gid: number }
  | { kind: 'hardlink'; path: string; target: string; mode: number; uid: number; gid: number };

const BLOCK = 512;
const TYPEFLAG = { file: '0', hardlink: '1', symlink: '2', dir: '5', pax: 'x' } as const;

export class TarError extends Error {
  override readonly name = 'TarError';
}

function octal(value: number, width: number): string {
  const text = value.toString(8);
  if (text.length > width - 1) throw new TarError(`${value} does not fit a ${width}-byte tar field`);
  return text.padStart(width - 1, '0') + '\0';
}

function header(fields: { name: string; mode: number; uid: number; gid: number; size: number; mtime: number; type: string; linkname: string }): Buffer {
  const h = Buffer.alloc(BLOCK);
  h.write(fields.name, 0, 100, 'utf8');
  h.write(octal(fields.mode, 8), 100, 'ascii');
  h.write(octal(fields.uid, 8), 108, 'ascii');
  h.write(octal(fields.gid, 8), 116, 'ascii');
  h.write(octal(fields.size, 12), 124, 'ascii');
  h.write(octal(fields.mtime, 12), 136, 'ascii');
  h.write(' '.repeat(8), 148, 'ascii');
  h.write(fields.type, 156, 'ascii');
  h.write(fields.linkname, 157, 100, 'utf8');
  h.write('ustar\0' + '00', 257, 'ascii');
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(octal(sum, 7) + ' ', 148, 'ascii');
  return h;
}

const padding = (size: number): Buffer => Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK);

/** One PAX record: "<length> <key>=<value>\n", where length counts the whole record. */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let length = Buffer.byteLength(body) + 1;
  while (String(length).length + Buffer.byteLength(body) !== length) length = String(length).length + Buffer.byteLength(body);
  return `${length}${body}`;
}

const fitsUstar = (text: string): boolean => Buffer.byteLength(text) < 100;

/** The archive: entries in the order given (callers sort them), each with mtime `mtime` (seconds). */
export function writeTar(entries: readonly TarEntry[], mtime: number): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const name = e.kind === 'dir' ? `${e.path}/` : e.path;
    const linkname = e.kind === 'symlink' || e.kind === 'hardlink' ? e.target : '';
    const pax = [...(fitsUstar(name) ? [] : [paxRecord('path', name)]), ...(fitsUstar(linkname) ? [] : [paxRecord('linkpath', linkname)])].join('');
    if (pax) {
      const body = Buffer.from(pax, 'utf8');
      parts.push(header({ name: 'PaxHeader', mode: 0o644, uid: 0, gid: 0, size: body.length, mtime, type: TYPEFLAG.pax, linkname: '' }), body, padding(body.length));
    }
    const size = e.kind === 'file' ? e.data.length : 0;
    const mode = e.kind === 'symlink' ? 0o777 : e.mode;
    parts.push(header({ name: fitsUstar(name) ? name : name.slice(0, 99), mode, uid: e.uid, gid: e.gid, size, mtime, type: TYPEFLAG[e.kind], linkname: fitsUstar(linkname) ? linkname : linkname.slice(0, 99) }));
    if (e.kind === 'file') parts.push(e.data, padding(size));
  }
  parts.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(parts);
}
