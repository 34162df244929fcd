// Which container and which Kubernetes pod a process belongs to, read from the cgroup paths in
// /proc/PID/cgroup. Pure: text in, identity out. Both cgroup drivers leave their mark in the path:
//   cgroupfs: /docker/<id>, /kubepods/burstable/pod<uid>/<id>
//   systemd:  /system.slice/docker-<id>.scope,
//             /kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod<uid_with_underscores>.slice/cri-containerd-<id>.scope
// Nested runtimes (a kind node inside docker) stack these; the innermost container wins.

export type ContainerRuntime = 'docker' | 'containerd' | 'cri-o' | 'podman';

export interface CgroupIdentity {
  /** 64 lowercase hex characters. */
  containerId?: string;
  /** Known from the scope name; undefined for a bare id under cgroupfs (any runtime writes those). */
  runtime?: ContainerRuntime;
  /** Kubernetes pod UID, dashed (8-4-4-4-12), lowercase. */
  podUid?: string;
}

/** One line of /proc/PID/cgroup: "hierarchy-id:controller-list:path". */
export interface CgroupLine {
  hierarchyId: number;
  /** Empty for the cgroup v2 line ("0::/path"). */
  controllers: readonly string[];
  path: string;
}

const HEX64 = /^[0-9a-f]{64}$/;
const UUID_BODY = '[0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12}';
// "pod<uid>" (cgroupfs) or "kubepods[-qos]-pod<uid>.slice" (systemd; kind nodes prefix "kubelet-").
const POD_SEGMENT = new RegExp(`^(?:[a-z-]*-)?pod(${UUID_BODY})(?:\\.slice)?$`);

/** Scope (systemd) or directory (CRI-O under cgroupfs) prefixes per runtime; "crio-conmon-" is
 *  CRI-O's monitor process, not a container. */
const SCOPE_PREFIXES: readonly (readonly [string, ContainerRuntime])[] = [
  ['docker-', 'docker'],
  ['cri-containerd-', 'containerd'],
  ['crio-', 'cri-o'],
  ['libpod-', 'podman'],
];
/** Parents that name the runtime of a bare id below them: cgroupfs directories, and the middle
 *  part of containerd's systemd-driver form under cgroup v1, "<pod slice>:cri-containerd:<id>". */
const PARENT_RUNTIME: Readonly<Record<string, ContainerRuntime>> = { docker: 'docker', 'cri-containerd': 'containerd', crio: 'cri-o', libpod_parent: 'podman' };

/** Splits /proc/PID/cgroup into lines; a path may itself contain ':'. Malformed lines are skipped. */
export function parseCgroupLines(text: string): CgroupLine[] {
  const lines: CgroupLine[] = [];
  for (const raw of text.split('\n')) {
    const first = raw.indexOf(':');
    const second = first < 0 ? -1 : raw.indexOf(':', first + 1);
    if (second < 0) continue;
    const hierarchyId = Number(raw.slice(0, first));
    const path = raw.slice(second + 1);
    if (!Number.isInteger(hierarchyId) || !path.startsWith('/')) continue;
    const list = raw.slice(first + 1, second);
    lines.push({ hierarchyId, controllers: list === '' ? [] : list.split(','), path });
  }
  return lines;
}

/** The container and pod named by one cgroup path (innermost match of each). */
export function identityFromCgroupPath(path: string): CgroupIdentity {
  const id: CgroupIdentity = {};
  const segments = path.split(/[/:]/).filter((s) => s !== '');
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!.toLowerCase();
    const pod = POD_SEGMENT.exec(seg);
    if (pod) {
      id.podUid = pod[1]!.replaceAll('_', '-');
      continue;
    }
    const container = containerOfSegment(seg, i > 0 ? segments[i - 1]!.toLowerCase() : undefined);
    if (container) {
      id.containerId = container.id;
      if (container.runtime) id.runtime = container.runtime;
      else delete id.runtime;
    }
  }
  return id;
}

function containerOfSegment(seg: string, parent: string | undefined): { id: string; runtime?: ContainerRuntime } | undefined {
  if (HEX64.test(seg)) {
    const runtime = parent === undefined ? undefined : PARENT_RUNTIME[parent];
    return runtime ? { id: seg, runtime } : { id: seg };
  }
  return withPrefix(seg.endsWith('.scope') ? seg.slice(0, -'.scope'.length) : seg);
}

function withPrefix(name: string): { id: string; runtime: ContainerRuntime } | undefined {
  if (name.startsWith('crio-conmon-')) return undefined;
  for (const [prefix, runtime] of SCOPE_PREFIXES) {
    if (name.startsWith(prefix) && HEX64.test(name.slice(prefix.length))) return { id: name.slice(prefix.length), runtime };
  }
  return undefined;
}

/**
 * The identity in a whole /proc/PID/cgroup file. Under cgroup v1 each controller has its own
 * path (they normally agree); the first line naming a container gives the container, and the
 * pod UID comes from that line or, failing that, from any line.
 */
export function parseCgroupIdentity(text: string): CgroupIdentity {
  let withContainer: CgroupIdentity | undefined;
  let podUid: string | undefined;
  for (const line of parseCgroupLines(text)) {
    const id = identityFromCgroupPath(line.path);
    if (!withContainer && id.containerId) withContainer = id;
    podUid ??= id.podUid;
  }
  const result: CgroupIdentity = { ...withContainer };
  if (!result.podUid && podUid) result.podUid = podUid;
  return result;
}
