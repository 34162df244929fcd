// Metadata functions: look a upid, pod, IP or service up in the query's MetadataView, or name
// the deployment the query runs in (px.vizier_name()). A lookup
// that finds nothing gives '' (0 for pids and times), never an error. Columns of upids, pod
// ids or IPs are dictionary-encoded, so each distinct value is looked up once per dictionary.
import type { ClusterIdentity, MetadataView, PodInfo } from '../../metadata/types.js';
import type { CellValue, DataType } from '../../table-store/types.js';
import type { UdfContext } from './context.js';
import { impl, type ScalarImpl } from './impl.js';
import { rowwise } from './rowwise.js';

type Lookup<T> = (md: MetadataView, key: string) => T;

/** One name, or a JSON array when a pod sits behind several services (read with px.has_service_name). */
function nameList(names: readonly string[]): string {
  if (names.length === 0) return '';
  if (names.length === 1) return names[0]!;
  return JSON.stringify(names);
}

const podOfUpid = (md: MetadataView, upid: string): PodInfo | undefined => {
  const podId = md.process(upid)?.podId;
  return podId === undefined ? undefined : md.pod(podId);
};

const serviceNames = (md: MetadataView, pod: PodInfo | undefined): string => nameList((pod?.serviceIds ?? []).map((id) => md.service(id)?.name ?? '').filter((s) => s !== ''));
const serviceIds = (pod: PodInfo | undefined): string => nameList(pod?.serviceIds ?? []);

/** The pid of a upid ("tgid:startTicks"): from the process table, else the upid's own tgid. */
function upidPid(md: MetadataView, upid: string): bigint {
  const p = md.process(upid);
  if (p) return BigInt(p.pid);
  const m = /^(\d+):/.exec(upid);
  return m ? BigInt(m[1]!) : 0n;
}

function stringFn(name: string, args: readonly DataType[], f: Lookup<string>): ScalarImpl {
  return impl(args, 'string', rowwise(name, 'string', ([k], ctx: UdfContext) => f(ctx.metadata, k as string)));
}

function upidFns(name: string, f: Lookup<string>): ScalarImpl[] {
  return [stringFn(name, ['uint128'], f), stringFn(name, ['string'], f)];
}

const timeOf = (ns: bigint | undefined): CellValue => ns ?? 0n;

/** A constant of the deployment the query runs in (metadata/types.ts ClusterIdentity). */
const identityFn = (f: (identity: ClusterIdentity) => string): ScalarImpl[] => [impl([], 'string', (_args, _n, ctx) => ({ scalar: true, type: 'string', value: f(ctx.identity) }))];

export const METADATA_FUNCTIONS: Record<string, ScalarImpl[]> = {
  upid_to_pod_name: upidFns('upid_to_pod_name', (md, u) => podOfUpid(md, u)?.name ?? ''),
  upid_to_pod_id: upidFns('upid_to_pod_id', (md, u) => md.process(u)?.podId ?? ''),
  upid_to_namespace: upidFns('upid_to_namespace', (md, u) => podOfUpid(md, u)?.namespace ?? ''),
  upid_to_service_name: upidFns('upid_to_service_name', (md, u) => serviceNames(md, podOfUpid(md, u))),
  upid_to_service_id: upidFns('upid_to_service_id', (md, u) => serviceIds(podOfUpid(md, u))),
  upid_to_node_name: upidFns('upid_to_node_name', (md, u) => (md.process(u) ? (podOfUpid(md, u)?.nodeName ?? md.nodeName) : '')),
  upid_to_hostname: upidFns('upid_to_hostname', (md, u) => (md.process(u) ? md.hostname : '')),
  upid_to_container_name: upidFns('upid_to_container_name', (md, u) => md.process(u)?.containerName ?? ''),
  upid_to_container_id: upidFns('upid_to_container_id', (md, u) => md.process(u)?.containerId ?? ''),
  upid_to_cmdline: upidFns('upid_to_cmdline', (md, u) => md.process(u)?.cmdline ?? ''),
  upid_to_pid: (['uint128', 'string'] as const).map((t) => impl([t], 'int64', rowwise('upid_to_pid', 'int64', ([u], ctx) => upidPid(ctx.metadata, u as string)))),
  upid_to_string: upidFns('upid_to_string', (_md, u) => u),
  pod_id_to_pod_name: [stringFn('pod_id_to_pod_name', ['string'], (md, id) => md.pod(id)?.name ?? '')],
  pod_id_to_namespace: [stringFn('pod_id_to_namespace', ['string'], (md, id) => md.pod(id)?.namespace ?? '')],
  pod_id_to_node_name: [stringFn('pod_id_to_node_name', ['string'], (md, id) => md.pod(id)?.nodeName ?? '')],
  pod_id_to_service_name: [stringFn('pod_id_to_service_name', ['string'], (md, id) => serviceNames(md, md.pod(id)))],
  pod_id_to_service_id: [stringFn('pod_id_to_service_id', ['string'], (md, id) => serviceIds(md.pod(id)))],
  pod_name_to_pod_id: [stringFn('pod_name_to_pod_id', ['string'], (md, name) => md.podByName(name)?.id ?? '')],
  pod_name_to_namespace: [stringFn('pod_name_to_namespace', ['string'], (md, name) => md.podByName(name)?.namespace ?? '')],
  pod_name_to_start_time: [impl(['string'], 'time64ns', rowwise('pod_name_to_start_time', 'time64ns', ([name], ctx) => timeOf(ctx.metadata.podByName(name as string)?.startTime) as bigint))],
  pod_name_to_status: [stringFn('pod_name_to_status', ['string'], (md, name) => md.podByName(name)?.status ?? '')],
  pod_name_to_pod_ip: [stringFn('pod_name_to_pod_ip', ['string'], (md, name) => md.podByName(name)?.ip ?? '')],
  pod_name_to_service_name: [stringFn('pod_name_to_service_name', ['string'], (md, name) => serviceNames(md, md.podByName(name)))],
  ip_to_pod_id: [stringFn('ip_to_pod_id', ['string'], (md, ip) => md.podByIp(ip)?.id ?? '')],
  ip_to_service_id: [stringFn('ip_to_service_id', ['string'], (md, ip) => md.serviceByIp(ip)?.id ?? serviceIds(md.podByIp(ip)))],
  service_id_to_service_name: [stringFn('service_id_to_service_name', ['string'], (md, id) => md.service(id)?.name ?? '')],
  service_name_to_namespace: [stringFn('service_name_to_namespace', ['string'], (md, name) => md.serviceByName(name)?.namespace ?? '')],
  nslookup: [stringFn('nslookup', ['string'], (md, ip) => md.podByIp(ip)?.name ?? md.serviceByIp(ip)?.name ?? ip)],
  vizier_name: identityFn((identity) => identity.clusterName),
  vizier_namespace: identityFn((identity) => identity.namespace),
};
