// The running mode of the harness kubelet (kubelet.ts, option `runner`): the containers of a pod
// whose images it can run really run, with Debian's runc, from the unpacked Loupe image; the pod's
// status comes from what they do.
//
// What differs from a real kubelet:
// - Images: only Loupe's image (unpacked once by the caller, shared read-only by every container:
//   the root file system is always read-only) and NATS images (the host's nats-server binary
//   bind-mounted into the Loupe root file system). A pod with any other image is left to the
//   status-by-policy mode. No pulls, no image GC, the image's Cmd is ignored (Loupe's has none).
// - Network: one bridge on the host and one network namespace per pod (hostNetwork pods use the
//   host's), a veth into it and an address from the bridge's /24. No CNI, no kube-proxy, no
//   NetworkPolicy. Services are not virtual IPs: each container's /etc/hosts maps every Service
//   name of the pod's namespace (name, name.ns, name.ns.svc, name.ns.svc.cluster.local) and
//   StatefulSet pod names (pod.subdomain...) to the IPs of the running pods the Service selects,
//   rewritten in place as pods come and go; so a Service's port must equal its targetPort, and
//   a name with several backends resolves to several addresses without balancing. The API server
//   (on the host's loopback) is reached through a TCP relay on 10.96.0.1:443 (an address added
//   to the bridge; the serving certificate names it). hostNetwork pods share the host's ports: two
//   of them on one port (two PEMs on one host) cannot both start, the second exits EADDRINUSE.
//   The node's address as pods see it (status.hostIP, and status.podIP of hostNetwork pods) is
//   the bridge's 10.244.X.1, not the Node's InternalIP (127.0.0.X, which a pod cannot reach).
// - Volumes: Secret, ConfigMap, projected (ServiceAccount token from the TokenRequest API, the
//   kube-root-ca.crt ConfigMap, the namespace) are written once at container start, never
//   refreshed; emptyDir is a directory; hostPath binds the host path; a persistentVolumeClaim is a
//   directory per claim name that outlives the pod (the claim itself stays unbound: no provisioner).
// - Resources: no cgroup limits, so no CPU throttling and no OOMKilled (an exit 137 is reported
//   as Error). No init containers, no startup probes, no exec/TCP probes, no preStop hooks, no
//   ephemeral containers; restartPolicy is always Always; graceful stop is SIGTERM then SIGKILL
//   after the pod's grace period (capped at 10 s). A failed liveness probe kills the container
//   and the restart follows the same back-off as an exit (10 s doubling, at most 5 min).
// - Status: imageID is the image reference (no digest), containerID is runc://<runc id>. A pod
//   that cannot start (an unsupported volume or env source) is reported once through the
//   kubelet's onError and stays ContainerCreating; no Events are written, no retry.
// - Downward API env: metadata.name/namespace/uid, spec.nodeName, spec.serviceAccountName,
//   status.podIP/hostIP, metadata.labels['x']/annotations['x']; resourceFieldRef is not.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chownSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import type { CoreV1Api, V1Container, V1EnvVar, V1Pod, V1Probe, V1Service, V1Volume } from '@kubernetes/client-node';

export interface PodRunnerOptions {
  /** The directory umoci unpacked Loupe's image into (holds config.json and rootfs/). */
  bundle: string;
  /** Is this image reference Loupe's image? */
  isLoupeImage: (image: string) => boolean;
  /** The host's nats-server, run for NATS images (default /usr/sbin/nats-server). */
  natsServer?: string;
  /** Where pod directories, hosts files and runc bundles go. */
  workDir: string;
  /** The API server the pods reach through 10.96.0.1:443, as host:port on this host. */
  apiServer: { host: string; port: number };
  /** Third octet of the pod subnet 10.244.X.0/24 (default 200); one runner per subnet. */
  subnet?: number;
}

interface ImageConfig {
  process: { args: string[]; env: string[]; user: { uid: number; gid: number }; capabilities?: unknown; noNewPrivileges?: boolean; terminal: boolean; cwd: string };
  root: { path: string; readonly: boolean };
  hostname?: string;
  mounts: { destination: string; type: string; source: string; options: string[] }[];
  linux: { namespaces: { type: string; path?: string }[]; seccomp?: unknown; maskedPaths?: string[]; readonlyPaths?: string[] };
}

export interface Terminated {
  exitCode: number;
  reason: string;
  startedAt: string;
  finishedAt: string;
  containerID: string;
}

/** One container of a running pod as the kubelet reports it. */
export interface ContainerState {
  name: string;
  image: string;
  restartCount: number;
  ready: boolean;
  containerID?: string;
  running?: { startedAt: string };
  waiting?: { reason: string; message?: string };
  lastTerminated?: Terminated;
}

interface Container {
  spec: V1Container;
  id: string;
  child?: ChildProcess;
  startedAt?: string;
  restarts: number;
  ready: boolean;
  readySuccess: number;
  probeFailures: { readiness: number; liveness: number };
  nextProbe: { readiness: number; liveness: number };
  last?: Terminated;
  restartAt?: number;
  output: string;
}

interface RunningPod {
  pod: V1Pod;
  key: string;
  dir: string;
  ip: string;
  netns?: string;
  veth?: string;
  containers: Container[];
  hosts: string;
  stopping: boolean;
}

const KUBE_SERVICE_IP = '10.96.0.1';
const MAX_BACKOFF_S = 300;
const MAX_GRACE_MS = 10_000;

function kubeTime(d = new Date()): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function short(s: string, len: number): string {
  return createHash('sha256').update(s).digest('hex').slice(0, len);
}

function ip(args: string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')} failed: ${r.stderr.trim()}`);
}

function isNatsImage(image: string): boolean {
  return /(^|\/)nats:[^/]*$/.test(image);
}

/** The value of a downward-API fieldRef, or an error naming the unsupported path. */
function fieldValue(pod: V1Pod, podIP: string, hostIP: string, path: string): string {
  const m = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
  if (m) return (m[1] === 'labels' ? pod.metadata?.labels : pod.metadata?.annotations)?.[m[2]!] ?? '';
  switch (path) {
    case 'metadata.name': return pod.metadata?.name ?? '';
    case 'metadata.namespace': return pod.metadata?.namespace ?? '';
    case 'metadata.uid': return pod.metadata?.uid ?? '';
    case 'spec.nodeName': return pod.spec?.nodeName ?? '';
    case 'spec.serviceAccountName': return pod.spec?.serviceAccountName ?? 'default';
    case 'status.podIP': return podIP;
    case 'status.hostIP': return hostIP;
    default: throw new Error(`pod ${pod.metadata?.namespace}/${pod.metadata?.name}: the harness kubelet does not support fieldRef ${path}`);
  }
}

function selects(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  if (!selector || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

/** The /etc/hosts a pod sees: localhost, its own name, every Service of its namespace. */
export function hostsFile(pod: V1Pod, podIP: string, services: V1Service[], peers: { pod: V1Pod; ip: string }[]): string {
  const ns = pod.metadata?.namespace ?? '';
  const lines = ['127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback', `${podIP}\t${pod.metadata?.name}`];
  const names = (n: string) => [n, `${n}.${ns}`, `${n}.${ns}.svc`, `${n}.${ns}.svc.cluster.local`];
  for (const svc of services) {
    if (svc.metadata?.namespace !== ns) continue;
    const backends = peers.filter((p) => p.pod.metadata?.namespace === ns && selects(svc.spec?.selector, p.pod.metadata?.labels));
    for (const b of backends) {
      lines.push(`${b.ip}\t${names(svc.metadata?.name ?? '').join(' ')}`);
      if (b.pod.spec?.subdomain === svc.metadata?.name) lines.push(`${b.ip}\t${names(`${b.pod.metadata?.name}.${svc.metadata?.name}`).join(' ')}`);
    }
  }
  lines.push(`${KUBE_SERVICE_IP}\tkubernetes kubernetes.default kubernetes.default.svc kubernetes.default.svc.cluster.local`);
  return `${lines.join('\n')}\n`;
}

export class PodRunner {
  private readonly opts: Required<Omit<PodRunnerOptions, 'subnet'>> & { subnet: number };
  private readonly image: ImageConfig;
  private readonly pods = new Map<string, RunningPod>();
  private readonly bridge: string;
  private relay?: Server;
  private readonly relayed = new Set<Socket>();
  private timer?: NodeJS.Timeout;
  private nextHost = 2;
  private services: V1Service[] = [];
  private onChange: (key: string) => void = () => undefined;
  private core?: CoreV1Api;

  constructor(opts: PodRunnerOptions) {
    this.opts = { natsServer: '/usr/sbin/nats-server', subnet: 200, ...opts };
    this.image = JSON.parse(readFileSync(join(opts.bundle, 'config.json'), 'utf8')) as ImageConfig;
    this.bridge = `lkbr${this.opts.subnet}`;
  }

  /** The host's address on the bridge: the node's address as pods see it (hostIP, and podIP of hostNetwork pods). */
  get gateway(): string {
    return `10.244.${this.opts.subnet}.1`;
  }

  /** Can this runner run every container of the pod? */
  runs(pod: V1Pod): boolean {
    const cs = pod.spec?.containers ?? [];
    return cs.length > 0 && cs.every((c) => this.opts.isLoupeImage(c.image ?? '') || isNatsImage(c.image ?? ''));
  }

  /** The bridge, the API relay and the probe/restart loop; `onChange(key)` when a pod's state moved. */
  async start(core: CoreV1Api, onChange: (key: string) => void): Promise<void> {
    this.core = core;
    this.onChange = onChange;
    mkdirSync(this.opts.workDir, { recursive: true });
    ip(['link', 'add', this.bridge, 'type', 'bridge']);
    ip(['addr', 'add', `${this.gateway}/24`, 'dev', this.bridge]);
    ip(['addr', 'add', `${KUBE_SERVICE_IP}/32`, 'dev', this.bridge]);
    ip(['link', 'set', this.bridge, 'up']);
    this.relay = createServer((socket) => {
      const upstream = connect(this.opts.apiServer.port, this.opts.apiServer.host);
      socket.pipe(upstream).pipe(socket);
      this.relayed.add(socket).add(upstream);
      socket.once('close', () => this.relayed.delete(socket));
      upstream.once('close', () => this.relayed.delete(upstream));
      socket.on('error', () => upstream.destroy());
      upstream.on('error', () => socket.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      this.relay!.once('error', reject);
      this.relay!.listen(443, KUBE_SERVICE_IP, () => resolve());
    });
    this.timer = setInterval(() => void this.tick().catch((err: unknown) => console.error(`[pod-runner] ${String(err)}`)), 500);
  }

  /** Starts the pod if it is not running yet; its state is status(). */
  async ensure(pod: V1Pod): Promise<void> {
    const uid = pod.metadata?.uid ?? '';
    const existing = this.pods.get(uid);
    if (existing) {
      existing.pod = pod;
      return;
    }
    const key = `${pod.metadata?.namespace}/${pod.metadata?.name}`;
    const dir = join(this.opts.workDir, uid);
    mkdirSync(dir, { recursive: true });
    const run: RunningPod = { pod, key, dir, ip: this.gateway, containers: [], hosts: '', stopping: false };
    if (!pod.spec?.hostNetwork) {
      const id = short(uid, 8);
      run.netns = `lk-${id}`;
      run.veth = `lk${id}`;
      run.ip = `10.244.${this.opts.subnet}.${this.nextHost++}`;
      ip(['netns', 'add', run.netns]);
      ip(['link', 'add', run.veth, 'type', 'veth', 'peer', 'name', `${run.veth}p`]);
      ip(['link', 'set', `${run.veth}p`, 'netns', run.netns]);
      ip(['link', 'set', run.veth, 'master', this.bridge, 'up']);
      ip(['-n', run.netns, 'link', 'set', `${run.veth}p`, 'name', 'eth0']);
      ip(['-n', run.netns, 'addr', 'add', `${run.ip}/24`, 'dev', 'eth0']);
      ip(['-n', run.netns, 'link', 'set', 'eth0', 'up']);
      ip(['-n', run.netns, 'link', 'set', 'lo', 'up']);
      ip(['-n', run.netns, 'route', 'add', 'default', 'via', this.gateway]);
    }
    this.pods.set(uid, run);
    await this.refreshHosts();
    for (const spec of pod.spec?.containers ?? []) {
      const c: Container = { spec, id: '', restarts: 0, ready: false, readySuccess: 0, probeFailures: { readiness: 0, liveness: 0 }, nextProbe: { readiness: 0, liveness: 0 }, output: '' };
      run.containers.push(c);
      await this.startContainer(run, c);
    }
  }

  /** The pod's IP and its containers' states, or undefined when this runner does not run it. */
  status(uid: string): { podIP: string; containers: ContainerState[] } | undefined {
    const run = this.pods.get(uid);
    if (!run) return undefined;
    return {
      podIP: run.ip,
      containers: run.containers.map((c) => ({
        name: c.spec.name,
        image: c.spec.image ?? '',
        restartCount: c.restarts,
        ready: c.ready,
        containerID: c.id ? `runc://${c.id}` : undefined,
        ...(c.child && c.startedAt ? { running: { startedAt: c.startedAt } }
          : c.last ? { waiting: { reason: 'CrashLoopBackOff', message: `back-off ${this.backoffS(c)}s restarting failed container=${c.spec.name} pod=${run.pod.metadata?.name}_${run.pod.metadata?.namespace}(${run.pod.metadata?.uid})` } }
            : { waiting: { reason: 'ContainerCreating' } }),
        lastTerminated: c.last,
      })),
    };
  }

  /** What a container printed (stdout and stderr), for test failure messages. */
  output(namespace: string, name: string, container: string): string {
    const run = [...this.pods.values()].find((r) => r.key === `${namespace}/${name}`);
    return run?.containers.find((c) => c.spec.name === container)?.output ?? '';
  }

  /** Stops the pod's containers (SIGTERM, SIGKILL after the grace period) and removes its network. */
  async remove(uid: string): Promise<void> {
    const run = this.pods.get(uid);
    if (!run) return;
    run.stopping = true;
    const graceMs = Math.min((run.pod.spec?.terminationGracePeriodSeconds ?? 30) * 1000, MAX_GRACE_MS);
    await Promise.all(run.containers.map((c) => this.stopContainer(c, graceMs)));
    if (run.netns) spawnSync('ip', ['netns', 'delete', run.netns]);
    if (run.veth) spawnSync('ip', ['link', 'delete', run.veth]);
    rmSync(run.dir, { recursive: true, force: true });
    this.pods.delete(uid);
    await this.refreshHosts();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    for (const uid of [...this.pods.keys()]) await this.remove(uid);
    // A deleted network namespace never closes its connections: end them here, or close() waits forever.
    for (const s of this.relayed) s.destroy();
    await new Promise<void>((resolve) => (this.relay ? this.relay.close(() => resolve()) : resolve()));
    spawnSync('ip', ['link', 'delete', this.bridge]);
  }

  // -------------------------------------------------------------------------------------------

  /** The wait before the next start of a container that exited: 10 s, doubling per restart, at most 5 min. */
  private backoffS(c: Container): number {
    return Math.min(10 * 2 ** c.restarts, MAX_BACKOFF_S);
  }

  private async refreshHosts(): Promise<void> {
    if (this.core) this.services = (await this.core.listServiceForAllNamespaces()).items;
    const peers = [...this.pods.values()].map((r) => ({ pod: r.pod, ip: r.ip }));
    for (const run of this.pods.values()) {
      const hosts = hostsFile(run.pod, run.ip, this.services, peers);
      if (hosts === run.hosts) continue;
      // In place (same inode): the bind mount in every container sees the new content.
      writeFileSync(join(run.dir, 'hosts'), hosts);
      run.hosts = hosts;
    }
  }

  private async tick(): Promise<void> {
    await this.refreshHosts();
    const now = Date.now();
    for (const run of this.pods.values()) {
      if (run.stopping) continue;
      for (const c of run.containers) {
        if (!c.child && c.restartAt !== undefined && now >= c.restartAt) {
          c.restarts++;
          await this.startContainer(run, c);
          this.onChange(run.key);
          continue;
        }
        if (!c.child) continue;
        await this.probe(run, c, 'readiness', c.spec.readinessProbe, now);
        await this.probe(run, c, 'liveness', c.spec.livenessProbe, now);
      }
    }
  }

  private async probe(run: RunningPod, c: Container, kind: 'readiness' | 'liveness', probe: V1Probe | undefined, now: number): Promise<void> {
    if (kind === 'readiness' && !probe) {
      if (!c.ready) { c.ready = true; this.onChange(run.key); }
      return;
    }
    if (!probe || now < c.nextProbe[kind]) return;
    const started = Date.parse(c.startedAt ?? '') || now;
    if (now < started + (probe.initialDelaySeconds ?? 0) * 1000) return;
    c.nextProbe[kind] = now + (probe.periodSeconds ?? 10) * 1000;
    const ok = await this.httpProbe(run, c, probe);
    if (kind === 'readiness') {
      const threshold = ok ? (probe.successThreshold ?? 1) : (probe.failureThreshold ?? 3);
      if (ok) { c.readySuccess++; c.probeFailures.readiness = 0; } else { c.readySuccess = 0; c.probeFailures.readiness++; }
      const ready = ok ? (c.ready || c.readySuccess >= threshold) : (c.ready && c.probeFailures.readiness < threshold);
      if (ready !== c.ready) { c.ready = ready; this.onChange(run.key); }
      return;
    }
    c.probeFailures.liveness = ok ? 0 : c.probeFailures.liveness + 1;
    if (c.probeFailures.liveness >= (probe.failureThreshold ?? 3)) {
      c.probeFailures.liveness = 0;
      spawnSync('runc', ['kill', c.id, 'KILL']);
    }
  }

  private async httpProbe(run: RunningPod, c: Container, probe: V1Probe): Promise<boolean> {
    const get = probe.httpGet;
    if (!get) throw new Error(`container ${c.spec.name} of ${run.key}: the harness kubelet runs only httpGet probes`);
    const port = typeof get.port === 'number' ? get.port : (c.spec.ports?.find((p) => p.name === get.port)?.containerPort ?? Number(get.port));
    const host = run.netns ? run.ip : '127.0.0.1';
    try {
      const res = await fetch(`http://${host}:${port}${get.path ?? '/'}`, { signal: AbortSignal.timeout((probe.timeoutSeconds ?? 1) * 1000) });
      await res.arrayBuffer();
      return res.status >= 200 && res.status < 400;
    } catch {
      return false;
    }
  }

  private async stopContainer(c: Container, graceMs: number): Promise<void> {
    c.restartAt = undefined;
    const child = c.child;
    if (child) {
      spawnSync('runc', ['kill', c.id, 'TERM']);
      const killer = setTimeout(() => spawnSync('runc', ['kill', '--all', c.id, 'KILL']), graceMs);
      await new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(undefined) : child.once('exit', resolve)));
      clearTimeout(killer);
    }
    if (c.id) spawnSync('runc', ['delete', '--force', c.id]);
  }

  private async startContainer(run: RunningPod, c: Container): Promise<void> {
    c.restartAt = undefined;
    c.ready = false;
    c.readySuccess = 0;
    c.probeFailures = { readiness: 0, liveness: 0 };
    c.nextProbe = { readiness: 0, liveness: 0 };
    c.id = `lk-${short(run.pod.metadata?.uid ?? '', 12)}-${c.spec.name}-${c.restarts}`;
    const bundleDir = join(run.dir, `bundle-${c.spec.name}-${c.restarts}`);
    mkdirSync(bundleDir, { recursive: true });
    writeFileSync(join(bundleDir, 'config.json'), JSON.stringify(await this.runtimeSpec(run, c)));
    c.startedAt = kubeTime();
    const child = spawn('runc', ['run', '--bundle', bundleDir, c.id], { stdio: ['ignore', 'pipe', 'pipe'] });
    c.child = child;
    const keep = (d: Buffer) => { c.output = (c.output + d.toString()).slice(-64 * 1024); };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    child.once('exit', (code, signal) => {
      spawnSync('runc', ['delete', '--force', c.id]);
      const exitCode = code ?? 128;
      c.last = { exitCode, reason: exitCode === 0 ? 'Completed' : 'Error', startedAt: c.startedAt ?? kubeTime(), finishedAt: kubeTime(), containerID: `runc://${c.id}` };
      if (signal) c.output += `\n[pod-runner] runc ended by ${signal}`;
      c.child = undefined;
      c.ready = false;
      if (!run.stopping) c.restartAt = Date.now() + this.backoffS(c) * 1000;
      this.onChange(run.key);
    });
  }

  private async runtimeSpec(run: RunningPod, c: Container): Promise<ImageConfig> {
    const pod = run.pod;
    const spec = JSON.parse(JSON.stringify(this.image)) as ImageConfig;
    const image = c.spec.image ?? '';
    const nats = isNatsImage(image);
    spec.process.terminal = false;
    spec.root = { path: join(this.opts.bundle, 'rootfs'), readonly: true };
    if (pod.spec?.hostNetwork) delete spec.hostname;
    else spec.hostname = pod.metadata?.name;
    const entrypoint = nats ? ['/usr/local/bin/nats-server'] : spec.process.args;
    spec.process.args = [...(c.spec.command ?? entrypoint), ...(c.spec.args ?? [])];
    spec.process.env = [...spec.process.env, ...this.env(run, c.spec.env ?? [])];

    const sc = { ...pod.spec?.securityContext, ...c.spec.securityContext };
    const uid = sc.runAsUser ?? spec.process.user.uid;
    spec.process.user = { uid, gid: sc.runAsGroup ?? (sc.runAsUser !== undefined ? uid : spec.process.user.gid) };
    spec.linux.namespaces = spec.linux.namespaces
      .filter((n) => !(n.type === 'pid' && pod.spec?.hostPID))
      .filter((n) => !(n.type === 'uts' && pod.spec?.hostNetwork))
      .map((n) => (n.type === 'network' ? (run.netns ? { type: 'network', path: `/run/netns/${run.netns}` } : undefined) : n))
      .filter((n): n is { type: string; path?: string } => n !== undefined);
    if (c.spec.securityContext?.privileged) makePrivileged(spec);
    const bind = (source: string, destination: string, readOnly: boolean) => spec.mounts.push({ destination, type: 'bind', source, options: ['rbind', readOnly ? 'ro' : 'rw'] });
    bind(join(run.dir, 'hosts'), '/etc/hosts', true);
    if (nats) bind(this.opts.natsServer, '/usr/local/bin/nats-server', true);
    for (const m of c.spec.volumeMounts ?? []) {
      const vol = pod.spec?.volumes?.find((v) => v.name === m.name);
      if (!vol) throw new Error(`container ${c.spec.name} of ${run.key} mounts volume ${m.name}, which the pod does not declare`);
      const source = await this.volume(run, vol, uid);
      bind(m.subPath ? join(source, m.subPath) : source, m.mountPath, m.readOnly ?? false);
    }
    return spec;
  }

  private env(run: RunningPod, vars: V1EnvVar[]): string[] {
    const pod = run.pod;
    const out = [`KUBERNETES_SERVICE_HOST=${KUBE_SERVICE_IP}`, 'KUBERNETES_SERVICE_PORT=443', `HOSTNAME=${pod.metadata?.name}`];
    for (const v of vars) {
      let value = v.value ?? '';
      const from = v.valueFrom;
      if (from?.fieldRef) value = fieldValue(pod, run.ip, this.gateway, from.fieldRef.fieldPath);
      else if (from?.secretKeyRef || from?.configMapKeyRef) value = this.keyRefs.get(`${pod.metadata?.uid}/${v.name}`) ?? '';
      else if (from) throw new Error(`pod ${run.key}: env ${v.name}: the harness kubelet supports value, fieldRef, secretKeyRef and configMapKeyRef`);
      out.push(`${v.name}=${value.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, name: string) => out.find((e) => e.startsWith(`${name}=`))?.slice(name.length + 1) ?? m)}`);
    }
    return out;
  }

  /** secretKeyRef/configMapKeyRef values, read before the container spec is written. */
  private readonly keyRefs = new Map<string, string>();

  async resolveKeyRefs(pod: V1Pod): Promise<void> {
    const ns = pod.metadata?.namespace ?? '';
    for (const c of pod.spec?.containers ?? []) {
      for (const v of c.env ?? []) {
        const s = v.valueFrom?.secretKeyRef;
        const cm = v.valueFrom?.configMapKeyRef;
        if (s) {
          const secret = await this.core!.readNamespacedSecret({ name: s.name ?? '', namespace: ns });
          const data = secret.data?.[s.key];
          if (data === undefined && !s.optional) throw new Error(`pod ${ns}/${pod.metadata?.name}: env ${v.name}: Secret ${s.name} has no key ${s.key}`);
          this.keyRefs.set(`${pod.metadata?.uid}/${v.name}`, Buffer.from(data ?? '', 'base64').toString());
        } else if (cm) {
          const map = await this.core!.readNamespacedConfigMap({ name: cm.name ?? '', namespace: ns });
          const data = map.data?.[cm.key];
          if (data === undefined && !cm.optional) throw new Error(`pod ${ns}/${pod.metadata?.name}: env ${v.name}: ConfigMap ${cm.name} has no key ${cm.key}`);
          this.keyRefs.set(`${pod.metadata?.uid}/${v.name}`, data ?? '');
        }
      }
    }
  }

  /** The host directory (or file) behind a volume, written now for Secrets, ConfigMaps and projections. */
  private async volume(run: RunningPod, vol: V1Volume, uid: number): Promise<string> {
    const ns = run.pod.metadata?.namespace ?? '';
    const dir = join(run.dir, 'volumes', vol.name);
    const files = (entries: Record<string, Buffer>, into = dir) => {
      mkdirSync(into, { recursive: true });
      for (const [k, v] of Object.entries(entries)) writeFileSync(join(into, k), v, { mode: 0o644 });
    };
    const secretFiles = async (name: string, items?: { key: string; path: string }[]) => {
      const s = await this.core!.readNamespacedSecret({ name, namespace: ns });
      const data = Object.fromEntries(Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')]));
      return items ? Object.fromEntries(items.map((i) => [i.path, data[i.key]!])) : data;
    };
    const configMapFiles = async (name: string, items?: { key: string; path: string }[]) => {
      const m = await this.core!.readNamespacedConfigMap({ name, namespace: ns });
      const data = Object.fromEntries(Object.entries(m.data ?? {}).map(([k, v]) => [k, Buffer.from(v)]));
      return items ? Object.fromEntries(items.map((i) => [i.path, data[i.key]!])) : data;
    };
    if (vol.hostPath) {
      if (vol.hostPath.type === 'DirectoryOrCreate') mkdirSync(vol.hostPath.path, { recursive: true });
      return vol.hostPath.path;
    }
    if (vol.emptyDir || vol.persistentVolumeClaim) {
      // A claim is a directory per claim name that outlives its pods, as a local-path provisioner gives.
      const path = vol.persistentVolumeClaim ? join(this.opts.workDir, 'claims', ns, vol.persistentVolumeClaim.claimName) : dir;
      mkdirSync(path, { recursive: true });
      chownSync(path, uid, uid);
      return path;
    }
    if (vol.secret) files(await secretFiles(vol.secret.secretName ?? '', vol.secret.items));
    else if (vol.configMap) files(await configMapFiles(vol.configMap.name ?? '', vol.configMap.items));
    else if (vol.projected) {
      for (const src of vol.projected.sources ?? []) {
        if (src.serviceAccountToken) {
          const account = run.pod.spec?.serviceAccountName ?? 'default';
          const token = await this.core!.createNamespacedServiceAccountToken({
            name: account,
            namespace: ns,
            body: { spec: { audiences: src.serviceAccountToken.audience ? [src.serviceAccountToken.audience] : [], expirationSeconds: src.serviceAccountToken.expirationSeconds ?? 3607, boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: run.pod.metadata?.name, uid: run.pod.metadata?.uid } } },
          });
          files({ [src.serviceAccountToken.path]: Buffer.from(token.status?.token ?? '') });
        } else if (src.configMap) files(await configMapFiles(src.configMap.name ?? '', src.configMap.items));
        else if (src.secret) files(await secretFiles(src.secret.name ?? '', src.secret.items));
        else if (src.downwardAPI) {
          for (const item of src.downwardAPI.items ?? []) {
            if (!item.fieldRef) throw new Error(`pod ${run.key}: volume ${vol.name}: only fieldRef items of downwardAPI are supported`);
            files({ [item.path]: Buffer.from(fieldValue(run.pod, run.ip, this.gateway, item.fieldRef.fieldPath)) });
          }
        }
      }
    } else throw new Error(`pod ${run.key}: volume ${vol.name}: the harness kubelet supports secret, configMap, projected, emptyDir, persistentVolumeClaim and hostPath volumes`);
    return dir;
  }
}

/** The parts of a runc config.json that `privileged: true` changes. */
export interface PrivilegedFields {
  process: { capabilities?: unknown; noNewPrivileges?: boolean };
  mounts: { destination: string; type: string; source: string; options: string[] }[];
  linux: { seccomp?: unknown; maskedPaths?: string[]; readonlyPaths?: string[] };
}

/** A privileged container: every capability this runtime holds (CapBnd), no seccomp filter, no masked or read-only paths, /sys writable. */
export function makePrivileged(spec: PrivilegedFields): void {
  const bounding = BigInt(`0x${/^CapBnd:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]}`);
  const all = CAPABILITIES.filter((_, bit) => (bounding >> BigInt(bit)) & 1n).map((n) => `CAP_${n}`);
  spec.process.capabilities = { bounding: all, effective: all, permitted: all, inheritable: all, ambient: all };
  spec.process.noNewPrivileges = false;
  delete spec.linux.seccomp;
  spec.linux.maskedPaths = [];
  spec.linux.readonlyPaths = [];
  spec.mounts = spec.mounts.map((m) => (m.destination === '/sys' ? { ...m, options: m.options.filter((o) => o !== 'ro') } : m));
}

// The capabilities by number.
const CAPABILITIES = ['CHOWN', 'DAC_OVERRIDE', 'DAC_READ_SEARCH', 'FOWNER', 'FSETID', 'KILL', 'SETGID', 'SETUID', 'SETPCAP', 'LINUX_IMMUTABLE', 'NET_BIND_SERVICE', 'NET_BROADCAST', 'NET_ADMIN', 'NET_RAW', 'IPC_LOCK', 'IPC_OWNER', 'SYS_MODULE', 'SYS_RAWIO', 'SYS_CHROOT', 'SYS_PTRACE', 'SYS_PACCT', 'SYS_ADMIN', 'SYS_BOOT', 'SYS_NICE', 'SYS_RESOURCE', 'SYS_TIME', 'SYS_TTY_CONFIG', 'MKNOD', 'LEASE', 'AUDIT_WRITE', 'AUDIT_CONTROL', 'SETFCAP', 'MAC_OVERRIDE', 'MAC_ADMIN', 'SYSLOG', 'WAKE_ALARM', 'BLOCK_SUSPEND', 'AUDIT_READ', 'PERFMON', 'BPF', 'CHECKPOINT_RESTORE'];
