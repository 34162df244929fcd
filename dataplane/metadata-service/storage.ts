// Where `loupe metadata` keeps what must outlive it (the agent registry, agents.ts), as
// spec.metadata.storage says: `memory` (lost on restart), `persistent` (files on the volume the
// Vizier mounts at /var/lib/loupe, written atomically), `etcd` (etcd-store.ts). The Kubernetes
// objects are not stored: after a restart the service lists them again, and agents list again
// from it (its versions name the run, wire.ts).
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';

export interface MetadataStore {
  /** For logs and errors: "memory", "file /var/lib/loupe", "etcd https://...". */
  readonly description: string;
  get(key: string): Promise<string | undefined>;
  put(key: string, value: string): Promise<void>;
  delete(key: string): Promise<void>;
  /** Every key starting with `prefix`, with its value. */
  list(prefix: string): Promise<Map<string, string>>;
  close(): Promise<void>;
}

/** Keys are paths of safe segments ("agents/pem-node-1-123"), the same in every store. */
export function checkKey(key: string): void {
  if (!/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/.test(key) || key.split('/').some((s) => s === '.' || s === '..')) {
    throw new Error(`metadata store key "${key}": use letters, digits, '.', '_', '-' in '/'-separated segments`);
  }
}

export class MemoryStore implements MetadataStore {
  readonly description = 'memory (lost on restart)';
  private readonly values = new Map<string, string>();

  async get(key: string): Promise<string | undefined> {
    checkKey(key);
    return this.values.get(key);
  }

  async put(key: string, value: string): Promise<void> {
    checkKey(key);
    this.values.set(key, value);
  }

  async delete(key: string): Promise<void> {
    this.values.delete(key);
  }

  async list(prefix: string): Promise<Map<string, string>> {
    return new Map([...this.values].filter(([k]) => k.startsWith(prefix)).sort(([a], [b]) => a.localeCompare(b)));
  }

  async close(): Promise<void> {}
}

/**
 * One file per key under `dir` ("agents/x" → DIR/agents/x), each written to a temporary file,
 * synced, then renamed over the old one, and the directory synced: a crash leaves the old value
 * or the new one, never half of either.
 */
export class FileStore implements MetadataStore {
  readonly description: string;

  private constructor(private readonly dir: string) {
    this.description = `files under ${dir}`;
  }

  /** Creates `dir` if needed and checks that it can write there; the error names the directory. */
  static async open(dir: string): Promise<FileStore> {
    const store = new FileStore(dir);
    try {
      await mkdir(dir, { recursive: true });
      await store.put('.write-check', String(Date.now()));
      await store.delete('.write-check');
    } catch (err) {
      throw new Error(`cannot write the metadata store in ${dir}: ${(err as Error).message}; mount a writable volume there or pass --data-dir DIR`);
    }
    return store;
  }

  async get(key: string): Promise<string | undefined> {
    checkKey(key);
    try {
      return await readFile(join(this.dir, key), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async put(key: string, value: string): Promise<void> {
    checkKey(key);
    const path = join(this.dir, key);
    const parent = join(path, '..');
    await mkdir(parent, { recursive: true });
    const tmp = `${path}.${process.pid}.tmp`;
    const f = await open(tmp, 'w', 0o600);
    try {
      await f.writeFile(value);
      await f.sync();
    } finally {
      await f.close();
    }
    await rename(tmp, path);
    await syncDir(parent);
  }

  async delete(key: string): Promise<void> {
    checkKey(key);
    const path = join(this.dir, key);
    await rm(path, { force: true });
    await syncDir(join(path, '..'));
  }

  async list(prefix: string): Promise<Map<string, string>> {
    const slash = prefix.lastIndexOf('/');
    const sub = slash < 0 ? '' : prefix.slice(0, slash);
    let names: string[];
    try {
      names = (await readdir(join(this.dir, sub), { recursive: true, withFileTypes: true }))
        .filter((d) => d.isFile() && !d.name.endsWith('.tmp'))
        .map((d) => join(d.parentPath, d.name).slice(this.dir.length + 1));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
      throw err;
    }
    const out = new Map<string, string>();
    for (const key of names.filter((k) => k.startsWith(prefix)).sort()) {
      const value = await this.get(key);
      if (value !== undefined) out.set(key, value);
    }
    return out;
  }

  async close(): Promise<void> {}
}

async function syncDir(dir: string): Promise<void> {
  const d = await open(dir, 'r');
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}
