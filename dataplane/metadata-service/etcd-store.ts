// The metadata store in etcd (spec.metadata.storage: etcd), through etcd's own JSON API: the
// gRPC gateway every etcd v3 server (3.4 on) answers at its client URL under /v3/ (kv/range,
// kv/put, kv/deleterange; keys and values base64). Three calls, so no client library: Node's
// HTTP(S) client, with the Vizier's internal certificate for etcd's client-cert-auth.
//
// Keys live under /loupe/metadata/. Each call tries the endpoints in turn, so one member down
// is not an outage.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { checkKey, type MetadataStore } from './storage.js';

const ROOT = '/loupe/metadata/';

export interface EtcdTls {
  readonly ca: Buffer;
  readonly cert: Buffer;
  readonly key: Buffer;
}

export interface EtcdStoreOptions {
  /** Client URLs, e.g. ["https://vz-etcd.ns.svc:2379"]. */
  readonly endpoints: readonly URL[];
  /** For https endpoints: the CA that signed etcd's certificate and this client's certificate. */
  readonly tls?: EtcdTls;
  /** Per request (default 5 s). */
  readonly timeoutMs?: number;
}

const b64 = (s: string) => Buffer.from(s).toString('base64');
const unb64 = (s: string) => Buffer.from(s, 'base64').toString('utf8');

/** The key just past every key with this prefix: etcd's range_end for a prefix. */
function prefixEnd(prefix: string): string {
  const bytes = Buffer.from(prefix);
  for (let i = bytes.length - 1; i >= 0; i--) {
    if (bytes[i]! < 0xff) {
      const end = bytes.subarray(0, i + 1);
      end[i]!++;
      return end.toString('base64');
    }
  }
  return b64('\0');
}

export class EtcdStore implements MetadataStore {
  readonly description: string;
  private readonly timeoutMs: number;

  private constructor(private readonly opts: EtcdStoreOptions) {
    this.description = `etcd ${opts.endpoints.map((u) => u.origin).join(',')}`;
    this.timeoutMs = opts.timeoutMs ?? 5_000;
  }

  /** Checks that etcd answers (one read); the error names the endpoints. */
  static async open(opts: EtcdStoreOptions): Promise<EtcdStore> {
    const store = new EtcdStore(opts);
    try {
      await store.list('.check');
    } catch (err) {
      throw new Error(`cannot reach etcd at ${opts.endpoints.map((u) => u.origin).join(', ')} ($LOUPE_ETCD_ENDPOINTS): ${(err as Error).message}`);
    }
    return store;
  }

  async get(key: string): Promise<string | undefined> {
    checkKey(key);
    const r = (await this.call('/v3/kv/range', { key: b64(ROOT + key) })) as { kvs?: { value?: string }[] };
    const v = r.kvs?.[0]?.value;
    return r.kvs?.length ? unb64(v ?? '') : undefined;
  }

  async put(key: string, value: string): Promise<void> {
    checkKey(key);
    await this.call('/v3/kv/put', { key: b64(ROOT + key), value: b64(value) });
  }

  async delete(key: string): Promise<void> {
    checkKey(key);
    await this.call('/v3/kv/deleterange', { key: b64(ROOT + key) });
  }

  async list(prefix: string): Promise<Map<string, string>> {
    const r = (await this.call('/v3/kv/range', { key: b64(ROOT + prefix), range_end: prefixEnd(ROOT + prefix) })) as { kvs?: { key: string; value?: string }[] };
    const out = new Map<string, string>();
    for (const kv of r.kvs ?? []) out.set(unb64(kv.key).slice(ROOT.length), unb64(kv.value ?? ''));
    return out;
  }

  async close(): Promise<void> {}

  /** POSTs to each endpoint in turn until one answers 200. */
  private async call(path: string, body: object): Promise<unknown> {
    const errors: string[] = [];
    for (const endpoint of this.opts.endpoints) {
      try {
        return await this.post(new URL(path, endpoint), JSON.stringify(body));
      } catch (err) {
        errors.push(`${endpoint.origin}: ${(err as Error).message}`);
      }
    }
    throw new Error(errors.join('; '));
  }

  private post(url: URL, body: string): Promise<unknown> {
    const https = url.protocol === 'https:';
    const tls = https && this.opts.tls ? { ca: this.opts.tls.ca, cert: this.opts.tls.cert, key: this.opts.tls.key } : {};
    return new Promise((resolve, reject) => {
      const req = (https ? httpsRequest : httpRequest)(url, { method: 'POST', headers: { 'content-type': 'application/json' }, timeout: this.timeoutMs, ...tls }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if (res.statusCode !== 200) return reject(new Error(`HTTP ${res.statusCode}: ${text.trim().slice(0, 300)}`));
          try {
            resolve(JSON.parse(text));
          } catch {
            reject(new Error(`not JSON: ${text.slice(0, 200)}`));
          }
        });
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.timeoutMs} ms`)));
      req.on('error', reject);
      req.end(body);
    });
  }
}
