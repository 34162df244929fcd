// An agent's sources of pods, services, EndpointSlices and nodes: through the metadata service
// while it answers, else straight from the API server, and back once the service answers again.
// One switch for all resources, so an agent never mixes the two.
//
// The Reflectors above these sources do not know about the switch: a source hands them a 410
// (the API server's "Gone") whenever the version they hold belongs to the other side, and they
// list again from the side in use. A version the service made ("EPOCH.SEQ", wire.ts) is the
// service's; any other is the API server's (its versions are etcd revisions, plain digits).
import type { ListWatchSource, ReflectorLog, WatchEventHandler, WatchHandle } from '../../lib/kube/reflector.js';
import { goneStatus, MetadataServiceUnavailable } from './client.js';
import { parseResourceVersion } from './wire.js';

export type MetadataVia = 'metadata-service' | 'kubernetes-api';

export interface FallbackOptions {
  readonly log: ReflectorLog;
  /** True when the metadata service answers (a ping), checked while on the API server. */
  readonly probe: () => Promise<boolean>;
  /** Default 5 s. */
  readonly probeIntervalMs?: number;
}

interface ActiveWatch {
  readonly via: MetadataVia;
  readonly onEvent: WatchEventHandler;
}

export class MetadataFallback {
  private mode: MetadataVia = 'metadata-service';
  private why = 'starting';
  private readonly watches = new Set<ActiveWatch>();
  private probeTimer: NodeJS.Timeout | undefined;
  private probing = false;
  private stopped = false;
  /** Switches since start, each way. */
  readonly switches: Record<MetadataVia, number> = { 'metadata-service': 0, 'kubernetes-api': 0 };

  constructor(private readonly opts: FallbackOptions) {}

  /** Where the agent's cluster view comes from now, and why. */
  get via(): { via: MetadataVia; reason: string } {
    return { via: this.mode, reason: this.why };
  }

  /** One resource: `service` while the metadata service answers, else `api`. */
  source(service: ListWatchSource, api: ListWatchSource): ListWatchSource {
    return {
      name: api.name,
      list: async (pageSize, continueToken, signal) => {
        if (this.mode === 'metadata-service') {
          try {
            return await service.list(pageSize, continueToken, signal);
          } catch (err) {
            if (!(err instanceof MetadataServiceUnavailable)) throw err;
            this.switchTo('kubernetes-api', err.message);
          }
        }
        return api.list(pageSize, continueToken, signal);
      },
      watch: (rv, onEvent, onDone) => this.watch(service, api, rv, onEvent, onDone),
    };
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.probeTimer);
    this.probeTimer = undefined;
  }

  private async watch(service: ListWatchSource, api: ListWatchSource, rv: string, onEvent: WatchEventHandler, onDone: (err: unknown) => void): Promise<WatchHandle> {
    const via: MetadataVia = parseResourceVersion(rv) ? 'metadata-service' : 'kubernetes-api';
    if (via !== this.mode) {
      queueMicrotask(() => onEvent('ERROR', goneStatus(`now reading from the ${describe(this.mode)}; list again`)));
      return { abort: () => undefined };
    }
    const active: ActiveWatch = { via, onEvent };
    this.watches.add(active);
    const ended = (err: unknown): void => {
      this.watches.delete(active);
      if (via === 'metadata-service' && err instanceof MetadataServiceUnavailable) {
        this.switchTo('kubernetes-api', err.message);
        onEvent('ERROR', goneStatus(`the metadata service went away (${err.message}); listing from the Kubernetes API`));
        return;
      }
      onDone(err);
    };
    const handle = await (via === 'metadata-service' ? service : api).watch(rv, onEvent, ended);
    return {
      abort: () => {
        this.watches.delete(active);
        handle.abort();
      },
    };
  }

  private switchTo(mode: MetadataVia, why: string): void {
    if (this.mode === mode || this.stopped) return;
    this.mode = mode;
    this.why = why;
    this.switches[mode]++;
    if (mode === 'kubernetes-api') {
      this.opts.log.warn({ reason: why, probeEveryMs: this.opts.probeIntervalMs ?? 5_000 }, 'metadata service not answering; watching the Kubernetes API directly until it does');
      this.probeTimer = setInterval(() => void this.probe(), this.opts.probeIntervalMs ?? 5_000);
      this.probeTimer.unref();
    } else {
      this.opts.log.info({}, 'metadata service answers again; reading pods and services from it');
      clearInterval(this.probeTimer);
      this.probeTimer = undefined;
    }
    // Watches on the other side end with a 410: their Reflectors list again from this side.
    for (const w of [...this.watches]) {
      if (w.via === mode) continue;
      this.watches.delete(w);
      w.onEvent('ERROR', goneStatus(`switched to the ${describe(mode)}; list again`));
    }
  }

  private async probe(): Promise<void> {
    if (this.probing) return;
    this.probing = true;
    try {
      if (await this.opts.probe()) this.switchTo('metadata-service', 'the metadata service answers');
    } finally {
      this.probing = false;
    }
  }
}

function describe(via: MetadataVia): string {
  return via === 'metadata-service' ? 'metadata service' : 'Kubernetes API';
}
