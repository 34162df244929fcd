// One small HTTP server for the kubelet's probes and Prometheus: /healthz, /readyz, /metrics.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';

export interface Readiness {
  ready: boolean;
  /** Why, in a few words: "caches synced", "standby", "waiting for caches". */
  detail: string;
}

export interface HealthServerOptions {
  /** Default 127.0.0.1; in-cluster the operator passes 0.0.0.0 so the kubelet can reach it. */
  host?: string;
  /** 0 picks a free port. */
  port: number;
  registry: Registry;
  readiness(): Readiness;
  /** /healthz fails when the event loop stalled longer than this. Default 10 s. */
  maxStallMs?: number;
  log?: Logger;
}

const HEARTBEAT_MS = 1000;

export class HealthServer {
  private readonly server: http.Server;
  private heartbeat?: NodeJS.Timeout;
  private lastBeat = Date.now();
  private lastStallMs = 0;

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
    this.heartbeat = setInterval(() => this.beat(), HEARTBEAT_MS);
    this.heartbeat.unref();
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
    clearInterval(this.heartbeat);
    if (!this.server.listening) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /**
   * A wedged event loop cannot answer at all (the probe times out); this also fails the
   * first probes after a long stall, which a timeout alone would not notice.
   */
  private beat(): void {
    const now = Date.now();
    this.lastStallMs = now - this.lastBeat - HEARTBEAT_MS;
    this.lastBeat = now;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path === '/healthz') {
      const stall = Math.max(this.lastStallMs, Date.now() - this.lastBeat - HEARTBEAT_MS);
      const ok = stall <= (this.opts.maxStallMs ?? 10_000);
      return text(res, ok ? 200 : 503, ok ? 'ok' : `event loop stalled for ${stall} ms`);
    }
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
