// One WATCH request on a collection, over node:http(s) with the KubeConfig's credentials: its
// events one by one, then how it ended. client-node's own Watch (2.x) aborts a watch that has
// been silent for 30 s, so each quiet collection would reconnect twice a minute and the reflector
// would count every reconnect as a failure. Here the server decides when a watch ends (its
// timeoutSeconds, 5–10 min from the reflector), and only a connection still silent a grace period
// after that is given up as dead.
import http from 'node:http';
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { apiErrorFromResponse } from './api-error.js';

export interface WatchQuery {
  /** Where to resume; '' starts from the server's current state. */
  readonly resourceVersion: string;
  /** The server ends the watch after this many seconds (at least 1). */
  readonly timeoutSeconds: number;
  readonly labelSelector?: string;
  /** How long past timeoutSeconds a silent connection is still waited for (default 30 s). */
  readonly graceMs?: number;
}

export interface WatchCallbacks {
  /** Each event: ADDED, MODIFIED, DELETED, BOOKMARK, or ERROR with a Status object. */
  onEvent(type: string, object: unknown): void;
  /**
   * Once, when the watch ends by itself: undefined when the server closed it; an ApiError when
   * it refused the request; another Error when the connection failed, went silent past
   * timeoutSeconds plus the grace, or carried a line that is not JSON. Not called after abort().
   */
  onDone(err?: unknown): void;
}

export interface WatchStream {
  abort(): void;
}

/** Opens the watch; rejects only when it cannot even be sent (no current cluster, credentials that fail). */
export async function openWatch(kc: KubeConfig, path: string, query: WatchQuery, callbacks: WatchCallbacks): Promise<WatchStream> {
  if (!Number.isInteger(query.timeoutSeconds) || query.timeoutSeconds < 1) {
    throw new Error(`watch of ${path}: timeoutSeconds must be a whole number of seconds, at least 1 (got ${query.timeoutSeconds})`);
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('kubeconfig has no current cluster: set current-context');
  const url = new URL(cluster.server.replace(/\/+$/, '') + path);
  url.searchParams.set('watch', 'true');
  url.searchParams.set('allowWatchBookmarks', 'true');
  url.searchParams.set('timeoutSeconds', String(query.timeoutSeconds));
  if (query.resourceVersion) url.searchParams.set('resourceVersion', query.resourceVersion);
  if (query.labelSelector) url.searchParams.set('labelSelector', query.labelSelector);
  // Credentials are read per watch so rotated tokens are picked up.
  const options: https.RequestOptions = {};
  await kc.applyToHTTPSOptions(options);

  const controller = new AbortController();
  let ended = false;
  const end = (err?: unknown): void => {
    if (ended) return;
    ended = true;
    callbacks.onDone(err);
  };
  const silentMs = query.timeoutSeconds * 1000 + (query.graceMs ?? 30_000);
  const send = url.protocol === 'https:' ? https.request : http.request;
  const req = send(url, { ...options, method: 'GET', headers: { ...options.headers, Accept: 'application/json' }, signal: controller.signal }, (res) => {
    res.setEncoding('utf8');
    if (res.statusCode !== 200) {
      let body = '';
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => end(apiErrorFromResponse('WATCH', path, res.statusCode ?? 0, res.statusMessage, body)));
      return;
    }
    let pending = '';
    res.on('data', (chunk: string) => {
      pending += chunk;
      for (let nl = pending.indexOf('\n'); nl >= 0 && !ended; nl = pending.indexOf('\n')) {
        const line = pending.slice(0, nl).trim();
        pending = pending.slice(nl + 1);
        if (line) deliver(line);
      }
    });
    res.on('end', () => end());
    res.on('error', (err) => end(err));
  });
  const deliver = (line: string): void => {
    let event: { type?: unknown; object?: unknown };
    try {
      event = JSON.parse(line) as typeof event;
    } catch {
      end(new Error(`watch of ${path}: the API server sent a line that is not JSON: ${line.slice(0, 200)}`));
      controller.abort();
      return;
    }
    callbacks.onEvent(String(event.type), event.object);
  };
  req.setTimeout(silentMs, () => {
    end(new Error(`watch of ${path}: nothing for ${silentMs / 1000} s although the server ends a watch after ${query.timeoutSeconds} s: the connection is dead`));
    controller.abort();
  });
  req.on('error', (err) => end(err));
  req.end();
  return {
    abort() {
      ended = true;
      controller.abort();
    },
  };
}
