// A directory tree as tar entries, in one fixed order (byte order of the path), so a layer does
// not depend on the order the file system lists a folder in. Hard links inside the tree become
// tar hard links to the first path (in that order) that names the file.
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { TarError, type TarEntry } from './tar.js';

export interface TreeOptions {
  /** Where the tree goes in the image ("" for the root, "opt/loupe" for a folder). */
  prefix: string;
  /**
   * Owner and permissions: 'keep' takes them from the file system (a root file system that
   * the Debian packages laid out as root); 'normalize' makes everything root:root, folders and
   * executables 0755 and the rest 0644 (a checkout, whose modes follow the umask).
   */
  owners: 'keep' | 'normalize';
}

const byBytes = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

export function treeEntries(root: string, options: TreeOptions): TarEntry[] {
  const out: TarEntry[] = [];
  const seen = new Map<string, string>();
  const at = (rel: string) => (options.prefix ? (rel ? `${options.prefix}/${rel}` : options.prefix) : rel);
  const visit = (rel: string): void => {
    const abs = rel ? join(root, rel) : root;
    const st = lstatSync(abs);
    const keep = options.owners === 'keep';
    const uid = keep ? st.uid : 0;
    const gid = keep ? st.gid : 0;
    const path = at(rel);
    if (st.isDirectory()) {
      if (path) out.push({ kind: 'dir', path, mode: keep ? st.mode & 0o7777 : 0o755, uid, gid });
      for (const name of readdirSync(abs).sort(byBytes)) visit(rel ? `${rel}/${name}` : name);
    } else if (st.isSymbolicLink()) {
      out.push({ kind: 'symlink', path, target: readlinkSync(abs), uid, gid });
    } else if (st.isFile()) {
      const mode = keep ? st.mode & 0o7777 : st.mode & 0o111 ? 0o755 : 0o644;
      const inode = `${st.dev}:${st.ino}`;
      const first = st.nlink > 1 ? seen.get(inode) : undefined;
      if (first) out.push({ kind: 'hardlink', path, target: first, mode, uid, gid });
      else {
        if (st.nlink > 1) seen.set(inode, path);
        out.push({ kind: 'file', path, mode, uid, gid, data: readFileSync(abs) });
      }
    } else {
      throw new TarError(`${abs}: not a file, folder or symbolic link; an image layer holds no device nodes, sockets or pipes (the runtime provides /dev)`);
    }
  };
  visit('');
  return out;
}

/** The folders above `path` ("opt", "opt/loupe" for "opt/loupe/dist"), so a layer names every parent. */
export function parentDirs(path: string): TarEntry[] {
  const parts = path.split('/');
  return parts.slice(0, -1).map((_, i) => ({ kind: 'dir' as const, path: parts.slice(0, i + 1).join('/'), mode: 0o755, uid: 0, gid: 0 }));
}
