// The query roles' gRPC handlers.
//   PEM:    runs the PEM fragment over its table store, streaming bridge batches.
//   Kelvin: calls every PEM, feeds their streams into its fragment's bridges, streams results.
//   Broker: compiles against the tables the PEMs announced, splits the plan, asks a Kelvin.
//   Local:  compiles and runs the whole plan in-process (the standalone mode's API).
import type * as grpc from '@grpc/grpc-js';
import type { MetadataView } from '../metadata/types.js';
import { executePlan } from '../pxl/exec/executor.js';
import type { ExecLimits } from '../pxl/exec/operator.js';
import { compilePxl, type CompiledQuery } from '../pxl/compiler/compile.js';
import { PxlCompileError } from '../pxl/parse/errors.js';
import type { TableSchema, TableSource } from '../table-store/types.js';
import { wallClockNs } from '../stats/proc.js';
import type { AgentRegistry } from './agent-registry.js';
import { toStatus } from './errors.js';
import { StreamReceiverBridges, StreamSenderBridges } from './grpc-bridges.js';
import {
  callStream,
  KELVIN_SERVICE,
  openClient,
  PEM_SERVICE,
  rawFrames,
  statusError,
  writeFrames,
  type ClientSecurity,
  type FragmentRequest,
  type KelvinRequest,
  type QueryLimitsRequest,
  type ScriptRequest,
} from './grpc-services.js';
import { resultFrames } from './results.js';
import { splitPlan } from './split-plan.js';
import type { StreamFrame } from './wire.js';
import { status } from '@grpc/grpc-js';

type Call<Req> = grpc.ServerWritableStream<Req, StreamFrame>;

export function execLimits(limits: QueryLimitsRequest | undefined): Partial<ExecLimits> {
  const out: { -readonly [K in keyof ExecLimits]?: ExecLimits[K] } = {};
  const check = (name: string, v: number | undefined) => {
    if (v !== undefined && !(Number.isSafeInteger(v) && v > 0)) throw statusError(status.INVALID_ARGUMENT, `limits.${name} must be a positive integer, got ${JSON.stringify(v)}`);
    return v;
  };
  if (check('maxResultRows', limits?.maxResultRows) !== undefined) out.maxResultRows = limits!.maxResultRows!;
  if (check('maxMemoryBytes', limits?.maxMemoryBytes) !== undefined) out.maxMemoryBytes = limits!.maxMemoryBytes!;
  if (check('timeoutMs', limits?.timeoutMs) !== undefined) out.maxWallTimeMs = limits!.timeoutMs!;
  return out;
}

/** An AbortSignal that fires when the client cancels the call. */
function cancelSignal(call: grpc.ServerWritableStream<unknown, StreamFrame>): AbortController {
  const controller = new AbortController();
  call.on('cancelled', () => controller.abort());
  return controller;
}

/** Runs a handler's work, ends the call when it is done, or ends it with the error's status. */
async function serve<Req>(call: Call<Req>, work: () => Promise<void>): Promise<void> {
  try {
    await work();
    call.end();
  } catch (err) {
    if (!call.cancelled) call.emit('error', toStatus(err));
  }
}

const serveFrames = <Req>(call: Call<Req>, frames: () => AsyncIterable<StreamFrame>) => serve(call, () => writeFrames(call, frames()));

export async function compileRequest(req: ScriptRequest, tables: readonly TableSchema[], now: bigint = wallClockNs()): Promise<CompiledQuery> {
  if (typeof req.script !== 'string' || req.script.trim() === '') throw statusError(status.INVALID_ARGUMENT, 'script is empty: send the PxL source in "script"');
  const byName = new Map(tables.map((t) => [t.name, t]));
  const compile = (entry: string | undefined) =>
    compilePxl(req.script, {
      schemas: (name) => byName.get(name),
      tableNames: [...byName.keys()].sort(),
      now,
      ...(req.args ? { args: req.args } : {}),
      ...(entry ? { entry } : {}),
      ...(req.file ? { file: req.file } : {}),
    });
  if (req.entry || !req.defaultEntry) return compile(req.entry);
  try {
    // Arguments only make sense for a function: with args, go straight to the default entry.
    if (req.args && Object.keys(req.args).length > 0) return await compile(req.defaultEntry);
    return await compile(undefined);
  } catch (err) {
    if (err instanceof PxlCompileError && err.code === 'no_output') return compile(req.defaultEntry);
    throw err;
  }
}

function schemasOf(source: TableSource): TableSchema[] {
  return source.tableNames().map((n) => source.schema(n)!);
}

export interface PemHandlerOptions {
  readonly source: TableSource;
  readonly metadata?: MetadataView;
}

export function pemHandlers(opts: PemHandlerOptions): grpc.UntypedServiceImplementation {
  return {
    executeFragment: (call: Call<FragmentRequest>) =>
      void serve(call, async () => {
        const controller = cancelSignal(call);
        const bridges = new StreamSenderBridges(call);
        // A PEM fragment ends in bridge sinks only: its output goes out through `bridges`.
        const results = executePlan(call.request.plan, { source: opts.source, bridges, signal: controller.signal, limits: execLimits(call.request.limits), ...(opts.metadata ? { metadata: opts.metadata } : {}) });
        for await (const r of results) throw new Error(`a PEM fragment produced rows for display "${r.sink}"; PEM fragments end in bridges only`);
      }),
  };
}

const NO_TABLES: TableSource = { schema: () => undefined, tableNames: () => [], scan: () => [] };

export interface KelvinHandlerOptions {
  readonly metadata?: MetadataView;
  /** Bytes of PEM output Kelvin buffers before failing the query (default 256 MiB). */
  readonly maxBufferedBytes?: number;
  /** Operator state a query may hold here: the default, and the most a request may ask for. */
  readonly maxMemoryBytes?: number;
  /** How Kelvin dials the PEMs (default insecure). */
  readonly pemClient?: ClientSecurity;
}

/** The request's limits, with the memory limit capped at `maxMemoryBytes` when one is set. */
export function cappedLimits(limits: QueryLimitsRequest | undefined, maxMemoryBytes: number | undefined): Partial<ExecLimits> {
  const requested = execLimits(limits);
  if (maxMemoryBytes === undefined) return requested;
  return { ...requested, maxMemoryBytes: Math.min(requested.maxMemoryBytes ?? maxMemoryBytes, maxMemoryBytes) };
}

export function kelvinHandlers(opts: KelvinHandlerOptions = {}): grpc.UntypedServiceImplementation {
  return {
    executeQuery: (call: Call<KelvinRequest>) =>
      void serveFrames(call, async function* () {
        const started = performance.now();
        const { plan, pemPlan, pems, queryId, limits } = call.request;
        const controller = cancelSignal(call);
        const clients = pems.map((address) => ({ address, client: openClient(address, opts.pemClient) }));
        try {
          const streams = clients.map(({ address, client }) => ({
            name: `PEM ${address}`,
            frames: callStream(client, PEM_SERVICE.executeFragment, { queryId, plan: pemPlan, ...(limits ? { limits } : {}) }, controller.signal),
          }));
          const bridgeIds = plan.nodes.flatMap((n) => (n.op === 'bridge_source' ? [n.bridge] : []));
          const bridges = new StreamReceiverBridges(streams, bridgeIds, opts.maxBufferedBytes);
          const results = executePlan(plan, { source: NO_TABLES, bridges, signal: controller.signal, limits: cappedLimits(limits, opts.maxMemoryBytes), ...(opts.metadata ? { metadata: opts.metadata } : {}) });
          yield* resultFrames(results, plan, started, pems.length);
        } finally {
          controller.abort();
          for (const { client } of clients) client.close();
        }
      }),
  };
}

export interface BrokerHandlerOptions {
  readonly registry: AgentRegistry;
  /** How the broker dials Kelvins (default insecure). */
  readonly kelvinClient?: ClientSecurity;
}

export function brokerHandlers(opts: BrokerHandlerOptions): grpc.UntypedServiceImplementation {
  let nextKelvin = 0;
  // Kelvin's frames are relayed as received: never decoded here, written on as they are.
  const executeQuery = rawFrames(KELVIN_SERVICE.executeQuery);
  return {
    executeScript: (call: Call<ScriptRequest>) =>
      void serve(call, () => writeFrames(call, relay(call))),
  };

  async function* relay(call: Call<ScriptRequest>): AsyncGenerator<Buffer> {
    const pems = opts.registry.live('pem');
    const kelvins = opts.registry.live('kelvin');
    if (pems.length === 0) throw statusError(status.UNAVAILABLE, 'no PEM agents are registered: check that the PEM DaemonSet runs and reaches NATS');
    if (kelvins.length === 0) throw statusError(status.UNAVAILABLE, 'no Kelvin is registered: check that the Kelvin Deployment runs and reaches NATS');
    const tables = new Map<string, TableSchema>();
    for (const pem of pems) for (const t of pem.tables) if (!tables.has(t.name)) tables.set(t.name, t);
    const { plan } = await compileRequest(call.request, [...tables.values()]);
    const { pem, kelvin } = splitPlan(plan);
    const target = kelvins[nextKelvin++ % kelvins.length]!;
    const controller = cancelSignal(call);
    const client = openClient(target.address, opts.kelvinClient);
    try {
      const request: KelvinRequest = { queryId: crypto.randomUUID(), plan: kelvin, pemPlan: pem, pems: pems.map((p) => p.address), ...(call.request.limits ? { limits: call.request.limits } : {}) };
      yield* callStream(client, executeQuery, request, controller.signal);
    } finally {
      client.close();
    }
  }
}

export interface LocalHandlerOptions {
  readonly source: TableSource;
  readonly metadata?: MetadataView;
  readonly defaultLimits?: QueryLimitsRequest;
}

/** Compiles and runs a script against a local table source, as frames. */
export async function* runScriptLocally(req: ScriptRequest, opts: LocalHandlerOptions, signal?: AbortSignal): AsyncGenerator<StreamFrame> {
  const started = performance.now();
  const { plan } = await compileRequest(req, schemasOf(opts.source));
  const limits = execLimits({ ...opts.defaultLimits, ...req.limits });
  yield* resultFrames(executePlan(plan, { source: opts.source, limits, ...(signal ? { signal } : {}), ...(opts.metadata ? { metadata: opts.metadata } : {}) }), plan, started);
}

export function localBrokerHandlers(opts: LocalHandlerOptions): grpc.UntypedServiceImplementation {
  return {
    executeScript: (call: Call<ScriptRequest>) =>
      void serveFrames(call, () => runScriptLocally(call.request, opts, cancelSignal(call).signal)),
  };
}

