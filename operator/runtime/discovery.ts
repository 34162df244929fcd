// Maps apiVersion + kind to the REST resource (plural, scope) by asking the API server,
// for callers that hold only an object (server-side apply of rendered children).
import { apiVersionOf, groupVersionPath } from './paths.js';
import { isRecord, type KubeTransport } from './rest.js';
import type { ResourceType } from './types.js';

export class Discovery {
  /** apiVersion → kind → resource. */
  private readonly known = new Map<string, Map<string, ResourceType>>();
  private readonly inFlight = new Map<string, Promise<Map<string, ResourceType>>>();

  constructor(private readonly transport: KubeTransport) {}

  /** Seeds a type so it is resolved without a discovery request. */
  remember(type: ResourceType): void {
    const apiVersion = apiVersionOf(type);
    const kinds = this.known.get(apiVersion) ?? new Map<string, ResourceType>();
    kinds.set(type.kind, type);
    this.known.set(apiVersion, kinds);
  }

  async resourceFor(apiVersion: string, kind: string, signal?: AbortSignal): Promise<ResourceType> {
    let kinds = this.known.get(apiVersion);
    // A miss re-reads the group version: its CRD may have been installed since.
    if (!kinds?.has(kind)) kinds = await this.fetch(apiVersion, signal);
    const type = kinds.get(kind);
    if (!type) throw new Error(`the API server serves no kind ${kind} in ${apiVersion}; is its CRD installed?`);
    return type;
  }

  /** Concurrent misses share one request, which carries the first caller's signal. */
  private fetch(apiVersion: string, signal?: AbortSignal): Promise<Map<string, ResourceType>> {
    let pending = this.inFlight.get(apiVersion);
    if (!pending) {
      pending = this.read(apiVersion, signal).finally(() => this.inFlight.delete(apiVersion));
      this.inFlight.set(apiVersion, pending);
    }
    return pending;
  }

  private async read(apiVersion: string, signal?: AbortSignal): Promise<Map<string, ResourceType>> {
    const list = await this.transport.request({ method: 'GET', path: groupVersionPath(apiVersion), object: `API group version ${apiVersion}`, signal });
    const [group, version] = apiVersion.includes('/') ? apiVersion.split('/', 2) : ['', apiVersion];
    const kinds = new Map<string, ResourceType>(this.known.get(apiVersion));
    const resources = isRecord(list) && Array.isArray(list.resources) ? list.resources : [];
    for (const r of resources) {
      // Subresources ("deployments/status") share the kind of their parent.
      if (!isRecord(r) || typeof r.name !== 'string' || r.name.includes('/') || typeof r.kind !== 'string') continue;
      kinds.set(r.kind, { group, version, kind: r.kind, plural: r.name, namespaced: r.namespaced === true });
    }
    this.known.set(apiVersion, kinds);
    return kinds;
  }
}
