import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseBrokerArgs, parseKelvinArgs, parseMetadataArgs, parsePemArgs, type KelvinConfig, type MetadataConfig, type PemConfig } from './config.js';
import { UsageError } from '../../lib/cli.js';
import { formatCidr } from '../../lib/cidr.js';

const pem = (args: string[], env: NodeJS.ProcessEnv = {}) => parsePemArgs(args, env) as PemConfig;
const kelvin = (args: string[], env: NodeJS.ProcessEnv = {}) => parseKelvinArgs(args, env) as KelvinConfig;

/** Asserts a UsageError naming `setting`, with a message matching `message`. */
function rejects(run: () => unknown, setting: string, message: RegExp): void {
  assert.throws(run, (err: unknown) => {
    assert.ok(err instanceof UsageError, String(err));
    assert.equal(err.flag, setting);
    assert.match(err.message, message);
    return true;
  });
}

describe('query role configuration', () => {
  it('defaults suit one host: loopback listen on the role port, NATS on 4222, health on a free loopback port', () => {
    const c = pem([]);
    assert.deepEqual(c.listen, { host: '127.0.0.1', port: 12345 });
    assert.equal(c.natsUrl, 'nats://127.0.0.1:4222');
    assert.deepEqual(c.health, { host: '127.0.0.1', port: 0 });
    assert.equal(c.tlsDir, undefined);
    assert.equal(c.tableStoreBytes, Math.floor(2 ** 30 * 0.6));
    assert.equal(c.retentionMs, 24 * 3_600_000);
    assert.equal(c.statsIntervalMs, 10_000);
    assert.equal(c.profilerIntervalMs, 30_000);
    assert.equal(c.procRoot, '/proc');
    assert.equal(c.nodeName, undefined);
    assert.deepEqual(kelvin([]).listen, { host: '127.0.0.1', port: 59300 });
    assert.deepEqual((parseBrokerArgs([], {}) as { listen: unknown }).listen, { host: '127.0.0.1', port: 50300 });
  });

  it('reads what the operator sets in a pod: NATS, TLS dir, health address, node, table store, retention, pod', () => {
    const env = {
      LOUPE_NATS_URL: 'tls://vizier-nats.loupe.svc:4222',
      LOUPE_TLS_DIR: '/etc/loupe/tls',
      LOUPE_HEALTH_ADDR: '0.0.0.0:9090',
      LOUPE_NODE_NAME: 'node-7',
      LOUPE_TABLE_STORE_LIMIT_BYTES: '644245094',
      LOUPE_DATA_RETENTION: '1h30m',
      LOUPE_HOST_PREFIX: '/host',
      POD_NAME: 'vizier-pem-x2x9k',
      POD_NAMESPACE: 'loupe',
    };
    const c = pem([], env);
    assert.equal(c.natsUrl, 'tls://vizier-nats.loupe.svc:4222');
    assert.deepEqual(c.tlsDir, { value: '/etc/loupe/tls', from: '$LOUPE_TLS_DIR' });
    assert.deepEqual(c.health, { host: '0.0.0.0', port: 9090 });
    assert.equal(c.nodeName, 'node-7');
    assert.equal(c.tableStoreBytes, 644245094);
    assert.equal(c.retentionMs, 90 * 60_000);
    assert.equal(c.procRoot, '/host/proc');
    assert.equal(c.pod, 'loupe/vizier-pem-x2x9k');
    // In a pod, the gRPC port must be reachable from other pods.
    assert.deepEqual(c.listen, { host: '0.0.0.0', port: 12345 });
    assert.equal(kelvin([], { LOUPE_QUERY_MEMORY_LIMIT_BYTES: '536870912' }).queryMemoryBytes, 512 * 2 ** 20);
  });

  it('flags win over the environment', () => {
    const env = { LOUPE_NATS_URL: 'nats://a:1', LOUPE_HEALTH_ADDR: '0.0.0.0:9090', LOUPE_TLS_DIR: '/etc/loupe/tls', LOUPE_NODE_NAME: 'env-node', LOUPE_TABLE_STORE_LIMIT_BYTES: '100000000', LOUPE_DATA_RETENTION: '24h', POD_NAME: 'p' };
    const c = pem(['--nats', 'nats://b:2', '--health-addr', '127.0.0.1:8099', '--tls-dir', '/tmp/certs', '--node-name', 'flag-node', '--memory-limit', '100Mi', '--retention', '15m', '--listen', '127.0.0.1:0'], env);
    assert.equal(c.natsUrl, 'nats://b:2');
    assert.deepEqual(c.health, { host: '127.0.0.1', port: 8099 });
    assert.deepEqual(c.tlsDir, { value: '/tmp/certs', from: '--tls-dir' });
    assert.equal(c.nodeName, 'flag-node');
    assert.equal(c.tableStoreBytes, Math.floor(100 * 2 ** 20 * 0.6), '--memory-limit: 60% holds rows');
    assert.equal(c.retentionMs, 15 * 60_000);
    assert.deepEqual(c.listen, { host: '127.0.0.1', port: 0 });
    assert.equal(kelvin(['--query-memory', '1Gi'], { LOUPE_QUERY_MEMORY_LIMIT_BYTES: '536870912' }).queryMemoryBytes, 2 ** 30);
  });

  it('takes a bare HOST:PORT for NATS, IPv6 addresses in brackets, --advertise, sources and a tracer target', () => {
    const c = pem(['--nats', '127.0.0.1:4333', '--listen', '[::1]:0', '--advertise', '10.1.2.3:12345', '--sources', 'socket_tracer, process_stats', '--pid', '12,13', '--pid', '14'], { POD_IP: '10.9.9.9' });
    assert.equal(c.natsUrl, 'nats://127.0.0.1:4333');
    assert.deepEqual(c.listen, { host: '::1', port: 0 });
    assert.deepEqual(c.advertise, { host: '10.1.2.3', port: 12345 });
    assert.equal(c.podIp, '10.9.9.9');
    assert.deepEqual(c.sources, ['socket_tracer', 'process_stats']);
    assert.deepEqual(c.target, { pids: ['12', '13', '14'] });
    assert.deepEqual(pem(['--cgroup', 'system.slice/x.service']).target, { cgroup: 'system.slice/x.service' });
  });

  it('reads what to record and who it is: data access, protocols, cluster and Vizier name, from the environment or flags', () => {
    const defaults = pem([]);
    assert.equal(defaults.dataAccess, 'Full');
    assert.deepEqual(defaults.protocols, ['http']);
    assert.deepEqual(defaults.identity, { clusterName: '', vizierName: '', namespace: '' });
    const env = { LOUPE_DATA_ACCESS: 'PIIRestricted', LOUPE_PROTOCOLS: 'http,dns', LOUPE_CLUSTER_NAME: 'prod-eu', LOUPE_VIZIER_NAME: 'vz', POD_NAMESPACE: 'obs', POD_NAME: 'p' };
    const c = pem([], env);
    assert.equal(c.dataAccess, 'PIIRestricted');
    assert.deepEqual(c.protocols, ['http', 'dns']);
    assert.deepEqual(c.identity, { clusterName: 'prod-eu', vizierName: 'vz', namespace: 'obs' });
    assert.deepEqual(kelvin([], env).identity, { clusterName: 'prod-eu', vizierName: 'vz', namespace: 'obs' });
    const flagged = pem(['--data-access', 'Restricted', '--protocols', 'none', '--cluster-name', 'staging', '--vizier-name', 'vz2'], env);
    assert.equal(flagged.dataAccess, 'Restricted');
    assert.deepEqual(flagged.protocols, [], 'none is the empty list, not the default');
    assert.deepEqual(flagged.identity, { clusterName: 'staging', vizierName: 'vz2', namespace: 'obs' });
  });

  it('reads which sides are traced and the cluster networks, from the environment or flags', () => {
    assert.deepEqual(pem([]).traceRoles, { traceRoles: 'server' });
    const c = pem(['--trace-roles', 'both', '--cluster-cidrs', '10.244.0.0/16,fd00:10:244::/56'], { LOUPE_SERVICE_CIDRS: '10.96.0.0/12' });
    assert.equal(c.traceRoles.traceRoles, 'both');
    assert.deepEqual(c.traceRoles.clusterCidrs?.map(formatCidr), ['10.244.0.0/16', 'fd00:10:244::/56']);
    assert.deepEqual(c.traceRoles.serviceCidrs?.map(formatCidr), ['10.96.0.0/12']);
    assert.equal(pem([], { LOUPE_TRACE_ROLES: 'both' }).traceRoles.traceRoles, 'both');
    rejects(() => pem(['--trace-roles', 'client']), '--trace-roles', /^--trace-roles "client": not one of server, both/);
    rejects(() => pem([], { LOUPE_CLUSTER_CIDRS: '10.244.0.0/16,10.300.0.0/16' }), '$LOUPE_CLUSTER_CIDRS', /^\$LOUPE_CLUSTER_CIDRS "10\.244\.0\.0\/16,10\.300\.0\.0\/16": "10\.300\.0\.0\/16" not an IPv4 or IPv6 address or CIDR; write e\.g\. 10\.244\.0\.0\/16/);
    rejects(() => pem(['--service-cidrs', '10.96.0.0/40']), '--service-cidrs', /^--service-cidrs "10\.96\.0\.0\/40": the prefix length must be a whole number from 0 to 32/);
    rejects(() => pem(['--service-cidrs', '10.96.0.0/12,']), '--service-cidrs', /an empty entry/);
  });

  it('names the flag or variable, the value and the problem', () => {
    rejects(() => pem(['--listen', 'nowhere']), '--listen', /--listen "nowhere": not HOST:PORT/);
    rejects(() => pem(['--listen', '127.0.0.1:70000']), '--listen', /not HOST:PORT/);
    rejects(() => pem([], { LOUPE_HEALTH_ADDR: 'localhost' }), '$LOUPE_HEALTH_ADDR', /\$LOUPE_HEALTH_ADDR "localhost": not HOST:PORT/);
    rejects(() => pem(['--nats', 'http://nats:4222']), '--nats', /scheme http:\/\/ is not nats:\/\/ or tls:\/\//);
    rejects(() => pem([], { LOUPE_NATS_URL: 'nats://' }), '$LOUPE_NATS_URL', /\$LOUPE_NATS_URL "nats:\/\/"/);
    rejects(() => pem(['--memory-limit', 'lots']), '--memory-limit', /not a quantity of bytes/);
    rejects(() => pem(['--memory-limit', '8Mi']), '--memory-limit', /at least 16777216 bytes \(16Mi\)/);
    rejects(() => pem([], { LOUPE_TABLE_STORE_LIMIT_BYTES: '-5' }), '$LOUPE_TABLE_STORE_LIMIT_BYTES', /\$LOUPE_TABLE_STORE_LIMIT_BYTES "-5"/);
    rejects(() => pem([], { LOUPE_DATA_RETENTION: 'forever' }), '$LOUPE_DATA_RETENTION', /must be a duration such as 30m, 24h/);
    rejects(() => pem(['--retention', '0h']), '--retention', /must be a duration/);
    rejects(() => pem(['--stats-interval', '0s']), '--stats-interval', /positive duration/);
    rejects(() => pem(['--sources', 'socket_tracer,gpu']), '--sources', /unknown source gpu; choose from socket_tracer/);
    rejects(() => pem(['--pid', '1', '--cgroup', '/sys/fs/cgroup']), '--pid', /--pid or --cgroup, not both/);
    rejects(() => pem(['--pid', '1,,2']), '--pid', /an empty entry/);
    rejects(() => pem(['--node-name', ' ']), '--node-name', /empty/);
    rejects(() => kelvin(['--query-memory', '1Mi']), '--query-memory', /at least/);
    rejects(() => kelvin([], { LOUPE_QUERY_MEMORY_LIMIT_BYTES: 'x' }), '$LOUPE_QUERY_MEMORY_LIMIT_BYTES', /not a quantity/);
    rejects(() => parseBrokerArgs(['--advertise', '1.2.3.4:5'], {}), '--advertise', /Unknown option '--advertise'/);
    rejects(() => kelvin(['--sources', 'x']), '--sources', /Unknown option/);
    assert.throws(() => pem(['extra']), (err: unknown) => err instanceof UsageError && err.flag === undefined && /Unexpected argument 'extra'/.test(err.message));
    rejects(() => pem([], { LOUPE_DATA_ACCESS: 'full' }), '$LOUPE_DATA_ACCESS', /\$LOUPE_DATA_ACCESS "full": not one of Full, Restricted, PIIRestricted/);
    rejects(() => pem(['--data-access', 'None']), '--data-access', /not one of Full, Restricted, PIIRestricted/);
    rejects(() => pem([], { LOUPE_PROTOCOLS: 'http,gopher' }), '$LOUPE_PROTOCOLS', /unknown protocol gopher; choose from http, pgsql, mysql, dns, redis \(or none\)/);
    rejects(() => pem(['--cluster-name', ' ']), '--cluster-name', /--cluster-name: empty/);
    rejects(() => parseBrokerArgs(['--data-access', 'Full'], {}), '--data-access', /Unknown option '--data-access'/);
  });

  it('an empty environment variable counts as unset', () => {
    assert.equal(pem([], { LOUPE_NATS_URL: '', LOUPE_TLS_DIR: '' }).natsUrl, 'nats://127.0.0.1:4222');
    assert.equal(pem([], { LOUPE_TLS_DIR: '' }).tlsDir, undefined);
  });

  it('the Kubernetes API: --kubeconfig, else the service account in a pod, none with --no-kube or outside a pod', () => {
    assert.equal(pem([]).kube, undefined);
    assert.equal(kelvin([]).kube, undefined);
    assert.deepEqual(pem(['--kubeconfig', '/k/config']).kube, { kind: 'file', path: '/k/config' });
    assert.deepEqual(kelvin(['--kubeconfig', '/k/config']).kube, { kind: 'file', path: '/k/config' });
    const inPod = { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' };
    assert.deepEqual(pem([], inPod).kube, { kind: 'in-cluster', server: 'https://10.96.0.1:443' });
    assert.deepEqual(kelvin([], { KUBERNETES_SERVICE_HOST: 'fd00::1' }).kube, { kind: 'in-cluster', server: 'https://[fd00::1]:443' });
    assert.deepEqual(pem(['--kubeconfig', '/k/config'], inPod).kube, { kind: 'file', path: '/k/config' });
    assert.equal(pem(['--no-kube'], inPod).kube, undefined);
    assert.equal(kelvin(['--no-kube'], inPod).kube, undefined);
    rejects(() => pem(['--no-kube', '--kubeconfig', '/k/config']), '--no-kube', /exclude each other/);
    rejects(() => pem(['--kubeconfig', ' ']), '--kubeconfig', /empty/);
    rejects(() => parseBrokerArgs(['--kubeconfig', '/k/config'], {}), '--kubeconfig', /Unknown option/);
  });

  it('--help wins over everything else', () => {
    assert.equal(parsePemArgs(['--help', '--listen', 'bad'], {}), 'help');
    assert.equal(parseKelvinArgs(['-h'], {}), 'help');
    assert.equal(parseBrokerArgs(['--help'], {}), 'help');
  });
});

describe('loupe metadata configuration', () => {
  const inPod = { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443', POD_NAME: 'vz-metadata-0', POD_NAMESPACE: 'pl' };
  const metadata = (args: string[], env: NodeJS.ProcessEnv = inPod) => parseMetadataArgs(args, env) as MetadataConfig;

  it('in a pod: files under /var/lib/loupe by default, the in-cluster API, the render\'s variables', () => {
    const c = metadata([]);
    assert.deepEqual(c.storage, { kind: 'persistent', dir: '/var/lib/loupe' });
    assert.deepEqual(c.kube, { kind: 'in-cluster', server: 'https://10.96.0.1:443' });
    assert.equal(c.pod, 'pl/vz-metadata-0');
    assert.deepEqual(metadata(['--data-dir', '/tmp/x']).storage, { kind: 'persistent', dir: '/tmp/x' });
    assert.deepEqual(metadata([], { ...inPod, LOUPE_METADATA_STORAGE: 'memory' }).storage, { kind: 'memory' });
    const etcd = metadata([], { ...inPod, LOUPE_METADATA_STORAGE: 'etcd', LOUPE_ETCD_ENDPOINTS: 'https://vz-etcd.pl.svc:2379,http://127.0.0.1:2379' });
    assert.deepEqual(etcd.storage.kind === 'etcd' && etcd.storage.endpoints.map((u) => u.href), ['https://vz-etcd.pl.svc:2379/', 'http://127.0.0.1:2379/']);
  });

  it('refuses storage it cannot use, naming the variable or flag', () => {
    rejects(() => metadata([], { ...inPod, LOUPE_METADATA_STORAGE: 'disk' }), '$LOUPE_METADATA_STORAGE', /"disk".*persistent.*etcd.*memory/);
    rejects(() => metadata([], { ...inPod, LOUPE_METADATA_STORAGE: 'etcd' }), '$LOUPE_ETCD_ENDPOINTS', /storage etcd \(\$LOUPE_METADATA_STORAGE\) needs \$LOUPE_ETCD_ENDPOINTS or --etcd-endpoints/);
    rejects(() => metadata(['--storage', 'etcd', '--etcd-endpoints', 'vz-etcd:2379']), '--etcd-endpoints', /"vz-etcd:2379" is not an etcd client URL with a port/);
    rejects(() => metadata(['--storage', 'etcd', '--etcd-endpoints', 'https://vz-etcd']), '--etcd-endpoints', /not an etcd client URL with a port/);
    rejects(() => metadata([], { ...inPod, LOUPE_ETCD_ENDPOINTS: 'http://127.0.0.1:2379' }), '$LOUPE_ETCD_ENDPOINTS', /is set but storage is persistent/);
  });

  it('outside a pod it needs --kubeconfig', () => {
    rejects(() => metadata([], {}), '--kubeconfig', /loupe metadata watches the Kubernetes API: pass --kubeconfig FILE, or run it in a pod/);
    assert.deepEqual(metadata(['--kubeconfig', '/k'], {}).kube, { kind: 'file', path: '/k' });
  });
});
