// PEMs and Kelvins announce themselves over NATS; the query broker keeps the live set.
// An agent publishes its info at start and then every interval; the registry drops an agent
// that missed `expireAfterMs` worth of heartbeats or said goodbye. A registry that starts late
// asks everyone to announce at once instead of waiting a full interval.
//
// Announcements name the agent's protocol version. The registry takes agents of the versions
// its build supports (N-1 and N) and refuses the others: a refused agent is reported once
// (onRefused) and kept aside, out of live(), until it stops announcing.
import type { NatsConnection, Subscription } from 'nats';
import type { TableSchema } from '../table-store/types.js';
import { ProtocolVersionError, speaks, THIS_BUILD, type Protocol } from './protocol-version.js';

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
  /** The protocol version of the agent's build (protocol-version.ts). */
  readonly protocolVersion: number;
  /** The cluster's name ($LOUPE_CLUSTER_NAME) and the Vizier the agent belongs to, when set. */
  readonly cluster?: string;
  readonly vizier?: string;
}

export interface AgentState extends AgentInfo {
  /** ms since the epoch of the last heartbeat received. */
  readonly lastSeen: number;
}

const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
const decode = (data: Uint8Array): unknown => JSON.parse(new TextDecoder().decode(data));

/** Agent info whose protocolVersion is still to be checked. */
type Announcement = Omit<AgentInfo, 'protocolVersion'> & { readonly protocolVersion?: unknown };

function isAnnouncement(value: unknown): value is Announcement {
  const v = value as Partial<AgentInfo> | null;
  const optionalText = (x: unknown) => x === undefined || typeof x === 'string';
  return !!v && typeof v.id === 'string' && (v.kind === 'pem' || v.kind === 'kelvin') && typeof v.address === 'string' && typeof v.hostname === 'string' && Array.isArray(v.tables) && optionalText(v.cluster) && optionalText(v.vizier);
}

export interface AgentRegistryOptions {
  /** An agent that has not announced itself for this long is dropped (default 15 s). */
  readonly expireAfterMs?: number;
  /** ms since the epoch. */
  readonly now?: () => number;
  /** The build the registry's owner is (default this one's): agents it cannot speak with are refused. */
  readonly protocol?: Protocol;
  /** Called once for each agent refused, with what is wrong; again only after it went quiet and came back. */
  readonly onRefused?: (refusal: AgentRefusal) => void;
  /** Called for every heartbeat taken (the metadata service keeps a durable record of agents from these). */
  readonly onHeard?: (agent: AgentState) => void;
  /** Called when an agent says goodbye. */
  readonly onGone?: (id: string) => void;
}

export interface AgentRefusal {
  readonly agent: Announcement;
  readonly reason: 'protocol_version';
  readonly error: ProtocolVersionError;
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
  /** Agents refused, by id, with when they last announced themselves. */
  private readonly refusedAgents = new Map<string, { readonly refusal: AgentRefusal; lastSeen: number }>();
  private readonly subscriptions: Subscription[] = [];
  private readonly waiters = new Set<() => void>();
  private readonly expireAfterMs: number;
  private readonly now: () => number;
  private readonly protocol: Protocol;
  /** Heartbeats that did not parse as agent info (a misconfigured or foreign publisher). */
  rejectedHeartbeats = 0;
  /** Heartbeats registered since start (a broker is ready once it has heard any). */
  acceptedHeartbeats = 0;

  constructor(
    private readonly nc: NatsConnection,
    private readonly options: AgentRegistryOptions = {},
  ) {
    this.expireAfterMs = options.expireAfterMs ?? 15_000;
    this.now = options.now ?? Date.now;
    this.protocol = options.protocol ?? THIS_BUILD;
  }

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
          if (!isAnnouncement(info)) {
            this.rejectedHeartbeats++;
            return;
          }
          if (!speaks(this.protocol, info.protocolVersion)) {
            this.refuse(info);
            return;
          }
          this.acceptedHeartbeats++;
          const agent: AgentState = { ...info, protocolVersion: info.protocolVersion, lastSeen: this.now() };
          this.agents.set(info.id, agent);
          this.options.onHeard?.(agent);
          for (const wake of this.waiters) wake();
        },
      }),
      this.nc.subscribe(SUBJECTS.gone, {
        callback: (_err, msg) => {
          try {
            const { id } = decode(msg.data) as { id?: unknown };
            if (typeof id !== 'string') return;
            this.agents.delete(id);
            this.refusedAgents.delete(id);
            this.options.onGone?.(id);
          } catch {
            this.rejectedHeartbeats++;
          }
        },
      }),
    );
    await this.nc.flush();
    this.nc.publish(SUBJECTS.announce);
  }

  private refuse(agent: Announcement): void {
    const known = this.refusedAgents.get(agent.id);
    if (known && known.refusal.agent.protocolVersion === agent.protocolVersion) {
      known.lastSeen = this.now();
      return;
    }
    // An agent that was live and now announces a version this build cannot speak leaves the live set.
    this.agents.delete(agent.id);
    const kind = agent.kind === 'pem' ? 'PEM' : 'Kelvin';
    const newer = typeof agent.protocolVersion === 'number' && agent.protocolVersion > this.protocol.version;
    const hint = newer ? 'upgrade the query broker before the agents' : `upgrade the ${kind}: a query broker takes agents of its own version and the one before`;
    const error = new ProtocolVersionError(`${kind} ${agent.id} at ${agent.address}`, agent.protocolVersion, this.protocol, 'this query broker', hint);
    const refusal: AgentRefusal = { agent, reason: 'protocol_version', error };
    this.refusedAgents.set(agent.id, { refusal, lastSeen: this.now() });
    this.options.onRefused?.(refusal);
  }

  /** Live agents, optionally of one kind, sorted by id. */
  live(kind?: AgentInfo['kind']): AgentState[] {
    const cutoff = this.now() - this.expireAfterMs;
    for (const [id, a] of this.agents) if (a.lastSeen < cutoff) this.agents.delete(id);
    return [...this.agents.values()].filter((a) => !kind || a.kind === kind).sort((a, b) => a.id.localeCompare(b.id));
  }

  /** Agents refused and still announcing themselves, sorted by id. */
  refused(): AgentRefusal[] {
    const cutoff = this.now() - this.expireAfterMs;
    for (const [id, r] of this.refusedAgents) if (r.lastSeen < cutoff) this.refusedAgents.delete(id);
    return [...this.refusedAgents.values()].map((r) => r.refusal).sort((a, b) => a.agent.id.localeCompare(b.agent.id));
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
