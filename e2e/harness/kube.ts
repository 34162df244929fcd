// A real Kubernetes control plane for e2e tests: etcd + kube-apiserver + kube-controller-manager
// of the release in e2e/kube/VERSION, all on 127.0.0.1, certificates from a throwaway CA made with
// the openssl CLI. There is no scheduler and no kubelet; e2e/harness/kubelet.ts plays both.
//
// Binaries come from $KUBEBUILDER_ASSETS (etcd, kube-apiserver, optionally
// kube-controller-manager and kubectl) or from the cache that e2e/kube/build-kube.sh fills
// (${LOUPE_CACHE_DIR:-~/.cache/loupe}/kubernetes-VERSION). LOUPE_KUBE_VERSION picks another
// release built the same way. With LOUPE_E2E_KUBECONFIG set, an existing cluster is used and
// nothing starts.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { existsSync, openSync, closeSync, readFileSync, rmSync } from 'node:fs';
import { mkdtemp, mkdir, readFile, writeFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { request as httpsRequest } from 'node:https';
import { request as httpRequest } from 'node:http';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { KubeConfig, CoreV1Api } from '@kubernetes/client-node';
import YAML from 'yaml';
import { sleep } from '../../lib/clock.js';
import { repoRoot } from '../../crds/generate.js';

const execFileP = promisify(execFile);

/** The release CI tests (e2e/kube/VERSION, which build-kube.sh builds by default), or LOUPE_KUBE_VERSION. */
export const KUBE_VERSION = process.env.LOUPE_KUBE_VERSION || readFileSync(join(repoRoot(), 'e2e', 'kube', 'VERSION'), 'utf8').trim();
const BUILD_HINT = 'run `make kube` (builds etcd, kube-apiserver, kube-controller-manager and kubectl from their Go modules into the cache, about 10 min once), or point KUBEBUILDER_ASSETS at a directory with etcd and kube-apiserver';

export class KubeHarnessError extends Error {
  constructor(
    readonly code: 'BinaryMissing' | 'StartFailed' | 'StartTimeout' | 'ExternalCluster',
    message: string,
    readonly hint?: string,
  ) {
    super(hint ? `${message}\n  hint: ${hint}` : message);
    this.name = 'KubeHarnessError';
  }
}

export interface KubeProcess {
  readonly name: 'etcd' | 'kube-apiserver' | 'kube-controller-manager';
  readonly pid: number;
  readonly logPath: string;
}

export interface UserKubeConfig {
  kubeconfigPath: string;
  kc: KubeConfig;
}

export interface KubeEnv {
  /** Admin kubeconfig (user `admin`, group system:masters). */
  kubeconfigPath: string;
  kc: KubeConfig;
  /** https://127.0.0.1:PORT */
  server: string;
  /** Scratch directory: certificates, kubeconfigs, etcd data, one log file per process. */
  dir: string;
  /** Directory the kube-apiserver binary came from ('' for an external cluster). */
  binDir: string;
  /** kubectl matching the server (cache or KUBEBUILDER_ASSETS), if present. */
  kubectl: string | undefined;
  /** True when LOUPE_E2E_KUBECONFIG points at an existing cluster. */
  external: boolean;
  /** The processes this harness started, in start order (empty for an external cluster). */
  processes: readonly KubeProcess[];
  /** Wall time of startKube until everything was ready, hook excluded. */
  startupMs: number;
  /** Stops every process by pid (SIGTERM, SIGKILL after 5 s) and removes a temp `dir`. Idempotent. */
  stop(): Promise<void>;
  /** A kubeconfig for a client certificate with CN=user, O=each group (not for external clusters). */
  makeUserKubeConfig?(user: string, groups?: string[]): Promise<UserKubeConfig>;
}

export interface StartKubeOptions {
  /** Scratch directory; default a fresh mkdtemp under os.tmpdir(), removed by stop(). */
  dir?: string;
  /** Runs after the API server is ready and before the controller-manager starts (install CRDs here). */
  beforeControllerManager?: (env: KubeEnv) => Promise<void>;
  /** Start kube-controller-manager (default true). */
  controllerManager?: boolean;
  /** Extra flags, appended last. */
  extraArgs?: { etcd?: string[]; apiServer?: string[]; controllerManager?: string[] };
  /** Per-process readiness timeout (default 60 s). */
  timeoutMs?: number;
}

interface Binaries {
  etcd: string;
  apiServer: string;
  controllerManager: string | undefined;
  kubectl: string | undefined;
  binDir: string;
}

export function kubeCacheDir(): string {
  const base = process.env.LOUPE_CACHE_DIR || join(homedir(), '.cache', 'loupe');
  return join(base, `kubernetes-${KUBE_VERSION}`);
}

function findBinaries(needControllerManager: boolean): Binaries {
  const cache = kubeCacheDir();
  const assets = process.env.KUBEBUILDER_ASSETS;
  const pick = (name: string, dirs: string[]): string | undefined =>
    dirs.map((d) => join(d, name)).find((p) => existsSync(p));
  const dirs = assets ? [assets, cache] : [cache];
  const apiServer = pick('kube-apiserver', dirs);
  if (!apiServer) {
    throw new KubeHarnessError('BinaryMissing', `kube-apiserver not found in ${dirs.join(' or ')}`, BUILD_HINT);
  }
  const controllerManager = pick('kube-controller-manager', dirs);
  if (needControllerManager && !controllerManager) {
    throw new KubeHarnessError('BinaryMissing', `kube-controller-manager not found in ${dirs.join(' or ')}`, BUILD_HINT);
  }
  const etcd = pick('etcd', dirs);
  if (!etcd) {
    throw new KubeHarnessError('BinaryMissing', `etcd not found in ${dirs.join(' or ')}`, BUILD_HINT);
  }
  return { etcd, apiServer, controllerManager, kubectl: pick('kubectl', dirs), binDir: dirname(apiServer) };
}

// ---------------------------------------------------------------------------------------------
// Child processes: tracked by pid so an exiting or interrupted test run kills what it started.

interface Managed extends KubeProcess {
  child: ChildProcess;
  exited: Promise<void>;
  exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
}

const live = new Set<Managed>();
const tempDirs = new Set<string>();
let hooksInstalled = false;

function onExit(): void {
  for (const p of live) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true, maxRetries: 3 });
}

// A program with its own handler (make run) stops gracefully; otherwise exit, and the
// 'exit' hook kills what is left.
function onSignal(signal: NodeJS.Signals): void {
  if (process.listenerCount(signal) > 1) return;
  process.exit(signal === 'SIGINT' ? 130 : 143);
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', onExit);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

function removeHooksIfIdle(): void {
  if (!hooksInstalled || live.size > 0 || tempDirs.size > 0) return;
  hooksInstalled = false;
  process.off('exit', onExit);
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
}

function startProcess(name: KubeProcess['name'], bin: string, args: string[], dir: string): Managed {
  installHooks();
  const logPath = join(dir, `${name}.log`);
  const fd = openSync(logPath, 'a');
  let child: ChildProcess;
  try {
    child = spawn(bin, args, { cwd: dir, stdio: ['ignore', fd, fd], env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? dir } });
  } finally {
    closeSync(fd);
  }
  if (child.pid === undefined) {
    throw new KubeHarnessError('StartFailed', `could not start ${name} (${bin})`);
  }
  const p: Managed = {
    name,
    pid: child.pid,
    logPath,
    child,
    exit: undefined,
    exited: new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        p.exit = { code, signal };
        live.delete(p);
        resolve();
      });
    }),
  };
  child.once('error', () => undefined);
  live.add(p);
  return p;
}

async function stopProcess(p: Managed, graceMs = 5000): Promise<void> {
  if (p.exit) return;
  try {
    process.kill(p.pid, 'SIGTERM');
  } catch {
    return;
  }
  let timer: NodeJS.Timeout | undefined;
  const timedOut = await Promise.race([
    p.exited.then(() => false),
    new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(true), graceMs); }),
  ]);
  clearTimeout(timer);
  if (timedOut && !p.exit) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // exited meanwhile
    }
    await p.exited;
  }
}

function logTail(p: Managed, lines = 40): string {
  try {
    const text = readFileSync(p.logPath, 'utf8').trimEnd().split('\n');
    return text.slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

async function waitReady(p: Managed, what: string, timeoutMs: number, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (p.exit) {
      throw new KubeHarnessError('StartFailed', `${p.name} (pid ${p.pid}) exited with ${p.exit.code ?? p.exit.signal} before ${what}; last lines of ${p.logPath}:\n${logTail(p)}`);
    }
    if (await probe().catch(() => false)) return;
    if (Date.now() > deadline) {
      throw new KubeHarnessError('StartTimeout', `${p.name} (pid ${p.pid}) not ${what} after ${timeoutMs} ms; last lines of ${p.logPath}:\n${logTail(p)}`);
    }
    await sleep(100);
  }
}

/** Free loopback TCP ports (held open together so they are distinct). */
async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(Array.from({ length: n }, () => new Promise<import('node:net').Server>((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => resolve(s));
  })));
  const ports = servers.map((s) => {
    const a = s.address();
    if (a === null || typeof a === 'string') throw new Error('no port');
    return a.port;
  });
  await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  return ports;
}

// ---------------------------------------------------------------------------------------------
// Certificates (openssl CLI, EC P-256: fast to generate, accepted by every component).

interface Pki {
  caCert: string;
  caKey: string;
  serving: { cert: string; key: string };
  admin: { cert: string; key: string };
  controllerManager: { cert: string; key: string };
  saKey: string;
  saPub: string;
}

const OPENSSL_CNF = `[req]
distinguished_name = dn
prompt = no
[dn]
CN = loupe-e2e-ca
[v3_ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign,digitalSignature
subjectKeyIdentifier = hash
`;

async function openssl(args: string[], cwd: string): Promise<void> {
  try {
    await execFileP('openssl', args, { cwd });
  } catch (err) {
    const e = err as { stderr?: string; message: string; code?: string };
    if (e.code === 'ENOENT') throw new KubeHarnessError('BinaryMissing', 'openssl not found', 'apt-get install -y --no-install-recommends openssl');
    throw new KubeHarnessError('StartFailed', `openssl ${args.join(' ')} failed: ${e.stderr ?? e.message}`);
  }
}

function subjectOf(cn: string, orgs: string[]): string {
  const esc = (s: string) => s.replace(/[\\/+=]/g, (c) => `\\${c}`);
  return `/CN=${esc(cn)}${orgs.map((o) => `/O=${esc(o)}`).join('')}`;
}

async function issueCert(pkiDir: string, name: string, cn: string, orgs: string[], ext: string): Promise<{ cert: string; key: string }> {
  const key = join(pkiDir, `${name}.key`);
  const cert = join(pkiDir, `${name}.crt`);
  const csr = join(pkiDir, `${name}.csr`);
  const extFile = join(pkiDir, `${name}.ext`);
  await writeFile(extFile, `basicConstraints = critical,CA:FALSE\nkeyUsage = critical,digitalSignature,keyEncipherment\nauthorityKeyIdentifier = keyid\n${ext}\n`);
  await openssl(['req', '-new', '-config', 'openssl.cnf', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-subj', subjectOf(cn, orgs), '-out', csr], pkiDir);
  await openssl(['x509', '-req', '-in', csr, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-set_serial', `0x${randomBytes(12).toString('hex')}`, '-days', '3650', '-extfile', extFile, '-out', cert], pkiDir);
  return { cert, key };
}

async function makePki(dir: string): Promise<Pki> {
  const pkiDir = join(dir, 'pki');
  await mkdir(pkiDir, { recursive: true });
  await writeFile(join(pkiDir, 'openssl.cnf'), OPENSSL_CNF);
  await openssl(['req', '-x509', '-new', '-config', 'openssl.cnf', '-extensions', 'v3_ca', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '3650'], pkiDir);
  const sans = ['IP:127.0.0.1', 'IP:10.96.0.1', 'DNS:localhost', 'DNS:kubernetes', 'DNS:kubernetes.default', 'DNS:kubernetes.default.svc', 'DNS:kubernetes.default.svc.cluster.local'];
  const [serving, admin, controllerManager] = await Promise.all([
    issueCert(pkiDir, 'serving', 'kube-apiserver', [], `extendedKeyUsage = serverAuth\nsubjectAltName = ${sans.join(',')}`),
    issueCert(pkiDir, 'admin', 'admin', ['system:masters'], 'extendedKeyUsage = clientAuth'),
    issueCert(pkiDir, 'kube-controller-manager', 'system:kube-controller-manager', [], 'extendedKeyUsage = clientAuth'),
    openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'sa.key'], pkiDir),
  ]);
  await openssl(['pkey', '-in', 'sa.key', '-pubout', '-out', 'sa.pub'], pkiDir);
  return {
    caCert: join(pkiDir, 'ca.crt'),
    caKey: join(pkiDir, 'ca.key'),
    serving,
    admin,
    controllerManager,
    saKey: join(pkiDir, 'sa.key'),
    saPub: join(pkiDir, 'sa.pub'),
  };
}

async function writeKubeconfig(path: string, server: string, caCert: string, user: string, cred: { cert: string; key: string }): Promise<void> {
  const b64 = async (f: string) => (await readFile(f)).toString('base64');
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'loupe-e2e', cluster: { server, 'certificate-authority-data': await b64(caCert) } }],
    users: [{ name: user, user: { 'client-certificate-data': await b64(cred.cert), 'client-key-data': await b64(cred.key) } }],
    contexts: [{ name: `${user}@loupe-e2e`, context: { cluster: 'loupe-e2e', user } }],
    'current-context': `${user}@loupe-e2e`,
  };
  await writeFile(path, YAML.stringify(doc), { mode: 0o600 });
}

// ---------------------------------------------------------------------------------------------
// Probes.

interface TlsClient { ca: Buffer; cert: Buffer; key: Buffer }

/** GET on loopback: HTTPS with client certificates when `tls` is given, else plain HTTP. */
function probeGet(port: number, path: string, tls?: TlsClient): Promise<{ status: number; body: string }> {
  const send = tls ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send({ host: '127.0.0.1', port, path, method: 'GET', ...(tls ?? {}), agent: false, timeout: 2000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

// ---------------------------------------------------------------------------------------------

export async function startKube(opts: StartKubeOptions = {}): Promise<KubeEnv> {
  const external = process.env.LOUPE_E2E_KUBECONFIG;
  if (external) return startExternal(external, opts);

  const t0 = Date.now();
  const wantControllerManager = opts.controllerManager ?? true;
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const bins = findBinaries(wantControllerManager);
  const ownDir = opts.dir === undefined;
  const dir = opts.dir ?? await mkdtemp(join(tmpdir(), 'loupe-kube-'));
  if (ownDir) tempDirs.add(dir);
  else await mkdir(dir, { recursive: true });
  installHooks();

  const procs: Managed[] = [];
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      for (const p of [...procs].reverse()) await stopProcess(p);
      if (ownDir) {
        await rm(dir, { recursive: true, force: true, maxRetries: 3 });
        tempDirs.delete(dir);
      }
      removeHooksIfIdle();
    })();
    return stopped;
  };

  try {
    const [pki, [etcdClient, etcdPeer, apiPort, kcmPort]] = await Promise.all([makePki(dir), freePorts(4)]);
    const tls: TlsClient = { ca: await readFile(pki.caCert), cert: await readFile(pki.admin.cert), key: await readFile(pki.admin.key) };

    const etcd = startProcess('etcd', bins.etcd, [
      '--name=loupe-e2e',
      `--data-dir=${join(dir, 'etcd')}`,
      `--listen-client-urls=http://127.0.0.1:${etcdClient}`,
      `--advertise-client-urls=http://127.0.0.1:${etcdClient}`,
      `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-cluster=loupe-e2e=http://127.0.0.1:${etcdPeer}`,
      '--unsafe-no-fsync',
      '--logger=zap',
      '--log-outputs=stderr',
      ...(opts.extraArgs?.etcd ?? []),
    ], dir);
    procs.push(etcd);
    await waitReady(etcd, 'healthy', timeoutMs, async () => {
      const r = await probeGet(etcdClient, '/health');
      return r.status === 200 && r.body.includes('"health":"true"');
    });

    const server = `https://127.0.0.1:${apiPort}`;
    const apiServer = startProcess('kube-apiserver', bins.apiServer, [
      `--etcd-servers=http://127.0.0.1:${etcdClient}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${apiPort}`,
      `--cert-dir=${join(dir, 'apiserver-certs')}`,
      `--tls-cert-file=${pki.serving.cert}`,
      `--tls-private-key-file=${pki.serving.key}`,
      `--client-ca-file=${pki.caCert}`,
      '--authorization-mode=RBAC',
      '--endpoint-reconciler-type=none',
      '--service-cluster-ip-range=10.96.0.0/12',
      '--service-account-issuer=https://kubernetes.default.svc',
      `--service-account-key-file=${pki.saPub}`,
      `--service-account-signing-key-file=${pki.saKey}`,
      '--api-audiences=https://kubernetes.default.svc',
      '--allow-privileged=true',
      '--profiling=false',
      ...(opts.extraArgs?.apiServer ?? []),
    ], dir);
    procs.push(apiServer);
    await waitReady(apiServer, 'ready (/readyz)', timeoutMs, async () => (await probeGet(apiPort, '/readyz', tls)).status === 200);

    const kubeconfigPath = join(dir, 'kubeconfig');
    await writeKubeconfig(kubeconfigPath, server, pki.caCert, 'admin', pki.admin);
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfigPath);

    let startupMs = Date.now() - t0;
    const env: KubeEnv = {
      kubeconfigPath,
      kc,
      server,
      dir,
      binDir: bins.binDir,
      kubectl: bins.kubectl,
      external: false,
      processes: procs,
      get startupMs() { return startupMs; },
      stop,
      async makeUserKubeConfig(user: string, groups: string[] = []): Promise<UserKubeConfig> {
        const safe = user.replace(/[^A-Za-z0-9_.-]/g, '_');
        const cred = await issueCert(join(dir, 'pki'), `user-${safe}-${randomBytes(3).toString('hex')}`, user, groups, 'extendedKeyUsage = clientAuth');
        const path = join(dir, `kubeconfig-${safe}`);
        await writeKubeconfig(path, server, pki.caCert, user, cred);
        const ukc = new KubeConfig();
        ukc.loadFromFile(path);
        return { kubeconfigPath: path, kc: ukc };
      },
    };

    if (opts.beforeControllerManager) await opts.beforeControllerManager(env);

    if (wantControllerManager && bins.controllerManager) {
      const t1 = Date.now();
      const kcmKubeconfig = join(dir, 'kube-controller-manager.kubeconfig');
      await writeKubeconfig(kcmKubeconfig, server, pki.caCert, 'system:kube-controller-manager', pki.controllerManager);
      const kcm = startProcess('kube-controller-manager', bins.controllerManager, [
        `--kubeconfig=${kcmKubeconfig}`,
        `--authentication-kubeconfig=${kcmKubeconfig}`,
        `--authorization-kubeconfig=${kcmKubeconfig}`,
        '--bind-address=127.0.0.1',
        `--secure-port=${kcmPort}`,
        `--tls-cert-file=${pki.serving.cert}`,
        `--tls-private-key-file=${pki.serving.key}`,
        `--client-ca-file=${pki.caCert}`,
        '--use-service-account-credentials=true',
        `--service-account-private-key-file=${pki.saKey}`,
        `--root-ca-file=${pki.caCert}`,
        `--cluster-signing-cert-file=${pki.caCert}`,
        `--cluster-signing-key-file=${pki.caKey}`,
        '--leader-elect=false',
        '--kube-api-qps=200',
        '--kube-api-burst=400',
        '--concurrent-gc-syncs=20',
        // Fake nodes heartbeat every 10 s; keep them Ready even across a slow test step, and
        // notice them (and lift the not-ready taint) quickly.
        '--node-monitor-period=1s',
        '--node-monitor-grace-period=5m',
        '--node-startup-grace-period=5m',
        '--profiling=false',
        ...(opts.extraArgs?.controllerManager ?? []),
      ], dir);
      procs.push(kcm);
      await waitReady(kcm, 'healthy (/healthz)', timeoutMs, async () => (await probeGet(kcmPort, '/healthz', tls)).status === 200);
      // Healthy only means serving; wait until controllers have visibly acted: the service
      // account controller creates `default/default` (the ServiceAccount admission plugin
      // refuses pods in `default` until it exists) and the root CA publisher the CA ConfigMap
      // that every pod's projected token volume reads.
      const core = kc.makeApiClient(CoreV1Api);
      await waitReady(kcm, 'running controllers (default service account and kube-root-ca.crt)', timeoutMs, async () => {
        await core.readNamespacedServiceAccount({ name: 'default', namespace: 'default' });
        await core.readNamespacedConfigMap({ name: 'kube-root-ca.crt', namespace: 'default' });
        return true;
      });
      startupMs += Date.now() - t1;
    }
    return env;
  } catch (err) {
    await stop();
    throw err;
  }
}

async function startExternal(kubeconfigPath: string, opts: StartKubeOptions): Promise<KubeEnv> {
  const t0 = Date.now();
  const kc = new KubeConfig();
  try {
    kc.loadFromFile(kubeconfigPath);
  } catch (err) {
    throw new KubeHarnessError('ExternalCluster', `LOUPE_E2E_KUBECONFIG=${kubeconfigPath} could not be loaded: ${(err as Error).message}`);
  }
  const server = kc.getCurrentCluster()?.server ?? '';
  const ownDir = opts.dir === undefined;
  const dir = opts.dir ?? await mkdtemp(join(tmpdir(), 'loupe-kube-'));
  const env: KubeEnv = {
    kubeconfigPath,
    kc,
    server,
    dir,
    binDir: '',
    kubectl: undefined,
    external: true,
    processes: [],
    startupMs: 0,
    async stop() {
      if (ownDir) await rm(dir, { recursive: true, force: true });
    },
  };
  if (opts.beforeControllerManager) await opts.beforeControllerManager(env);
  env.startupMs = Date.now() - t0;
  return env;
}
