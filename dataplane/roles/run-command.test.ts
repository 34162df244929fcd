// `loupe run` against real gRPC servers on 127.0.0.1: a server's own UNAVAILABLE is printed as the
// server sent it; an address nothing listens on, or a TLS mismatch, is a connection failure that
// names the address and what to do. Certificates come from the openssl CLI (`make deps` installs it).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import type { NatsConnection } from 'nats';
import { UsageError } from '../../lib/cli.js';
import { AgentRegistry } from '../query/agent-registry.js';
import { classifyCallFailure, watchConnection } from '../query/errors.js';
import { BROKER_SERVICE, callStream, openClient, startServer, statusError } from '../query/grpc-services.js';
import { collectFrames } from '../query/results.js';
import { brokerHandlers } from '../query/services.js';
import { parseRunArgs, runCommand } from './run-command.js';

const SERVER_NAME = 'vizier-query-broker.loupe.svc';

/** DIR/ca.crt, tls.crt (DNS:SERVER_NAME, IP:127.0.0.1), tls.key: a fresh CA and one leaf it signed. */
function issueTlsDir(dir: string): string {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2'];
  const openssl = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  openssl(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-subj', '/CN=loupe-test-ca']);
  openssl(['req', '-x509', '-CA', 'ca.crt', '-CAkey', 'ca.key', ...ec, '-keyout', 'tls.key', '-out', 'tls.crt', '-subj', '/CN=loupe-test-leaf', '-addext', `subjectAltName=DNS:${SERVER_NAME},IP:127.0.0.1`, '-addext', 'basicConstraints=critical,CA:FALSE']);
  return dir;
}

/** A port on 127.0.0.1 that nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCommand(args, (s) => (out += s), (s) => (err += s), env);
  return { code, out, err };
}

/** The real broker with nobody registered: it answers every script with UNAVAILABLE and its reason. */
const emptyBroker = () => brokerHandlers({ registry: new AgentRegistry(undefined as unknown as NatsConnection) });
const NO_PEMS = 'no PEM agents are registered: check that the PEM DaemonSet runs and reaches NATS';

const scratch: string[] = [];
const servers: grpc.Server[] = [];
after(() => {
  for (const s of servers) s.forceShutdown();
  for (const d of scratch) rmSync(d, { recursive: true, force: true });
});

describe('loupe run: a server that answers UNAVAILABLE vs no connection at all', () => {
  let broker: string;

  before(async () => {
    const { server, address } = await startServer('127.0.0.1:0', (s) => s.addService(BROKER_SERVICE, emptyBroker()));
    servers.push(server);
    broker = address;
  });

  it("prints the broker's own UNAVAILABLE message, not a connection failure", async () => {
    const r = await run(['--server', broker, 'px/http_data']);
    assert.equal(r.code, 1);
    assert.equal(r.err, `loupe run: ${NO_PEMS}\n`);
    assert.equal(r.out, '');
  });

  it('names the address nothing listens on and says what to start', async () => {
    const port = await closedPort();
    const r = await run(['--server', `127.0.0.1:${port}`, 'px/http_data']);
    assert.equal(r.code, 1);
    assert.match(r.err, new RegExp(`^loupe run: could not connect to 127\\.0\\.0\\.1:${port}: connection refused \\(connect ECONNREFUSED 127\\.0\\.0\\.1:${port}\\); `));
    assert.match(r.err, /`loupe standalone`/);
    assert.match(r.err, /`loupe query-broker`/);
    assert.match(r.err, /--server HOST:PORT/);
  });

  it('classifies real grpc-js errors by whether the channel ever connected, not by their text', async () => {
    const failure = async (address: string) => {
      const client = openClient(address);
      const connected = watchConnection(client);
      try {
        await collectFrames(callStream(client, BROKER_SERVICE.executeScript, { script: '' }, undefined, 5_000));
        assert.fail('the call succeeded');
      } catch (err) {
        assert.equal((err as grpc.ServiceError).code, grpc.status.UNAVAILABLE);
        return classifyCallFailure(err, connected());
      } finally {
        client.close();
      }
    };
    assert.deepEqual(await failure(broker), { kind: 'status', code: grpc.status.UNAVAILABLE, message: NO_PEMS });
    const port = await closedPort();
    const refused = await failure(`127.0.0.1:${port}`);
    assert.equal(refused.kind, 'connect');
    assert.match(refused.kind === 'connect' ? refused.reason : '', /^connection refused/);

    // A broker that could not reach its Kelvin forwards grpc-js's own "No connection established"
    // text; it still came from a server that answered, so it is printed as the server's message.
    const forwarded = 'No connection established. Last error: Error: connect ECONNREFUSED 10.0.0.9:59300. Resolution note: ';
    const { server, address } = await startServer('127.0.0.1:0', (s) => s.addService(BROKER_SERVICE, { executeScript: (call: grpc.ServerWritableStream<unknown, unknown>) => call.emit('error', statusError(grpc.status.UNAVAILABLE, forwarded)) }));
    servers.push(server);
    assert.deepEqual(await failure(address), { kind: 'status', code: grpc.status.UNAVAILABLE, message: forwarded });
  });

  it('reads a name that does not resolve as a connection failure', () => {
    const err = Object.assign(new Error('14 UNAVAILABLE: Name resolution failed for target dns:nowhere.invalid:50300'), { code: grpc.status.UNAVAILABLE, details: 'Name resolution failed for target dns:nowhere.invalid:50300' });
    assert.deepEqual(classifyCallFailure(err, false), { kind: 'connect', reason: 'the host name does not resolve (nowhere.invalid:50300)', tlsHandshake: false });
    assert.deepEqual(classifyCallFailure(statusError(grpc.status.INVALID_ARGUMENT, 'script.pxl:1:1: ...'), false), { kind: 'status', code: grpc.status.INVALID_ARGUMENT, message: 'script.pxl:1:1: ...' });
  });
});

describe('loupe run --tls-dir', () => {
  let dir: string;
  let broker: string;

  before(async () => {
    dir = issueTlsDir(mkdtempSync(join(tmpdir(), 'loupe-run-tls-')));
    scratch.push(dir);
    const read = (name: string) => readFileSync(join(dir, name));
    const credentials = grpc.ServerCredentials.createSsl(read('ca.crt'), [{ private_key: read('tls.key'), cert_chain: read('tls.crt') }], true);
    const { server, address } = await startServer('127.0.0.1:0', (s) => s.addService(BROKER_SERVICE, emptyBroker()), credentials);
    servers.push(server);
    broker = address;
  });

  it('takes the flag, else $LOUPE_TLS_DIR; the flag wins', () => {
    const parsed = (args: string[], env: NodeJS.ProcessEnv) => {
      return parseRunArgs([...args, 'px/http_data'], env).tlsDir;
    };
    assert.deepEqual(parsed(['--tls-dir', '/a'], { LOUPE_TLS_DIR: '/b' }), { value: '/a', from: '--tls-dir' });
    assert.deepEqual(parsed([], { LOUPE_TLS_DIR: '/b' }), { value: '/b', from: '$LOUPE_TLS_DIR' });
    assert.equal(parsed([], { LOUPE_TLS_DIR: '' }), undefined);
    assert.equal(parsed([], {}), undefined);
    assert.throws(() => parsed(['--tls-dir', ''], {}), /--tls-dir: name a directory/);
  });

  it('speaks mutual TLS to a broker that requires it (its answer gets through)', async () => {
    const r = await run(['--server', broker, '--tls-dir', dir, 'px/http_data']);
    assert.equal(r.err, `loupe run: ${NO_PEMS}\n`);
    const fromEnv = await run(['--server', broker, 'px/http_data'], { LOUPE_TLS_DIR: dir });
    assert.equal(fromEnv.err, `loupe run: ${NO_PEMS}\n`);
  });

  it('without it, says the connection failed and suggests --tls-dir', async () => {
    const r = await run(['--server', broker, 'px/http_data']);
    assert.equal(r.code, 1);
    assert.match(r.err, new RegExp(`^loupe run: could not connect to ${broker.replace(/\./g, '\\.')}: .*; if the server requires mutual TLS .*pass --tls-dir DIR \\(ca\\.crt, tls\\.crt, tls\\.key\\) or set \\$LOUPE_TLS_DIR\\n$`));
  });

  it('against a plaintext server, says it does not use TLS', async () => {
    const { server, address } = await startServer('127.0.0.1:0', (s) => s.addService(BROKER_SERVICE, emptyBroker()));
    servers.push(server);
    const r = await run(['--server', address, '--tls-dir', dir, 'px/http_data']);
    assert.equal(r.code, 1);
    assert.match(r.err, /could not connect to .*: TLS handshake failed: wrong version number; the server there does not use TLS: run without --tls-dir\n$/);
  });

  it('against a server with another CA, says the handshake failed and what to check', async () => {
    const other = issueTlsDir(mkdtempSync(join(tmpdir(), 'loupe-run-tls-')));
    scratch.push(other);
    const r = await run(['--server', broker, '--tls-dir', other, 'px/http_data']);
    assert.equal(r.code, 1);
    assert.match(r.err, new RegExp(`could not connect to .*: TLS handshake failed: .*; check that --tls-dir ${other} holds the CA that signed the server's certificate \\(ca\\.crt\\) and that the server's certificate names ${SERVER_NAME.replace(/\./g, '\\.')}`));
  });

  it('names a missing file in a usage error (exit 2) before dialling', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'loupe-run-tls-'));
    scratch.push(empty);
    await assert.rejects(run(['--server', broker, '--tls-dir', empty, 'px/http_data']), (e: unknown) => {
      assert.ok(e instanceof UsageError);
      assert.equal(e.flag, '--tls-dir');
      assert.equal(e.message, `--tls-dir "${empty}": ${join(empty, 'ca.crt')} does not exist; the directory must hold ca.crt, tls.crt, tls.key`);
      return true;
    });
    await assert.rejects(run(['--server', broker, 'px/http_data'], { LOUPE_TLS_DIR: join(empty, 'nope') }), (e: unknown) => {
      assert.ok(e instanceof UsageError);
      assert.equal(e.flag, '$LOUPE_TLS_DIR');
      assert.match(e.message, /^\$LOUPE_TLS_DIR ".*nope": .*nope\/ca\.crt does not exist/);
      return true;
    });
  });
});
