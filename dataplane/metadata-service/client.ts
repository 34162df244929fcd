// The agents' half of the metadata contract (wire.ts): ListWatchSources that list and watch
// through `loupe metadata` over NATS, for the same Reflectors and KubeMetadata that otherwise read
// the API server (dataplane/metadata/kube.ts). The service's 410 becomes the API server's 410, so
// the Reflector lists again exactly as it would against Kubernetes.
//
// A service that does not answer (no responders, a timeout, three missed bookmarks) is a
// MetadataServiceUnavailable: fallback.ts switches to the API server on it.
//
// Versions: requests go out in the client's version; an older service (one version back) refuses
// with its own version, and the client speaks that one from then on, events included.
import { ErrorCode as NatsErrorCode, type NatsConnection, type NatsError, type Subscription } from 'nats';
import { ApiError } from '../../lib/kube/api-error.js';
import type { ListPage, ListWatchSource, WatchEventHandler, WatchHandle } from '../../lib/kube/reflector.js';
import { speaks, type Protocol } from '../query/protocol-version.js';
import {
  checkReplyVersion, decodeAgentsReply, decodeEvent, decodeListReply, decodePingReply, decodeWatchReply, encodeMessage, METADATA_PROTOCOL, MetadataSubjects,
  parseResourceVersion, WireError, type AgentRecord, type ErrorReply, type MetadataResource, type WireEvent,
} from './wire.js';

/** The service did not answer: not running, not synced yet, or gone quiet. */
export class MetadataServiceUnavailable extends Error {
  override readonly name = 'MetadataServiceUnavailable';
}

export interface MetadataClientOptions {
  readonly protocol?: Protocol;
  /** How long a request may wait for the service (default 3 s). */
  readonly timeoutMs?: number;
  /** A watch that hears nothing (not even a bookmark) for this long ends as unavailable (default 6 s: three bookmarks). */
  readonly silenceMs?: number;
}

/** A Status object as a watch's ERROR event carries it: the Reflector reads it as the API server's. */
export function goneStatus(message: string): { kind: 'Status'; code: 410; reason: 'Expired'; message: string } {
  return { kind: 'Status', code: 410, reason: 'Expired', message };
}

export class MetadataServiceClient {
  private readonly protocol: Protocol;
  /** The version spoken: this build's until an older service says otherwise. */
  private version: number;
  private readonly timeoutMs: number;
  private readonly silenceMs: number;

  constructor(
    private readonly nc: NatsConnection,
    opts: MetadataClientOptions = {},
  ) {
    this.protocol = opts.protocol ?? METADATA_PROTOCOL;
    this.version = this.protocol.version;
    this.timeoutMs = opts.timeoutMs ?? 3_000;
    this.silenceMs = opts.silenceMs ?? 6_000;
  }

  /** The protocol version this client speaks with the service now. */
  get speaking(): number {
    return this.version;
  }

  /** The service's epoch when it answers, else undefined (absent, not synced, or a version apart). */
  async ping(): Promise<string | undefined> {
    try {
      const r = await this.request(MetadataSubjects.ping, () => ({ protocolVersion: this.version }), decodePingReply, 'ping');
      return r.epoch;
    } catch {
      return undefined;
    }
  }

  async agents(): Promise<readonly AgentRecord[]> {
    return (await this.request(MetadataSubjects.agents, () => ({ protocolVersion: this.version }), decodeAgentsReply, 'agents')).agents;
  }

  source(resource: MetadataResource): ListWatchSource {
    return {
      name: `${resource} (metadata service)`,
      list: async (pageSize, continueToken): Promise<ListPage> => {
        const r = await this.request(MetadataSubjects.list(resource), () => ({ protocolVersion: this.version, limit: pageSize, ...(continueToken ? { continue: continueToken } : {}) }), decodeListReply, `${resource} list`, resource);
        return { items: r.items, resourceVersion: r.resourceVersion, ...(r.continue ? { continueToken: r.continue } : {}) };
      },
      watch: (rv, onEvent, onDone) => this.watch(resource, rv, onEvent, onDone),
    };
  }

  /**
   * One request, decoded; a 505 from a service one version back switches to its version and asks
   * again. Throws MetadataServiceUnavailable when nobody answers, an ApiError for the service's
   * 410 (and 503), a ProtocolVersionError for a service this build cannot speak with.
   */
  private async request<T extends { protocolVersion: number }>(
    subject: string,
    body: () => object,
    decode: (data: Uint8Array) => { ok: true; reply: T } | { ok: false; error: ErrorReply['error'] },
    what: string,
    resource = 'metadata',
  ): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      let data: Uint8Array;
      try {
        data = (await this.nc.request(subject, encodeMessage(body()), { timeout: this.timeoutMs })).data;
      } catch (err) {
        throw unavailable(err, what, this.timeoutMs);
      }
      const r = decode(data);
      if (r.ok) {
        checkReplyVersion(this.protocol, r.reply.protocolVersion, what);
        return r.reply;
      }
      const replyVersion = peekVersion(data);
      if (r.error.code === 505 && attempt === 0 && replyVersion < this.version && speaks(this.protocol, replyVersion)) {
        this.version = replyVersion;
        continue;
      }
      if (r.error.code === 505) checkReplyVersion(this.protocol, replyVersion, what);
      throw new ApiError(r.error.code, r.error.code === 410 ? 'Expired' : r.error.code === 503 ? 'ServiceUnavailable' : 'BadRequest', resource, r.error.message, [], what.endsWith('list') ? 'LIST' : 'GET');
    }
  }

  /**
   * Subscribes to the events, asks for the catch-up after `rv`, then hands over the catch-up and
   * the live events after it in order. A gap (a lost message) ends the watch with an error, so the
   * Reflector watches again from its last version; silence ends it as unavailable.
   */
  private async watch(resource: MetadataResource, rv: string, onEvent: WatchEventHandler, onDone: (err: unknown) => void): Promise<WatchHandle> {
    const from = parseResourceVersion(rv);
    if (!from) {
      queueMicrotask(() => onEvent('ERROR', goneStatus(`resourceVersion "${rv}" is not the metadata service's; list again`)));
      return { abort: () => undefined };
    }
    let last = from.seq;
    let done = false;
    let caughtUp = false;
    const held: WireEvent[] = [];
    let silence: NodeJS.Timeout | undefined;
    const finish = (err: unknown): void => {
      if (done) return;
      done = true;
      clearTimeout(silence);
      sub.unsubscribe();
      onDone(err);
    };
    const heard = (): void => {
      clearTimeout(silence);
      silence = setTimeout(() => finish(new MetadataServiceUnavailable(`no word from the metadata service for ${this.silenceMs} ms on ${resource}`)), this.silenceMs);
    };
    const deliver = (e: WireEvent): void => {
      if (done) return;
      const at = parseResourceVersion(e.resourceVersion)!;
      if (at.epoch !== from.epoch) {
        done = true;
        clearTimeout(silence);
        sub.unsubscribe();
        onEvent('ERROR', goneStatus(`the metadata service restarted (epoch ${at.epoch}, was ${from.epoch}); list again`));
        return;
      }
      if (e.type === 'BOOKMARK') {
        if (at.seq > last) return finish(new Error(`${resource}: missed changes ${last + 1}..${at.seq} from the metadata service; watching again from ${from.epoch}.${last}`));
        if (at.seq === last) onEvent('BOOKMARK', { metadata: { resourceVersion: e.resourceVersion } });
        return;
      }
      if (at.seq <= last) return;
      if (at.seq !== last + 1) return finish(new Error(`${resource}: missed changes ${last + 1}..${at.seq - 1} from the metadata service; watching again from ${from.epoch}.${last}`));
      last = at.seq;
      onEvent(e.type, e.object);
    };
    const sub: Subscription = this.nc.subscribe(MetadataSubjects.events(this.version, resource), {
      callback: (_err, msg) => {
        if (done) return;
        heard();
        let e: WireEvent;
        try {
          e = decodeEvent(msg.data);
        } catch (err) {
          return finish(err);
        }
        if (caughtUp) deliver(e);
        else held.push(e);
      },
    });
    heard();
    try {
      await this.nc.flush();
      const catchUp = await this.request(MetadataSubjects.watch(resource), () => ({ protocolVersion: this.version, resourceVersion: rv }), decodeWatchReply, `${resource} watch`, resource);
      for (const e of catchUp.events) deliver(e);
      caughtUp = true;
      for (const e of held.splice(0)) deliver(e);
    } catch (err) {
      if (err instanceof ApiError && err.status === 410) {
        done = true;
        clearTimeout(silence);
        sub.unsubscribe();
        onEvent('ERROR', goneStatus(err.serverMessage));
      } else {
        finish(err);
      }
    }
    return { abort: () => finish(undefined) };
  }
}

function peekVersion(data: Uint8Array): number {
  try {
    const v = (JSON.parse(new TextDecoder().decode(data)) as { protocolVersion?: unknown }).protocolVersion;
    return typeof v === 'number' ? v : NaN;
  } catch {
    return NaN;
  }
}

function unavailable(err: unknown, what: string, timeoutMs: number): Error {
  const code = (err as NatsError).code;
  if (code === NatsErrorCode.NoResponders) return new MetadataServiceUnavailable(`the metadata service does not answer ${what} (no responders on NATS)`);
  if (code === NatsErrorCode.Timeout) return new MetadataServiceUnavailable(`the metadata service did not answer ${what} within ${timeoutMs} ms`);
  if (err instanceof WireError) return err;
  return new MetadataServiceUnavailable(`${what}: ${(err as Error).message}`);
}
