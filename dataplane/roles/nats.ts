// A role's NATS connection: fails fast with the URL when NATS cannot be reached at start, then
// reconnects forever (a NATS restart must not take the data plane down) and tracks whether it is
// connected, for /readyz and /metrics.
import { connect, ErrorCode, Events, type NatsConnection } from 'nats';
import type { RoleLog } from './health.js';
import { natsTls, type InternalTls } from './tls.js';

/** NATS could not be reached at start; the message names the URL. */
export class NatsUnreachableError extends Error {
  override readonly name = 'NatsUnreachableError';
}

export interface RoleNats {
  readonly nc: NatsConnection;
  /** False between a disconnect and the reconnect that follows. */
  connected(): boolean;
  /** Flushes what was published, then closes; bounded so a lost server cannot hold up a stop. */
  close(timeoutMs?: number): Promise<void>;
}

export async function connectNats(url: string, opts: { name: string; tls?: InternalTls; log: RoleLog; timeoutMs?: number }): Promise<RoleNats> {
  let nc: NatsConnection;
  try {
    nc = await connect({
      servers: url,
      name: opts.name,
      timeout: opts.timeoutMs ?? 5_000,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 1_000,
      ...(opts.tls ? { tls: natsTls(opts.tls, url) } : {}),
    });
  } catch (err) {
    const e = err as Error & { code?: string };
    const why = e.code === ErrorCode.ServerOptionNotAvailable && e.message === 'tls' ? 'the server does not offer TLS' : e.message || e.code;
    const hint = opts.tls ? `; check that it serves TLS with a certificate signed by ${opts.tls.caFile}` : '; is nats-server running there? (--nats URL or $LOUPE_NATS_URL)';
    throw new NatsUnreachableError(`cannot connect to NATS at ${url}: ${why}${hint}`);
  }
  let connected = true;
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === Events.Disconnect) {
        connected = false;
        opts.log.warn({ nats: url }, 'NATS disconnected; reconnecting');
      } else if (s.type === Events.Reconnect) {
        connected = true;
        opts.log.info({ nats: url }, 'NATS reconnected');
      }
    }
  })();
  return {
    nc,
    connected: () => connected && !nc.isClosed(),
    async close(timeoutMs = 2_000) {
      if (nc.isClosed()) return;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
      await Promise.race([nc.flush().catch(() => undefined), timeout]);
      clearTimeout(timer);
      await nc.close();
    },
  };
}
