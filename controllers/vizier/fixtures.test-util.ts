// Builders for unit tests of the Vizier controller.
import type { V1Pod, V1Node, V1ContainerStatus } from '@kubernetes/client-node';
import type { Vizier } from '../../crds/kinds/vizier.js';
import { withDefaults, type DefaultedVizier } from './kind.js';
import { issueTls, type TlsMaterial } from '../common/tls.js';
import { tlsDnsNames } from './components.js';

export function vizier(spec: Record<string, unknown> = {}, extra: Partial<Vizier['metadata']> = {}, status?: Vizier['status']): DefaultedVizier {
  return withDefaults({
    apiVersion: 'loupe.dev/v1alpha1',
    kind: 'Vizier',
    metadata: { name: 'vz', namespace: 'obs', uid: 'uid-1', generation: 1, ...extra },
    spec: spec as Vizier['spec'],
    ...(status ? { status } : {}),
  });
}

const TLS = await issueTls(undefined, tlsDnsNames('vz', 'obs'), new Date(), true);
export function tls(): TlsMaterial {
  return TLS;
}

export function pod(component: string, name: string, cs: Partial<V1ContainerStatus> = {}, extra: Partial<V1Pod['status']> = {}, memory = { requests: '2Gi', limits: '2Gi' }): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'obs', labels: { 'app.kubernetes.io/component': component, 'app.kubernetes.io/instance': 'vz' } },
    spec: { containers: [{ name: component, image: 'x', resources: { requests: { memory: memory.requests }, limits: { memory: memory.limits } } }] },
    status: { phase: 'Running', containerStatuses: [{ name: component, image: 'x', imageID: '', ready: true, restartCount: 0, ...cs }], ...extra },
  };
}

export function node(name: string, kernelVersion: string, labels: Record<string, string> = {}): V1Node {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/os': 'linux', ...labels } }, status: { nodeInfo: { kernelVersion } as V1Node['status'] extends infer S ? S extends { nodeInfo?: infer N } ? N : never : never } };
}
