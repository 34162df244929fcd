// Small helpers the e2e tests share: raw API access, CRD install, namespaces, polling.
import { readFileSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { KubeTransport } from '../../operator/runtime/rest.js';
import { sleep } from '../../lib/clock.js';
import { isNotFound } from '../../lib/kube/api-error.js';
import { repoRoot } from '../../crds/generate.js';

export function api(kc: KubeConfig): KubeTransport {
  return new KubeTransport(kc);
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 20_000, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await sleep(intervalMs);
  }
}

export function generatedCRDs(): KubernetesObject[] {
  const dir = join(repoRoot(), 'crds', 'generated');
  return readdirSync(dir)
    .filter((f) => f.startsWith('loupe.dev_'))
    .map((f) => parse(readFileSync(join(dir, f), 'utf8')) as KubernetesObject);
}

/** Creates (or replaces) every generated CRD and waits until each is Established. */
export async function installCRDs(kc: KubeConfig): Promise<void> {
  const t = api(kc);
  for (const crd of generatedCRDs()) {
    await t.request({
      method: 'PATCH',
      path: `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata!.name}`,
      query: { fieldManager: 'loupe-e2e', force: true },
      contentType: 'application/apply-patch+yaml',
      body: crd,
    });
  }
  for (const crd of generatedCRDs()) {
    await waitFor(`CRD ${crd.metadata!.name} Established`, async () => {
      const live = (await t.request({ method: 'GET', path: `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata!.name}` })) as { status?: { conditions?: { type: string; status: string }[] } };
      return live.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
    });
  }
}

export async function createNamespace(kc: KubeConfig, name: string): Promise<void> {
  await api(kc).request({ method: 'POST', path: '/api/v1/namespaces', body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name } } });
}

export interface ListResult<T> {
  metadata: { resourceVersion: string };
  items: T[];
}

export async function list<T = KubernetesObject>(kc: KubeConfig, path: string, labelSelector?: string): Promise<T[]> {
  const r = (await api(kc).request({ method: 'GET', path, ...(labelSelector ? { query: { labelSelector } } : {}) })) as ListResult<T>;
  return r.items;
}

export async function get<T = KubernetesObject>(kc: KubeConfig, path: string): Promise<T | undefined> {
  try {
    return (await api(kc).request({ method: 'GET', path })) as T;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}
