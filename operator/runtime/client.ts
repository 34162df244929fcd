// The ApplyClient reconcilers write through: server-side apply under one field manager,
// status and metadata merge patches, deletes and live reads. Every write is counted, so
// "idle → zero writes" can be asserted from the outside.
import type { KubernetesObject } from '@kubernetes/client-node';
import { Discovery } from './discovery.js';
import { isNotFound } from '../../lib/kube/api-error.js';
import { describeObject, objectPath } from './paths.js';
import type { KubeTransport } from './rest.js';
import { FIELD_MANAGER, type ApplyClient, type ObjectKey, type ResourceType } from './types.js';

/** Called once per write request (verb: apply, patch_status, patch_metadata, delete, create, patch). */
export type WriteCounter = (verb: string, kind: string) => void;

export interface KubeClientOptions {
  countWrite?: WriteCounter;
  /** Shared with other clients to avoid repeated discovery requests. */
  discovery?: Discovery;
  /** Carried by every request; an aborted signal fails requests in flight and refuses new ones. */
  signal?: AbortSignal;
}

const MERGE_PATCH = 'application/merge-patch+json';
const APPLY_PATCH = 'application/apply-patch+yaml';

export class KubeClient implements ApplyClient {
  readonly discovery: Discovery;
  private readonly countWrite: WriteCounter;
  private readonly signal?: AbortSignal;

  constructor(
    private readonly transport: KubeTransport,
    opts: KubeClientOptions = {},
  ) {
    this.discovery = opts.discovery ?? new Discovery(transport);
    this.countWrite = opts.countWrite ?? (() => undefined);
    this.signal = opts.signal;
  }

  /** The same client (transport, discovery, write counter) with every request carrying `signal`. */
  withSignal(signal: AbortSignal): KubeClient {
    return new KubeClient(this.transport, { countWrite: this.countWrite, discovery: this.discovery, signal });
  }

  async apply<T extends KubernetesObject>(obj: T): Promise<T> {
    const { apiVersion, kind } = obj;
    const name = obj.metadata?.name;
    if (!apiVersion || !kind || !name) {
      throw new Error(`cannot apply an object without apiVersion, kind and metadata.name (got ${apiVersion}/${kind} "${name ?? ''}")`);
    }
    const type = await this.discovery.resourceFor(apiVersion, kind, this.signal);
    const key = { namespace: type.namespaced ? (obj.metadata?.namespace ?? '') : '', name };
    if (type.namespaced && !key.namespace) throw new Error(`cannot apply ${kind} ${name}: ${kind} is namespaced and metadata.namespace is empty`);
    this.countWrite('apply', kind);
    const applied = await this.transport.request({
      method: 'PATCH',
      path: objectPath(type, key),
      query: { fieldManager: FIELD_MANAGER, force: true },
      body: obj,
      contentType: APPLY_PATCH,
      object: describeObject(kind, key),
      signal: this.signal,
    });
    return applied as T;
  }

  async patchStatus(type: ResourceType, key: ObjectKey, status: unknown): Promise<void> {
    this.countWrite('patch_status', type.kind);
    await this.transport.request({
      method: 'PATCH',
      path: objectPath(type, key, 'status'),
      // Named, like every other write, so managedFields (and Argo CD's diff) show who owns status.
      query: { fieldManager: FIELD_MANAGER },
      body: { status },
      contentType: MERGE_PATCH,
      object: describeObject(type.kind, key),
      signal: this.signal,
    });
  }

  async delete(type: ResourceType, key: ObjectKey, propagation: 'Background' | 'Foreground' | 'Orphan' = 'Background'): Promise<void> {
    this.countWrite('delete', type.kind);
    try {
      await this.transport.request({
        method: 'DELETE',
        path: objectPath(type, key),
        body: { apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy: propagation },
        object: describeObject(type.kind, key),
        signal: this.signal,
      });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  async patchMetadata(type: ResourceType, key: ObjectKey, metadata: Record<string, unknown>): Promise<void> {
    this.countWrite('patch_metadata', type.kind);
    await this.transport.request({
      method: 'PATCH',
      path: objectPath(type, key),
      query: { fieldManager: FIELD_MANAGER },
      body: { metadata },
      contentType: MERGE_PATCH,
      object: describeObject(type.kind, key),
      signal: this.signal,
    });
  }

  async get<T extends KubernetesObject>(type: ResourceType, key: ObjectKey): Promise<T | undefined> {
    try {
      return (await this.transport.request({ method: 'GET', path: objectPath(type, key), object: describeObject(type.kind, key), signal: this.signal })) as T;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }
}
