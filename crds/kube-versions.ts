// The Kubernetes releases Loupe supports, in one place: the operator's start-up check, the README,
// crds/VALIDATION.md and the OLM bundle's minKubeVersion follow it. The floor is what the CRDs
// need from the API server: CEL validation rules with fieldPath and reason, the Kubernetes
// quantity library and the IP/CIDR library (isCIDR, from 1.31), and selectable fields for
// `kubectl get --field-selector` (GA in 1.32, which is also the oldest release still in its
// providers' support when this was set). CI tests the release in e2e/kube/VERSION.
export const MIN_KUBE_MINOR = 32;
export const MIN_KUBE_VERSION = `1.${MIN_KUBE_MINOR}.0`;

/** What GET /version answers (only the fields read here). */
export interface ServerVersionInfo {
  major?: string;
  minor?: string;
  gitVersion?: string;
}

/** major.minor of a server; providers write minor as "32+" and gitVersion as "v1.32.4-eks-...". */
export function serverMinorVersion(info: ServerVersionInfo): { major: number; minor: number } | undefined {
  const major = Number.parseInt(info.major ?? '', 10);
  const minor = Number.parseInt(info.minor ?? '', 10);
  if (Number.isInteger(major) && Number.isInteger(minor)) return { major, minor };
  const m = /^v?(\d+)\.(\d+)\./.exec(info.gitVersion ?? '');
  return m ? { major: Number(m[1]), minor: Number(m[2]) } : undefined;
}

/** Why Loupe cannot run against this server, or undefined when it can (or the version is unreadable). */
export function unsupportedServer(info: ServerVersionInfo): string | undefined {
  const v = serverMinorVersion(info);
  if (!v || v.major > 1 || v.minor >= MIN_KUBE_MINOR) return undefined;
  return `the API server is Kubernetes ${info.gitVersion ?? `${v.major}.${v.minor}`}, older than ${v.major}.${MIN_KUBE_MINOR}, the oldest release Loupe supports: ` +
    `its CRDs' validation rules need CEL functions that older servers lack, so they would not install. Upgrade the cluster to ${v.major}.${MIN_KUBE_MINOR} or newer.`;
}
