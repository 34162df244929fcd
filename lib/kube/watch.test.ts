import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { ApiError, isGone } from './api-error.js';
import { openWatch, type WatchQuery } from './watch.js';

/** A stand-in API server on loopback: each test sets how it answers the next watch. */
let answer: (req: IncomingMessage, res: ServerResponse) => void;
let server: Server;
let kc: KubeConfig;
const closed: Promise<void>[] = [];

before(async () => {
  server = createServer((req, res) => {
    closed.push(once(res, 'close').then(() => undefined));
    answer(req, res);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, skipTLSVerify: true }],
    users: [{ name: 'u', token: 'secret-token' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
});
after(() => {
  server.closeAllConnections();
  server.close();
});

interface Run {
  events: [string, unknown][];
  done: Promise<unknown>;
}

async function watch(query: Partial<WatchQuery> = {}): Promise<Run & { abort(): void }> {
  const events: [string, unknown][] = [];
  let resolveDone!: (err: unknown) => void;
  const done = new Promise<unknown>((resolve) => (resolveDone = resolve));
  const stream = await openWatch(kc, '/api/v1/pods', { resourceVersion: '', timeoutSeconds: 300, ...query }, {
    onEvent: (type, object) => events.push([type, object]),
    onDone: (err) => resolveDone(err),
  });
  return { events, done, abort: () => stream.abort() };
}

const line = (type: string, object: unknown) => `${JSON.stringify({ type, object })}\n`;

describe('openWatch', () => {
  it('sends the query and the credentials, delivers events split anywhere across chunks, and ends cleanly when the server does', async () => {
    let seen: IncomingMessage | undefined;
    const pod = { kind: 'Pod', metadata: { name: 'a', resourceVersion: '7' } };
    answer = (req, res) => {
      seen = req;
      res.writeHead(200, { 'Content-Type': 'application/json' });
      const text = line('ADDED', pod) + line('BOOKMARK', { kind: 'Pod', metadata: { resourceVersion: '9' } });
      res.write(text.slice(0, 5));
      res.write(text.slice(5, 60));
      res.end(text.slice(60));
    };
    const run = await watch({ resourceVersion: '5', labelSelector: 'app=x' });
    assert.equal(await run.done, undefined);
    assert.deepEqual(run.events, [['ADDED', pod], ['BOOKMARK', { kind: 'Pod', metadata: { resourceVersion: '9' } }]]);
    const url = new URL(seen!.url!, 'http://x');
    assert.equal(url.pathname, '/api/v1/pods');
    assert.deepEqual(Object.fromEntries(url.searchParams), { watch: 'true', allowWatchBookmarks: 'true', timeoutSeconds: '300', resourceVersion: '5', labelSelector: 'app=x' });
    assert.equal(seen!.headers.authorization, 'Bearer secret-token');
  });

  it('a refused watch ends with an ApiError carrying the Status (410 Expired: list again)', async () => {
    answer = (_req, res) => {
      res.writeHead(410, 'Gone', { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ kind: 'Status', code: 410, reason: 'Expired', message: 'too old resource version: 5 (90)' }));
    };
    const err = await (await watch({ resourceVersion: '5' })).done;
    assert.ok(err instanceof ApiError);
    assert.ok(isGone(err));
    assert.equal(err.message, 'WATCH /api/v1/pods failed: 410 Expired: too old resource version: 5 (90)');
  });

  it('a line that is not JSON ends the watch with an error quoting it, after the events before it', async () => {
    answer = (_req, res) => {
      res.writeHead(200);
      res.write(line('ADDED', { metadata: { name: 'a' } }) + '<html>proxy error</html>\n' + line('ADDED', { metadata: { name: 'b' } }));
    };
    const run = await watch();
    const err = await run.done;
    assert.ok(err instanceof Error);
    assert.equal(err.message, 'watch of /api/v1/pods: the API server sent a line that is not JSON: <html>proxy error</html>');
    assert.deepEqual(run.events.map(([, o]) => (o as { metadata: { name: string } }).metadata.name), ['a']);
  });

  it('a connection that stays silent past the server\'s own timeout and the grace is given up as dead', async () => {
    answer = (_req, res) => res.writeHead(200).flushHeaders();
    const err = await (await watch({ timeoutSeconds: 1, graceMs: 0 })).done;
    assert.ok(err instanceof Error);
    assert.equal(err.message, 'watch of /api/v1/pods: nothing for 1 s although the server ends a watch after 1 s: the connection is dead');
  });

  it('abort() closes the connection and reports nothing', async () => {
    answer = (_req, res) => res.writeHead(200).flushHeaders();
    const before = closed.length;
    const run = await watch();
    let reported = false;
    void run.done.then(() => (reported = true));
    while (closed.length === before) await new Promise((r) => setImmediate(r));
    run.abort();
    await closed.at(-1);
    // A whole second watch later, the aborted one has still said nothing.
    answer = (_req, res) => res.writeHead(200).end(line('ADDED', {}));
    assert.equal(await (await watch()).done, undefined);
    assert.equal(reported, false);
  });

  it('refuses a timeoutSeconds the server would read as "no timeout"', async () => {
    await assert.rejects(watch({ timeoutSeconds: 0 }), { message: 'watch of /api/v1/pods: timeoutSeconds must be a whole number of seconds, at least 1 (got 0)' });
  });
});
