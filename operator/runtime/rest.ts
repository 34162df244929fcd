// JSON over HTTP(S) to the API server, authenticated from a KubeConfig. client-node's generated
// clients only cover built-in kinds; this reaches any group/version/plural.
import http from 'node:http';
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { apiErrorFromResponse } from '../../lib/kube/api-error.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface ApiRequest {
  method: HttpMethod;
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  /** Defaults to application/json when there is a body. */
  contentType?: string;
  /** What the request is about, for error messages, e.g. "Deployment pl/vz-kelvin". */
  object?: string;
  signal?: AbortSignal;
}

export interface KubeTransportOptions {
  /** Per-request timeout. Default 30 s. */
  timeoutMs?: number;
}

export class KubeTransport {
  private agent?: http.Agent;
  private readonly timeoutMs: number;

  constructor(
    readonly kc: KubeConfig,
    opts: KubeTransportOptions = {},
  ) {
    this.timeoutMs = opts.timeoutMs ?? 30_000;
  }

  /** Sends the request; resolves with the parsed JSON body of a 2xx answer, else throws ApiError. */
  async request(req: ApiRequest): Promise<unknown> {
    req.signal?.throwIfAborted();
    const cluster = this.kc.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig has no current cluster: set current-context');
    const url = new URL(cluster.server.replace(/\/+$/, '') + req.path);
    for (const [k, v] of Object.entries(req.query ?? {})) {
      if (v !== undefined) url.searchParams.set(k, String(v));
    }
    // Credentials are read per request so rotated tokens are picked up.
    const auth: https.RequestOptions = {};
    await this.kc.applyToHTTPSOptions(auth);
    req.signal?.throwIfAborted();
    const body = req.body === undefined ? undefined : JSON.stringify(req.body);
    const headers: http.OutgoingHttpHeaders = { ...(isRecord(auth.headers) ? auth.headers : {}), Accept: 'application/json' };
    if (body !== undefined) {
      headers['Content-Type'] = req.contentType ?? 'application/json';
      headers['Content-Length'] = Buffer.byteLength(body);
    }
    const agent = cluster.proxyUrl ? auth.agent : this.keepAliveAgent(url.protocol, auth);
    const send = url.protocol === 'https:' ? https.request : http.request;
    const object = req.object ?? req.path;

    return new Promise((resolve, reject) => {
      const r = send(url, { method: req.method, headers, agent: agent || undefined, auth: auth.auth, signal: req.signal }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) {
            try {
              resolve(text ? JSON.parse(text) : undefined);
            } catch {
              reject(new Error(`${req.method} ${object}: the API server answered ${status} with a body that is not JSON`));
            }
            return;
          }
          reject(apiErrorFromResponse(req.method, object, status, res.statusMessage, text));
        });
      });
      r.setTimeout(this.timeoutMs, () => r.destroy(new Error(`${req.method} ${object}: no answer within ${this.timeoutMs} ms`)));
      r.on('error', (err) => reject(err.name === 'AbortError' ? err : new Error(`${req.method} ${object}: ${err.message}`, { cause: err })));
      r.end(body);
    });
  }

  /** Drops pooled connections. */
  close(): void {
    this.agent?.destroy();
    this.agent = undefined;
  }

  private keepAliveAgent(protocol: string, tls: https.RequestOptions): http.Agent {
    if (!this.agent) {
      this.agent =
        protocol === 'https:'
          ? new https.Agent({
              keepAlive: true,
              ca: tls.ca,
              cert: tls.cert,
              key: tls.key,
              pfx: tls.pfx,
              passphrase: tls.passphrase,
              rejectUnauthorized: tls.rejectUnauthorized,
              servername: tls.servername,
            })
          : new http.Agent({ keepAlive: true });
    }
    return this.agent;
  }
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
