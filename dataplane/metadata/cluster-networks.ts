// A cluster's inside networks, from what KubeMetadata watches (its list/watches feed the handlers
// `pods`, `services` and `nodes` as well as its index):
//   - pod networks: every node's spec.podCIDRs, the nodes' InternalIP/ExternalIP addresses, and
//     every pod IP (CNIs that ignore podCIDRs, and host-network pods, whose IPs are their node's);
//   - service networks: per family, the smallest block holding every service's cluster IPs (the
//     API server allocates them all from its --service-cluster-ip-range, which no API exposes);
//   - loopback.
// Each explicit setting replaces its half. Known once pods and services have been listed (the
// half a setting replaces need not be); nodes come when they come (pod IPs cover their pods until
// then). Pod churn re-reads the set only when an address appears or goes, at most every
// `minRebuildMs`.
import type { ReflectorHandler } from '../../lib/kube/reflector.js';
import { CidrSet, LOOPBACK, parseCidr, parseIp, smallestCover, type Cidr } from '../../lib/cidr.js';
import type { InsideNetworkSettings, InsideNetworks } from './inside-networks.js';
import type { NodeRecord, PodRecord, ServiceRecord } from './kube-objects.js';

/** Addresses each owned by objects (by uid), counted so that a change shows only when one appears or goes. */
class OwnedAddresses {
  private readonly byOwner = new Map<string, readonly string[]>();
  private readonly counts = new Map<string, number>();

  /** Sets an owner's addresses; true when the set of distinct addresses changed. */
  set(owner: string, addrs: readonly string[]): boolean {
    const before = this.byOwner.get(owner) ?? [];
    if (before.length === addrs.length && before.every((a, i) => a === addrs[i])) return false;
    let changed = false;
    for (const a of addrs) {
      const n = this.counts.get(a) ?? 0;
      this.counts.set(a, n + 1);
      if (n === 0) changed = true;
    }
    for (const a of before) {
      const n = this.counts.get(a)! - 1;
      if (n === 0) {
        this.counts.delete(a);
        changed = true;
      } else {
        this.counts.set(a, n);
      }
    }
    if (addrs.length === 0) this.byOwner.delete(owner);
    else this.byOwner.set(owner, addrs);
    return changed;
  }

  remove(owner: string): boolean {
    return this.set(owner, []);
  }

  /** Replaces every owner; true when the set of distinct addresses changed. */
  replace(entries: readonly (readonly [string, readonly string[]])[]): boolean {
    const keep = new Set(entries.map(([owner]) => owner));
    let changed = false;
    for (const owner of [...this.byOwner.keys()]) if (!keep.has(owner)) changed = this.remove(owner) || changed;
    for (const [owner, addrs] of entries) changed = this.set(owner, addrs) || changed;
    return changed;
  }

  values(): IterableIterator<string> {
    return this.counts.keys();
  }
}

export interface ClusterNetworksOptions extends InsideNetworkSettings {
  /** Least time between two re-reads of a changing set (default 5 s). */
  readonly minRebuildMs?: number;
  readonly now?: () => number;
}

export class ClusterNetworks implements InsideNetworks {
  readonly source: string;
  private readonly podAddrs = new OwnedAddresses();
  private readonly nodeAddrs = new OwnedAddresses();
  private readonly serviceIps = new OwnedAddresses();
  private podsListed = false;
  private servicesListed = false;
  private version = 0;
  private builtVersion = -1;
  private builtAt = -Infinity;
  private set: CidrSet | undefined;
  private readonly minRebuildMs: number;
  private readonly now: () => number;

  constructor(private readonly settings: ClusterNetworksOptions = {}) {
    this.minRebuildMs = settings.minRebuildMs ?? 5_000;
    this.now = settings.now ?? (() => performance.now());
    const pods = settings.clusterCidrs ? 'the configured cluster CIDRs' : "the nodes' pod CIDRs and the pod and node addresses";
    const services = settings.serviceCidrs ? 'the configured service CIDRs' : "the services' cluster IP range";
    this.source = `${pods}, ${services} and loopback`;
  }

  /** Pods and services have been listed (or their half is configured): current() answers. */
  get ready(): boolean {
    return (this.podsListed || this.settings.clusterCidrs !== undefined) && (this.servicesListed || this.settings.serviceCidrs !== undefined);
  }

  current(): CidrSet | undefined {
    if (!this.ready) return undefined;
    if (this.builtVersion === this.version) return this.set;
    const t = this.now();
    if (this.set && t - this.builtAt < this.minRebuildMs) return this.set;
    const next = this.build();
    this.builtVersion = this.version;
    this.builtAt = t;
    if (!this.set?.equals(next)) this.set = next;
    return this.set;
  }

  private build(): CidrSet {
    const blocks: Cidr[] = [...LOOPBACK];
    if (this.settings.clusterCidrs) {
      blocks.push(...this.settings.clusterCidrs);
    } else {
      for (const text of [...this.nodeAddrs.values(), ...this.podAddrs.values()]) {
        const block = parseBlock(text);
        if (block) blocks.push(block);
      }
    }
    if (this.settings.serviceCidrs) {
      blocks.push(...this.settings.serviceCidrs);
    } else {
      const v4: bigint[] = [];
      const v6: bigint[] = [];
      for (const text of this.serviceIps.values()) {
        const addr = parseIp(text);
        if (addr !== undefined) (text.includes(':') ? v6 : v4).push(addr);
      }
      for (const cover of [smallestCover(v4), smallestCover(v6)]) if (cover) blocks.push(cover);
    }
    return new CidrSet(blocks);
  }

  private changed(did: boolean): void {
    if (did) this.version++;
  }

  private handler<R extends { readonly uid: string }>(addrs: OwnedAddresses, of: (r: R) => readonly string[], onList: () => void = () => {}): ReflectorHandler<R> {
    return {
      replace: (records) => {
        this.changed(addrs.replace(records.map((r) => [r.uid, of(r)])));
        onList();
      },
      upsert: (r) => this.changed(addrs.set(r.uid, of(r))),
      remove: (r) => this.changed(addrs.remove(r.uid)),
    };
  }

  /** Pods' IPs (host-network pods' are their node's). */
  readonly pods = this.handler<PodRecord>(this.podAddrs, (p) => p.ips, () => (this.podsListed = true));
  readonly services = this.handler<ServiceRecord>(this.serviceIps, (s) => s.clusterIps, () => (this.servicesListed = true));
  readonly nodes = this.handler<NodeRecord>(this.nodeAddrs, (n) => [...n.podCidrs, ...n.addresses]);
}

/** A CIDR or address from the API; the API validates these fields, so anything else is skipped. */
function parseBlock(text: string): Cidr | undefined {
  try {
    return parseCidr(text);
  } catch {
    return undefined;
  }
}
