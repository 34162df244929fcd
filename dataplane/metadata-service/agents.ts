// The agent registry `loupe metadata` keeps: every PEM and Kelvin it has heard from (node,
// address, protocol version, first and last heartbeat, goodbye), in its store so that a restart
// on a volume or etcd remembers them. The heartbeats come through the query broker's registry
// (dataplane/query/agent-registry.ts), which checks and versions them; this only records.
//
// A heartbeat is written at once when the agent is new or something about it changed, else at
// most every `persistEveryMs` (heartbeats come every 5 s from every node). Writes go in order,
// one at a time; a failing store is logged, counted and retried with the next change.
import type { Logger } from 'pino';
import type { AgentState } from '../query/agent-registry.js';
import type { MetadataStore } from './storage.js';
import type { AgentRecord } from './wire.js';

const PREFIX = 'agents/';

export interface AgentDirectoryOptions {
  readonly log: Pick<Logger, 'warn' | 'error'>;
  readonly now?: () => number;
  /** Default 30 s. */
  readonly persistEveryMs?: number;
  /** Records of agents not heard from for this long are dropped (default 24 h). */
  readonly forgetAfterMs?: number;
}

function isRecord(v: unknown): v is AgentRecord {
  const r = v as Partial<AgentRecord> | null;
  return !!r && typeof r.id === 'string' && (r.kind === 'pem' || r.kind === 'kelvin') && typeof r.node === 'string' && typeof r.address === 'string' && typeof r.protocolVersion === 'number' && typeof r.firstSeen === 'number' && typeof r.lastHeartbeat === 'number';
}

/** An agent id as a store key segment. */
const keyOf = (id: string) => `${PREFIX}${id.replace(/[^A-Za-z0-9._-]/g, '_')}`;

export class AgentDirectory {
  private readonly records = new Map<string, AgentRecord>();
  /** lastHeartbeat as last written, by id. */
  private readonly written = new Map<string, number>();
  private chain: Promise<void> = Promise.resolve();
  private readonly now: () => number;
  private readonly persistEveryMs: number;
  private readonly forgetAfterMs: number;
  /** Writes that failed since start. */
  storeErrors = 0;
  /** Whether the last write (or the load) succeeded. */
  storeHealthy = true;

  constructor(
    private readonly store: MetadataStore,
    private readonly opts: AgentDirectoryOptions,
  ) {
    this.now = opts.now ?? Date.now;
    this.persistEveryMs = opts.persistEveryMs ?? 30_000;
    this.forgetAfterMs = opts.forgetAfterMs ?? 24 * 3_600_000;
  }

  /** Reads what the store holds; records that do not parse are logged and skipped. Returns how many were loaded. */
  async load(): Promise<number> {
    for (const [key, value] of await this.store.list(PREFIX)) {
      let r: unknown;
      try {
        r = JSON.parse(value);
      } catch {
        r = undefined;
      }
      if (!isRecord(r)) {
        this.opts.log.warn({ key, store: this.store.description }, 'skipping an agent record that does not parse');
        continue;
      }
      this.records.set(r.id, r);
      this.written.set(r.id, r.lastHeartbeat);
    }
    return this.records.size;
  }

  heard(agent: AgentState): void {
    const old = this.records.get(agent.id);
    const r: AgentRecord = {
      id: agent.id,
      kind: agent.kind,
      node: agent.hostname,
      address: agent.address,
      protocolVersion: agent.protocolVersion,
      ...(agent.cluster ? { cluster: agent.cluster } : {}),
      ...(agent.vizier ? { vizier: agent.vizier } : {}),
      firstSeen: old?.firstSeen ?? agent.lastSeen,
      lastHeartbeat: agent.lastSeen,
    };
    this.records.set(r.id, r);
    const changed = !old || old.goneAt !== undefined || old.address !== r.address || old.node !== r.node || old.protocolVersion !== r.protocolVersion;
    if (changed || r.lastHeartbeat - (this.written.get(r.id) ?? 0) >= this.persistEveryMs) this.write(r);
  }

  gone(id: string): void {
    const old = this.records.get(id);
    if (!old) return;
    const r = { ...old, goneAt: this.now() };
    this.records.set(id, r);
    this.write(r);
  }

  /** Every agent known, by id; drops (and deletes) those past forgetAfterMs. */
  list(): AgentRecord[] {
    const cutoff = this.now() - this.forgetAfterMs;
    for (const [id, r] of this.records) {
      if (Math.max(r.lastHeartbeat, r.goneAt ?? 0) >= cutoff) continue;
      this.records.delete(id);
      this.written.delete(id);
      this.enqueue(() => this.store.delete(keyOf(id)));
    }
    return [...this.records.values()].sort((a, b) => a.id.localeCompare(b.id));
  }

  /** Writes every record's latest heartbeat and waits for the writes (at stop). */
  async flush(): Promise<void> {
    for (const r of this.records.values()) if (this.written.get(r.id) !== r.lastHeartbeat) this.write(r);
    await this.chain;
  }

  private write(r: AgentRecord): void {
    this.written.set(r.id, r.lastHeartbeat);
    this.enqueue(() => this.store.put(keyOf(r.id), JSON.stringify(r)));
  }

  private enqueue(op: () => Promise<void>): void {
    this.chain = this.chain.then(op).then(
      () => {
        this.storeHealthy = true;
      },
      (err: Error) => {
        this.storeErrors++;
        this.storeHealthy = false;
        this.opts.log.error({ store: this.store.description, err: err.message }, 'metadata store write failed');
      },
    );
  }
}
