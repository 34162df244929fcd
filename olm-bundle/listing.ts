// How Loupe presents itself in an OLM catalog and on OperatorHub: package and channel names,
// the operator's description, links and classification. The version comes from package.json,
// the rest of the bundle from the CRDs, the operator's Deployment and its RBAC.

/** The OLM package: one per operator, the name `Subscription.spec.name` uses. */
export const PACKAGE = 'loupe-operator';

/**
 * One channel per major version, named after OLM's channel-naming convention: `candidate`
 * because Loupe is pre-1.0 and its API is v1alpha1 (releases may still change it), `-v0` so
 * that 1.x can open `stable-v1` beside it without moving anyone's Subscription.
 */
export const CHANNEL = 'candidate-v0';
export const DEFAULT_CHANNEL = CHANNEL;

export const DISPLAY_NAME = 'Loupe';
/** The short text of the OperatorHub tile. */
export const SHORT_DESCRIPTION = 'eBPF observability and continuous CPU profiling for Kubernetes, configured with custom resources.';
export const REPOSITORY = 'https://github.com/loupe-dev/loupe';
export const PROVIDER = { name: 'Loupe', url: REPOSITORY };
export const MAINTAINERS = [{ name: 'Loupe maintainers', email: 'maintainers@loupe.dev' }];
export const LINKS = [
  { name: 'Source', url: REPOSITORY },
  { name: 'Install guide', url: `${REPOSITORY}#install-on-a-cluster` },
  { name: 'Validation rules', url: `${REPOSITORY}/blob/main/crds/VALIDATION.md` },
];
export const KEYWORDS = ['observability', 'ebpf', 'tracing', 'continuous-profiling', 'flame-graphs', 'pxl', 'http'];
/** From the standard OperatorHub categories. */
export const CATEGORIES = ['Monitoring', 'Logging & Tracing'];
/** v1alpha1 API, pre-1.0. */
export const MATURITY = 'alpha';
/**
 * Level 2 of the capability model: the operator installs the data plane and upgrades it
 * (a spec.version change rolls the components tier by tier and fails with a reason when it
 * cannot finish). Levels 3 to 5 (backups, operand metrics and alerts, auto-tuning) are not built.
 */
export const CAPABILITIES = 'Seamless Upgrades';
/** Where operator/deploy installs it; the console proposes it. */
export const SUGGESTED_NAMESPACE = 'loupe-system';

export interface DescriptionFacts {
  /** Kinds a reconciler of the operator handles. */
  readonly reconciled: readonly string[];
  /** Kinds the CRDs accept and validate but no reconciler handles yet. */
  readonly notReconciled: readonly string[];
  /** The oldest Kubernetes release supported, major.minor. */
  readonly minKube: string;
}

/** The long description (Markdown) of the operator's page. */
export function longDescription(f: DescriptionFacts): string {
  const kinds = (list: readonly string[]) => list.map((k) => `\`${k}\``).join(', ');
  return `Loupe records what happens in a Kubernetes cluster without code changes. An eBPF data plane on every node (the PEMs) captures HTTP traffic, connections, process and network statistics and CPU stacks into an in-memory table store; PxL scripts query it (\`loupe run px/http_data\`), spread over the PEMs and merged by Kelvin.

## What the operator does

A \`Vizier\` deploys and heals the data plane: NATS, the metadata service, the query broker, Kelvin, the PEM DaemonSet, an optional cloud connector, their Services, ServiceAccounts, RBAC and internal TLS. \`spec.registry\` points every image at your registry; a \`spec.version\` change rolls the components in dependency order. Status follows the Kubernetes conventions (\`Ready\`, \`Progressing\`, \`Degraded\`, \`Reconciling\`, \`Stalled\`), with a reason you can act on.

Reconciled today: ${kinds(f.reconciled)}.${f.notReconciled.length ? ` Accepted and validated, reconcilers not built yet: ${kinds(f.notReconciled)}.` : ''}

## Requirements

- Kubernetes ${f.minKube} or newer: the CRDs' validation rules and selectable fields need it, and the operator refuses to start on an older server.
- Linux nodes whose kernel has BTF (\`/sys/kernel/btf/vmlinux\`): PEM pods run privileged with the host's PID namespace to load their eBPF programs.

## Install mode

All namespaces only: the operator watches Loupe resources in every namespace and gives each Vizier's metadata service a ClusterRole, so it cannot be confined to some namespaces.`;
}
