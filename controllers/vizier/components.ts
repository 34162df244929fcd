// The components of a Vizier, their order of rollout, and where each is addressed.
import type { VizierSpec } from '../../crds/kinds/vizier.js';
import { childName } from '../common/labels.js';

export const APP = 'vizier';

export type Component = 'nats' | 'etcd' | 'metadata' | 'query-broker' | 'kelvin' | 'cloud-connector' | 'pem';

/** Rollout order: a tier moves to a new version only when every earlier tier runs it and is ready. */
export const TIERS: readonly (readonly Component[])[] = [['nats', 'etcd'], ['metadata'], ['query-broker', 'kelvin'], ['cloud-connector'], ['pem']];

export type WorkloadKind = 'Deployment' | 'StatefulSet' | 'DaemonSet';

/** Which components this spec runs, and as which workload kind. */
export function componentsOf(spec: VizierSpec): Map<Component, WorkloadKind> {
  const m = new Map<Component, WorkloadKind>();
  m.set('nats', 'StatefulSet');
  if (spec.metadata.storage === 'etcd') m.set('etcd', 'StatefulSet');
  m.set('metadata', spec.metadata.storage === 'persistent' ? 'StatefulSet' : 'Deployment');
  m.set('query-broker', 'Deployment');
  m.set('kelvin', 'Deployment');
  if (spec.cloud) m.set('cloud-connector', 'Deployment');
  m.set('pem', 'DaemonSet');
  return m;
}

/** Names of the internal Services; the TLS certificate covers all of them. */
export function serviceNames(instance: string): Record<string, string> {
  return {
    nats: childName(instance, 'nats'),
    natsHeadless: childName(instance, 'nats-headless'),
    etcd: childName(instance, 'etcd'),
    metadata: childName(instance, 'metadata'),
    queryBroker: childName(instance, 'query-broker'),
    kelvin: childName(instance, 'kelvin'),
    cloudConnector: childName(instance, 'cloud-connector'),
  };
}

export function tlsDnsNames(instance: string, namespace: string): string[] {
  const names: string[] = [];
  for (const svc of Object.values(serviceNames(instance))) {
    names.push(`${svc}.${namespace}.svc`, svc, `${svc}.${namespace}`, `${svc}.${namespace}.svc.cluster.local`);
  }
  names.push(`*.${serviceNames(instance)['natsHeadless']}.${namespace}.svc`, `*.${serviceNames(instance)['etcd']}.${namespace}.svc`);
  return names;
}

/** The reason prefix used in conditions about a component. */
export const REASON_PREFIX: Record<Component, string> = {
  nats: 'NATS',
  etcd: 'Etcd',
  metadata: 'Metadata',
  'query-broker': 'QueryBroker',
  kelvin: 'Kelvin',
  'cloud-connector': 'CloudConnector',
  pem: 'PEMs',
};

/** The spec field a user changes to give a component more memory. */
export const MEMORY_FIELD: Record<Component, string> = {
  nats: 'spec.podPolicy.resources.memoryLimit',
  etcd: 'spec.podPolicy.resources.memoryLimit',
  metadata: 'spec.podPolicy.resources.memoryLimit',
  'query-broker': 'spec.podPolicy.resources.memoryLimit',
  kelvin: 'spec.kelvin.resources.memoryLimit',
  'cloud-connector': 'spec.podPolicy.resources.memoryLimit',
  pem: 'spec.pem.resources.memoryLimit',
};
