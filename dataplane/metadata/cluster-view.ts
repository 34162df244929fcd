// The cluster half of a MetadataView: pods, services and the containers that run in pods.
// KubeMetadata serves it from the Kubernetes API, StaticCluster from a fixed list; NodeMetadata
// layers a node's processes over it.
import type { MetadataView } from './types.js';

export interface ContainerInfo {
  /** Runtime id, without the "containerd://" style scheme the pod status carries. */
  readonly id: string;
  /** The container's name in the pod spec. */
  readonly name: string;
  readonly podId: string;
}

export interface ClusterView extends Pick<MetadataView, 'pod' | 'podByName' | 'podByIp' | 'service' | 'serviceByName' | 'serviceByIp'> {
  container(containerId: string): ContainerInfo | undefined;
}
