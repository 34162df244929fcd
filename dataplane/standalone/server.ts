// The standalone mode: one process on one host with the real collectors, the table store, the
// PxL engine (compiled and run in-process, no Kelvin split), metadata from /proc and cgroups,
// the query API on a loopback gRPC port, and CronScripts from a manifests directory.
import type * as grpc from '@grpc/grpc-js';
import type { CollectorOptions } from '../collectors/socket-trace-collector.js';
import { traceRoleOptions, traceRolesLogLine, type TraceRoleSettings } from '../collectors/trace-roles.js';
import type { DataAccessMode, ProtocolName } from '../../crds/contract/values.js';
import { LocalMetadata } from '../metadata/local.js';
import type { ClusterIdentity } from '../metadata/types.js';
import { DataCollection, type SourceName, type SourceStatus } from '../pem/collection.js';
import { BROKER_SERVICE, startServer, type QueryLimitsRequest } from '../query/grpc-services.js';
import { collectFrames } from '../query/results.js';
import { localBrokerHandlers, runScriptLocally } from '../query/services.js';
import { TableStore } from '../table-store/table-store.js';
import { loadCronScripts, type StandaloneCronScript } from './cron-manifests.js';
import { CronRunner, type CronRun } from './cron-runner.js';

export interface StandaloneOptions {
  /** host:port for the query API (default 127.0.0.1:50300; port 0 picks one). */
  readonly listen?: string;
  /** Bytes the table store may hold in total. */
  readonly tableStoreBytes: number;
  readonly sources?: readonly SourceName[];
  /** Which processes the socket tracer watches (default every process but this one). */
  readonly tracer?: CollectorOptions;
  /** Which sides make http_events rows (default the server side, and client sides calling outside this host). */
  readonly traceRoles?: TraceRoleSettings;
  readonly statsIntervalMs?: number;
  readonly profilerIntervalMs?: number;
  /** What the socket tracer may record (default Full) and the protocols it parses (default http). */
  readonly dataAccess?: DataAccessMode;
  readonly protocols?: readonly ProtocolName[];
  /** What px.vizier_name() and px.vizier_namespace() return (default: nothing known). */
  readonly identity?: ClusterIdentity;
  readonly manifestsDir?: string;
  readonly limits?: QueryLimitsRequest;
  readonly log: {
    info(obj: object, msg: string): void;
    warn(obj: object, msg: string): void;
    error(obj: object, msg: string): void;
  };
}

export class StandaloneServer {
  private constructor(
    readonly address: string,
    readonly store: TableStore,
    private readonly collection: DataCollection,
    private readonly server: grpc.Server,
    private readonly cron: CronRunner | undefined,
    private readonly evictTimer: NodeJS.Timeout,
    private readonly metadata: LocalMetadata,
    readonly cronScripts: readonly StandaloneCronScript[],
  ) {}

  static async start(opts: StandaloneOptions): Promise<StandaloneServer> {
    // Manifests first: a bad file stops the start before anything is attached to the kernel.
    const cronScripts = opts.manifestsDir ? loadCronScripts(opts.manifestsDir) : [];
    const store = new TableStore({ totalBytes: opts.tableStoreBytes });
    const metadata = new LocalMetadata();
    // Reads processes while they live, so rows of processes that exited before a query still
    // resolve to their command line and container.
    metadata.startScanning();
    const collection = await DataCollection.start({
      store,
      ...(opts.sources ? { sources: opts.sources } : {}),
      tracer: { ...opts.tracer, ...traceRoleOptions(opts.traceRoles ?? {}) },
      ...(opts.statsIntervalMs ? { statsIntervalMs: opts.statsIntervalMs } : {}),
      ...(opts.profilerIntervalMs ? { profilerIntervalMs: opts.profilerIntervalMs } : {}),
      ...(opts.dataAccess ? { dataAccess: opts.dataAccess } : {}),
      ...(opts.protocols ? { protocols: opts.protocols } : {}),
      onError: (source, err) => opts.log.warn({ source, err: err.message }, 'collector error'),
    });
    for (const s of collection.status()) {
      if (s.state === 'failed') opts.log.error({ source: s.name, err: s.lastError }, 'collector did not start; the other sources keep running');
    }
    if (collection.traceRoleCounters) {
      const line = traceRolesLogLine(collection.insideNetworks);
      opts.log.info(line.fields, line.msg);
    }
    // Tables that stop receiving rows still age out.
    const evictTimer = setInterval(() => store.evictExpired(), 60_000);
    evictTimer.unref();
    const handlerOptions = { source: store, metadata, ...(opts.identity ? { identity: opts.identity } : {}), ...(opts.limits ? { defaultLimits: opts.limits } : {}) };
    let server: grpc.Server;
    let address: string;
    try {
      ({ server, address } = await startServer(opts.listen ?? '127.0.0.1:50300', (s) => s.addService(BROKER_SERVICE, localBrokerHandlers(handlerOptions))));
    } catch (err) {
      clearInterval(evictTimer);
      metadata.stopScanning();
      await collection.stop();
      throw new Error(`cannot listen on ${opts.listen ?? '127.0.0.1:50300'}: ${(err as Error).message}; pass --listen HOST:PORT (port 0 picks a free one)`);
    }
    let cron: CronRunner | undefined;
    if (cronScripts.length > 0) {
      const log = (run: CronRun) =>
        run.succeeded ? opts.log.info({ cronscript: run.id, durationMs: run.durationMs, rows: run.rows }, 'cronscript run') : opts.log.warn({ cronscript: run.id, durationMs: run.durationMs, err: run.error }, 'cronscript run failed');
      cron = new CronRunner(cronScripts, (script, signal) => collectFrames(runScriptLocally({ script: script.script, args: script.args, file: script.source, limits: { timeoutMs: script.timeoutMs } }, handlerOptions, signal)), log);
      cron.start();
      for (const s of cronScripts) opts.log.info({ cronscript: s.id, schedule: s.cron ?? `every ${s.everyMs} ms`, suspend: s.suspend }, 'cronscript scheduled');
    }
    return new StandaloneServer(address, store, collection, server, cron, evictTimer, metadata, cronScripts);
  }

  status(): SourceStatus[] {
    return this.collection.status();
  }

  async stop(): Promise<void> {
    this.cron?.stop();
    clearInterval(this.evictTimer);
    this.metadata.stopScanning();
    await new Promise<void>((resolve) => this.server.tryShutdown(() => resolve()));
    await this.collection.stop();
  }
}
