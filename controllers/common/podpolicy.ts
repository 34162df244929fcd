// Applies a kind's podPolicy to a rendered pod template.
import type { V1PodTemplateSpec, V1ResourceRequirements, V1Toleration } from '@kubernetes/client-node';
import type { PodPolicy } from '../../crds/schema.js';

export interface ResourceSpec {
  memoryRequest?: string;
  memoryLimit?: string;
  cpuRequest?: string;
  cpuLimit?: string;
}

export function toRequirements(r: ResourceSpec | undefined): V1ResourceRequirements {
  const requests: Record<string, string> = {};
  const limits: Record<string, string> = {};
  if (r?.memoryRequest) requests['memory'] = r.memoryRequest;
  if (r?.cpuRequest) requests['cpu'] = r.cpuRequest;
  if (r?.memoryLimit) limits['memory'] = r.memoryLimit;
  if (r?.cpuLimit) limits['cpu'] = r.cpuLimit;
  return { ...(Object.keys(requests).length ? { requests } : {}), ...(Object.keys(limits).length ? { limits } : {}) };
}

export interface PodPolicyOptions {
  /** Privileged pods (PEM) keep their own security settings. */
  privileged?: boolean;
  extraNodeSelector?: Record<string, string>;
  extraTolerations?: V1Toleration[];
}

/** Returns a copy of `tpl` with the policy applied. Our own selector labels always win. */
export function applyPodPolicy(tpl: V1PodTemplateSpec, policy: PodPolicy, opts: PodPolicyOptions = {}): V1PodTemplateSpec {
  const spec = { ...tpl.spec! };
  const nodeSelector = { ...(policy.nodeSelector ?? {}), ...(opts.extraNodeSelector ?? {}) };
  if (Object.keys(nodeSelector).length) spec.nodeSelector = { ...(spec.nodeSelector ?? {}), ...nodeSelector };
  const tolerations = [...(spec.tolerations ?? []), ...((policy.tolerations ?? []) as V1Toleration[]), ...(opts.extraTolerations ?? [])];
  if (tolerations.length) spec.tolerations = tolerations;
  if (policy.priorityClassName) spec.priorityClassName = policy.priorityClassName;
  if (policy.imagePullSecrets?.length) spec.imagePullSecrets = policy.imagePullSecrets.map((s) => ({ name: s.name }));
  if (policy.securityContext && !opts.privileged) spec.securityContext = { ...(spec.securityContext ?? {}), ...policy.securityContext };
  return {
    metadata: {
      ...tpl.metadata,
      labels: { ...(policy.labels ?? {}), ...(tpl.metadata?.labels ?? {}) },
      ...(policy.annotations || tpl.metadata?.annotations ? { annotations: { ...(policy.annotations ?? {}), ...(tpl.metadata?.annotations ?? {}) } } : {}),
    },
    spec,
  };
}
