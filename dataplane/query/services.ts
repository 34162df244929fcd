// The query roles' gRPC handlers.
//   PEM:    runs the PEM fragment over its table store, streaming bridge batches.
//   Kelvin: calls every PEM, feeds their streams into its fragment's bridges, streams results.
//   Broker: compiles against the tables the PEMs announced, splits the plan, asks a Kelvin.
//   Local:  compiles and runs the whole plan in-process (the standalone mode's API).
import type * as grpc from '@grpc/grpc-js';
import type { ClusterIdentity, MetadataView } from '../metadata/types.js';
import { executePlan } from '../pxl/exec/executor.js';
import type { ExecLimits } from '../pxl/exec/operator.js';
import { compilePxl, type CompiledQuery } from '../pxl/compiler/compile.js';
import { PxlCompileError } from '../pxl/parse/errors.js';
import type { TableSchema, TableSource } from '../table-store/types.js';
import { wallClockNs } from '../../lib/clock.js';
import type { AgentRegistry, AgentState } from './agent-registry.js';
import { toStatus } from './errors.js';
import { StreamReceiverBridges, StreamSenderBridges } from './grpc-bridges.js';
import {
  callStream,
  openClient,
  PROTOCOL_VERSION_HEADER,
  queryServices,
  rawFrames,
  sendVersion,
  statusError,
  versionIn,
  writeFrames,
  type ClientSecurity,
  type FragmentRequest,
  type KelvinRequest,
  type QueryLimitsRequest,
  type ScriptRequest,
} from './grpc-services.js';
import { decodeVersionedPlan, encodePlan, PlanDecodeError, type VersionedPlan } from './plan-codec.js';
import { negotiate, ProtocolVersionError, speaks, THIS_BUILD, type Participant, type Protocol } from './protocol-version.js';
import { resultFrames } from './results.js';
import { splitPlan } from './split-plan.js';
import { encodeFrame, type StreamFrame } from './wire.js';
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

const serveFrames = <Req>(call: Call<Req>, frames: () => AsyncIterable<StreamFrame | Buffer>) => serve(call, () => writeFrames(call, frames()));

/** Frames encoded in the protocol version the query runs at. */
async function* encodedIn(version: number, frames: AsyncIterable<StreamFrame>): AsyncGenerator<Buffer> {
  for await (const frame of frames) yield encodeFrame(frame, version);
}

/** The plan of a request, or the status that refuses it (an unsupported version: FAILED_PRECONDITION). */
function requestPlan(text: unknown, protocol: Protocol, who: string): VersionedPlan {
  if (typeof text !== 'string') throw statusError(status.INVALID_ARGUMENT, `${who} takes the plan as encodePlan() text, got ${typeof text}`);
  try {
    return decodeVersionedPlan(text, protocol);
  } catch (err) {
    if (!(err instanceof PlanDecodeError)) throw err;
    throw statusError(err.unsupportedVersion ? status.FAILED_PRECONDITION : status.INVALID_ARGUMENT, `${who} refused the plan: ${err.message}`);
  }
}

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
  /** The build this PEM is (default this one's). */
  readonly protocol?: Protocol;
  readonly identity?: ClusterIdentity;
}

export function pemHandlers(opts: PemHandlerOptions): grpc.UntypedServiceImplementation {
  const protocol = opts.protocol ?? THIS_BUILD;
  return {
    executeFragment: (call: Call<FragmentRequest>) =>
      void serve(call, async () => {
        sendVersion(call, protocol);
        const { version, plan } = requestPlan(call.request.plan, protocol, 'this PEM');
        const controller = cancelSignal(call);
        const bridges = new StreamSenderBridges(call, version);
        // A PEM fragment ends in bridge sinks only: its output goes out through `bridges`.
        const results = executePlan(plan, { source: opts.source, bridges, signal: controller.signal, limits: execLimits(call.request.limits), ...(opts.metadata ? { metadata: opts.metadata } : {}), ...(opts.identity ? { identity: opts.identity } : {}) });
        for await (const r of results) throw new Error(`a PEM fragment produced rows for display "${r.sink}"; PEM fragments end in bridges only`);
      }),
  };
}

const NO_TABLES: TableSource = { schema: () => undefined, tableNames: () => [], scan: () => [] };

export interface KelvinHandlerOptions {
  readonly metadata?: MetadataView;
  readonly identity?: ClusterIdentity;
  /** Bytes of PEM output Kelvin buffers before failing the query (default 256 MiB). */
  readonly maxBufferedBytes?: number;
  /** Operator state a query may hold here: the default, and the most a request may ask for. */
  readonly maxMemoryBytes?: number;
  /** How Kelvin dials the PEMs (default insecure). */
  readonly pemClient?: ClientSecurity;
  /** The build this Kelvin is (default this one's). */
  readonly protocol?: Protocol;
  /** A PEM refused for its protocol version (the query fails with the same error). */
  readonly onRefused?: (refusal: ProtocolVersionError) => void;
}

/** The request's limits, with the memory limit capped at `maxMemoryBytes` when one is set. */
export function cappedLimits(limits: QueryLimitsRequest | undefined, maxMemoryBytes: number | undefined): Partial<ExecLimits> {
  const requested = execLimits(limits);
  if (maxMemoryBytes === undefined) return requested;
  return { ...requested, maxMemoryBytes: Math.min(requested.maxMemoryBytes ?? maxMemoryBytes, maxMemoryBytes) };
}

export function kelvinHandlers(opts: KelvinHandlerOptions = {}): grpc.UntypedServiceImplementation {
  const protocol = opts.protocol ?? THIS_BUILD;
  const executeFragment = queryServices(protocol).pem.executeFragment;
  return {
    executeQuery: (call: Call<KelvinRequest>) =>
      void serveFrames(call, async function* () {
        sendVersion(call, protocol);
        const started = performance.now();
        const { pemPlan, pems, queryId, limits } = call.request;
        const { version, plan } = requestPlan(call.request.plan, protocol, 'this Kelvin');
        let refusal: ProtocolVersionError | undefined;
        /** Refuses a PEM whose build cannot run the fragment at the query's version. */
        const checkPem = (address: string) => (pemVersion: unknown) => {
          if (typeof pemVersion === 'number' && speaks({ version: pemVersion }, version)) return;
          refusal = new ProtocolVersionError(`PEM ${address}`, pemVersion, protocol, 'this Kelvin', `it cannot run this query, which is at protocol version ${version}`);
          opts.onRefused?.(refusal);
          throw refusal;
        };
        const controller = cancelSignal(call);
        const clients = pems.map((address) => ({ address, client: openClient(address, opts.pemClient) }));
        try {
          const streams = clients.map(({ address, client }) => ({
            name: `PEM ${address}`,
            frames: callStream(client, executeFragment, { queryId, plan: pemPlan, ...(limits ? { limits } : {}) }, controller.signal, undefined, checkPem(address)),
          }));
          const bridgeIds = plan.nodes.flatMap((n) => (n.op === 'bridge_source' ? [n.bridge] : []));
          const bridges = new StreamReceiverBridges(streams, bridgeIds, opts.maxBufferedBytes);
          const results = executePlan(plan, { source: NO_TABLES, bridges, signal: controller.signal, limits: cappedLimits(limits, opts.maxMemoryBytes), ...(opts.metadata ? { metadata: opts.metadata } : {}), ...(opts.identity ? { identity: opts.identity } : {}) });
          try {
            yield* encodedIn(version, resultFrames(results, plan, started, pems.length));
          } catch (err) {
            // The executor reports a failed bridge in its own words; the refusal says it better.
            throw refusal ?? err;
          }
        } finally {
          controller.abort();
          for (const { client } of clients) client.close();
        }
      }),
  };
}

export interface BrokerHandlerOptions {
  /** Agents of the protocol versions this broker supports (AgentRegistry refuses the others). */
  readonly registry: AgentRegistry;
  /** How the broker dials Kelvins (default insecure). */
  readonly kelvinClient?: ClientSecurity;
  /** The build this broker is (default this one's). */
  readonly protocol?: Protocol;
}

/** The caller's build version; a client that names none (not loupe run) is taken to speak this build's. */
function clientParticipant(call: Call<unknown>, protocol: Protocol, refusedBy: string): Participant {
  const version = versionIn(call.metadata) ?? protocol.version;
  if (typeof version !== 'number') throw new ProtocolVersionError('the client', version, protocol, refusedBy, `send ${PROTOCOL_VERSION_HEADER} as a decimal number, or leave it out`);
  return { name: 'the client', version };
}

const agentParticipant = (agent: AgentState): Participant => ({ name: `${agent.kind === 'pem' ? 'PEM' : 'Kelvin'} ${agent.id} at ${agent.address}`, version: agent.protocolVersion });

export function brokerHandlers(opts: BrokerHandlerOptions): grpc.UntypedServiceImplementation {
  const protocol = opts.protocol ?? THIS_BUILD;
  let nextKelvin = 0;
  // Kelvin's frames are relayed as received: never decoded here, written on as they are.
  const executeQuery = rawFrames(queryServices(protocol).kelvin.executeQuery);
  return {
    executeScript: (call: Call<ScriptRequest>) =>
      void serve(call, () => {
        sendVersion(call, protocol);
        return writeFrames(call, relay(call));
      }),
  };

  async function* relay(call: Call<ScriptRequest>): AsyncGenerator<Buffer> {
    const pems = opts.registry.live('pem');
    const kelvins = opts.registry.live('kelvin');
    if (pems.length === 0) throw statusError(status.UNAVAILABLE, 'no PEM agents are registered: check that the PEM DaemonSet runs and reaches NATS');
    if (kelvins.length === 0) throw statusError(status.UNAVAILABLE, 'no Kelvin is registered: check that the Kelvin Deployment runs and reaches NATS');
    const target = kelvins[nextKelvin++ % kelvins.length]!;
    const version = negotiate(protocol, [clientParticipant(call, protocol, 'this query broker'), agentParticipant(target), ...pems.map(agentParticipant)], 'this query broker');
    const tables = new Map<string, TableSchema>();
    for (const pem of pems) for (const t of pem.tables) if (!tables.has(t.name)) tables.set(t.name, t);
    const { plan } = await compileRequest(call.request, [...tables.values()]);
    const { pem, kelvin } = splitPlan(plan);
    const controller = cancelSignal(call);
    const client = openClient(target.address, opts.kelvinClient);
    try {
      const request: KelvinRequest = {
        queryId: crypto.randomUUID(),
        plan: encodePlan(kelvin, version),
        pemPlan: encodePlan(pem, version),
        pems: pems.map((p) => p.address),
        ...(call.request.limits ? { limits: call.request.limits } : {}),
      };
      yield* callStream(client, executeQuery, request, controller.signal);
    } finally {
      client.close();
    }
  }
}

export interface LocalHandlerOptions {
  readonly source: TableSource;
  readonly metadata?: MetadataView;
  readonly identity?: ClusterIdentity;
  readonly defaultLimits?: QueryLimitsRequest;
  /** The build this server is (default this one's). */
  readonly protocol?: Protocol;
}

/** Compiles and runs a script against a local table source, as frames. */
export async function* runScriptLocally(req: ScriptRequest, opts: LocalHandlerOptions, signal?: AbortSignal): AsyncGenerator<StreamFrame> {
  const started = performance.now();
  const { plan } = await compileRequest(req, schemasOf(opts.source));
  const limits = execLimits({ ...opts.defaultLimits, ...req.limits });
  yield* resultFrames(executePlan(plan, { source: opts.source, limits, ...(signal ? { signal } : {}), ...(opts.metadata ? { metadata: opts.metadata } : {}), ...(opts.identity ? { identity: opts.identity } : {}) }), plan, started);
}

export function localBrokerHandlers(opts: LocalHandlerOptions): grpc.UntypedServiceImplementation {
  const protocol = opts.protocol ?? THIS_BUILD;
  return {
    executeScript: (call: Call<ScriptRequest>) =>
      void serveFrames(call, () => {
        sendVersion(call, protocol);
        const version = negotiate(protocol, [clientParticipant(call, protocol, 'this query server')], 'this query server');
        return encodedIn(version, runScriptLocally(call.request, opts, cancelSignal(call).signal));
      }),
  };
}

