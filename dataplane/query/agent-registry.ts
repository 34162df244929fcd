// PEMs and Kelvins announce themselves over NATS; the query broker keeps the live set.
// An agent publishes its info at start and then every interval; the registry drops an agent
// that missed `expireAfterMs` worth of heartbeats or said goodbye. A registry that starts late
// asks everyone to announce at once instead of waiting a full interval.
import type { NatsConnection, Subscription } from 'nats';
import type { TableSchema } from '../table-store/types.js';

export const SUBJECTS = {
  heartbeat: 'loupe.agents.heartbeat',
  gone: 'loupe.agents.gone',
  announce: 'loupe.agents.announce',
} as const;

export interface AgentInfo {
  /** Unique per process (e.g. hostname + pid + start time). */
  readonly id: string;
  readonly kind: 'pem' | 'kelvin';
  /** host:port of the agent's gRPC server. */
  readonly address: string;
  readonly hostname: string;
  /** Tables this agent holds (PEMs), so the broker can compile against them. */
  readonly tables: readonly TableSchema[];
}

export interface AgentState extends AgentInfo {
  /** ms since the epoch of the last heartbeat received. */
  readonly lastSeen: number;
}

const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
const decode = (data: Uint8Array): unknown => JSON.parse(new TextDecoder().decode(data));

function isAgentInfo(value: unknown): value is AgentInfo {
  const v = value as Partial<AgentInfo> | null;
  return !!v && typeof v.id === 'string' && (v.kind === 'pem' || v.kind === 'kelvin') && typeof v.address === 'string' && typeof v.hostname === 'string' && Array.isArray(v.tables);
}

export class AgentAnnouncer {
  private timer: NodeJS.Timeout | undefined;
  private subscription: Subscription | undefined;

  constructor(
    private readonly nc: NatsConnection,
    private readonly info: AgentInfo,
    private readonly intervalMs = 5_000,
  ) {}

  start(): void {
    this.publish();
    this.timer = setInterval(() => this.publish(), this.intervalMs);
    this.timer.unref();
    this.subscription = this.nc.subscribe(SUBJECTS.announce, { callback: () => this.publish() });
  }

  private publish(): void {
    this.nc.publish(SUBJECTS.heartbeat, encode(this.info));
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.subscription?.unsubscribe();
    this.nc.publish(SUBJECTS.gone, encode({ id: this.info.id }));
    await this.nc.flush();
  }
}

export class AgentRegistry {
  private readonly agents = new Map<string, AgentState>();
  private readonly subscriptions: Subscription[] = [];
  private readonly waiters = new Set<() => void>();
  /** Heartbeats that did not parse as agent info (a misconfigured or foreign publisher). */
  rejectedHeartbeats = 0;
  /** Heartbeats registered since start (a broker is ready once it has heard any). */
  acceptedHeartbeats = 0;

  constructor(
    private readonly nc: NatsConnection,
    private readonly expireAfterMs = 15_000,
    private readonly now: () => number = Date.now,
  ) {}

  async start(): Promise<void> {
    this.subscriptions.push(
      this.nc.subscribe(SUBJECTS.heartbeat, {
        callback: (_err, msg) => {
          let info: unknown;
          try {
            info = decode(msg.data);
          } catch {
            info = undefined;
          }
          if (!isAgentInfo(info)) {
            this.rejectedHeartbeats++;
            return;
          }
          this.acceptedHeartbeats++;
          this.agents.set(info.id, { ...info, lastSeen: this.now() });
          for (const wake of this.waiters) wake();
        },
      }),
      this.nc.subscribe(SUBJECTS.gone, {
        callback: (_err, msg) => {
          try {
            const { id } = decode(msg.data) as { id?: unknown };
            if (typeof id === 'string') this.agents.delete(id);
          } catch {
            this.rejectedHeartbeats++;
          }
        },
      }),
    );
    await this.nc.flush();
    this.nc.publish(SUBJECTS.announce);
  }

  /** Live agents, optionally of one kind, sorted by id. */
  live(kind?: AgentInfo['kind']): AgentState[] {
    const cutoff = this.now() - this.expireAfterMs;
    for (const [id, a] of this.agents) if (a.lastSeen < cutoff) this.agents.delete(id);
    return [...this.agents.values()].filter((a) => !kind || a.kind === kind).sort((a, b) => a.id.localeCompare(b.id));
  }

  /** Resolves once `ready(live agents)` holds; rejects after timeoutMs with what is live. */
  async waitFor(what: string, ready: (agents: AgentState[]) => boolean, timeoutMs = 10_000): Promise<AgentState[]> {
    if (ready(this.live())) return this.live();
    return new Promise((resolve, reject) => {
      const check = () => {
        const agents = this.live();
        if (!ready(agents)) return;
        done();
        resolve(agents);
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; live agents: ${this.live().map((a) => `${a.kind} ${a.id}`).join(', ') || 'none'}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
    });
  }

  stop(): void {
    for (const s of this.subscriptions) s.unsubscribe();
    this.subscriptions.length = 0;
  }
}
