// One small HTTP server for the kubelet's probes and Prometheus: /healthz, /readyz, /metrics.
// Every process serves it: the operator (operator/runtime/manager.ts) and the query roles
// (dataplane/roles/command.ts).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';

export interface Readiness {
  ready: boolean;
  /** Why, in a few words: "caches synced", "standby", "waiting for caches to sync". */
  detail: string;
}

export interface HealthServerOptions {
  /** Default 127.0.0.1; in a pod, 0.0.0.0 so the kubelet and Prometheus can reach it. */
  host?: string;
  /** 0 picks a free port. */
  port: number;
  registry: Registry;
  readiness(): Readiness;
  log?: Logger;
}

export class HealthServer {
  private readonly server: http.Server;

  constructor(private readonly opts: HealthServerOptions) {
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        opts.log?.error({ err, path: req.url }, 'health endpoint failed');
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
    });
  }

  async start(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.opts.port, this.opts.host ?? '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.opts.log?.info({ address: this.server.address() }, 'health server listening');
    return this.port;
  }

  get port(): number {
    return (this.server.address() as AddressInfo | null)?.port ?? 0;
  }

  async close(): Promise<void> {
    if (!this.server.listening) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    // Answering at all is the liveness signal: a wedged event loop cannot, and the probe times out.
    if (path === '/healthz') return text(res, 200, 'ok');
    if (path === '/readyz') {
      const r = this.opts.readiness();
      return text(res, r.ready ? 200 : 503, r.ready ? `ok: ${r.detail}` : `not ready: ${r.detail}`);
    }
    if (path === '/metrics') {
      const body = await this.opts.registry.metrics();
      res.writeHead(200, { 'Content-Type': this.opts.registry.contentType });
      res.end(body);
      return;
    }
    text(res, 404, 'not found: try /healthz, /readyz or /metrics');
  }
}

function text(res: http.ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(`${body}\n`);
}
