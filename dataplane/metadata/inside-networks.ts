// The networks whose servers a PEM (or the standalone mode) counts as traced on their own side,
// so that a client side calling into them is not recorded twice (collectors/trace-roles.ts).
// Where they come from:
//   - given explicitly (--cluster-cidrs / --service-cidrs): those blocks and loopback;
//   - in a cluster: the Kubernetes API (cluster-networks.ts), with either explicit list replacing
//     its half of what the API says;
//   - otherwise (standalone, a PEM without a cluster): this host's addresses and loopback.
import { networkInterfaces } from 'node:os';
import { CidrSet, LOOPBACK, parseCidr, type Cidr } from '../../lib/cidr.js';

export interface InsideNetworks {
  /** The blocks inside now, or undefined while they are not known yet. A new object each time they change. */
  current(): CidrSet | undefined;
  /** Where they come from, for logs. */
  readonly source: string;
}

/** Blocks that never change. */
export class FixedNetworks implements InsideNetworks {
  private readonly set: CidrSet;

  constructor(
    cidrs: Iterable<Cidr>,
    readonly source: string,
  ) {
    this.set = new CidrSet(cidrs);
  }

  current(): CidrSet {
    return this.set;
  }
}

/** The addresses of this host's interfaces (os.networkInterfaces()), as /32 and /128 blocks. */
export function interfaceAddresses(): Cidr[] {
  const out: Cidr[] = [];
  for (const addrs of Object.values(networkInterfaces())) {
    // A link-local IPv6 address carries its zone ("fe80::1%eth0"); the address is the part before it.
    for (const a of addrs ?? []) out.push(parseCidr(a.address.split('%')[0]!));
  }
  return out;
}

/**
 * This host's addresses and loopback, re-read at most every `refreshMs` (default 10 s, the
 * metadata's /proc scan period), so an address added later (a new interface, DHCP) counts too.
 */
export class HostNetworks implements InsideNetworks {
  readonly source = "this host's addresses and loopback";
  private set: CidrSet | undefined;
  private readAt = -Infinity;

  constructor(
    private readonly read: () => Cidr[] = interfaceAddresses,
    private readonly refreshMs = 10_000,
    private readonly now: () => number = () => performance.now(),
  ) {}

  current(): CidrSet {
    const t = this.now();
    if (this.set && t - this.readAt < this.refreshMs) return this.set;
    this.readAt = t;
    const next = new CidrSet([...LOOPBACK, ...this.read()]);
    if (!this.set?.equals(next)) this.set = next;
    return this.set!;
  }
}

/** What the user set: either list replaces what discovery would find for its half. */
export interface InsideNetworkSettings {
  /** The cluster's pod networks (instead of nodes' spec.podCIDRs, pod and node addresses). */
  readonly clusterCidrs?: readonly Cidr[];
  /** The cluster's service networks (instead of the block read off the services' cluster IPs). */
  readonly serviceCidrs?: readonly Cidr[];
}

/**
 * The inside networks of a process with no cluster view: the explicit blocks when any are set
 * (with loopback), else this host's addresses and loopback. In a cluster, ClusterNetworks.
 */
export function localInsideNetworks(settings: InsideNetworkSettings = {}): InsideNetworks {
  const given = [...(settings.clusterCidrs ?? []), ...(settings.serviceCidrs ?? [])];
  if (given.length > 0) return new FixedNetworks([...LOOPBACK, ...given], 'the configured cluster and service CIDRs and loopback');
  return new HostNetworks();
}
