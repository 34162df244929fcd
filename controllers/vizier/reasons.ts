// The reasons a Vizier's conditions and Events carry. They are API: alerts, `kubectl wait`,
// Flux and Argo CD match on them, so each is declared once, here.
import { REASON_PREFIX, type Component } from './components.js';

export const VizierReason = {
  /** Ready=True. */
  AllComponentsReady: 'AllComponentsReady',
  /** Ready=False while deploying: the component tier that holds the others back. */
  NATSUnavailable: 'NATSUnavailable',
  ControlPlaneNotReady: 'ControlPlaneNotReady',
  PEMsNotReady: 'PEMsNotReady',
  /** Stalled: the spec cannot be rendered (e.g. a patch that does not apply). */
  InvalidSpec: 'InvalidSpec',
  /** Stalled: the API server refused a rendered child. */
  ApplyFailed: 'ApplyFailed',
  /** Stalled: a version rollout did not finish within spec.updateTimeoutSeconds. */
  UpdateFailed: 'UpdateFailed',
  Paused: 'Paused',
  /** Progressing=True. */
  RollingOut: 'RollingOut',
  Deploying: 'Deploying',
  /** Progressing=False. */
  Complete: 'Complete',
  /** Degraded=False. */
  NoProblems: 'NoProblems',
  /** Degraded: spec.cloud is set but this build has no `loupe cloud-connector` yet. */
  CloudConnectorNotAvailable: 'CloudConnectorNotAvailable',
  /** Degraded: nodes whose kernel cannot run the PEM's BPF programs. */
  KernelUnsupported: 'KernelUnsupported',
} as const;
export type VizierReason = (typeof VizierReason)[keyof typeof VizierReason];

/** Reasons of Events that are not a phase change. */
export const VizierEventReason = {
  TLSRotated: 'TLSRotated',
  NATSRestarted: 'NATSRestarted',
} as const;

/** Problems seen on one component's pods; the reason is the component's prefix and the problem, e.g. PEMsOOMKilled. */
export const PodProblem = {
  OOMKilled: 'OOMKilled',
  CrashLooping: 'CrashLooping',
  ImagePullFailed: 'ImagePullFailed',
  Unschedulable: 'Unschedulable',
} as const;
export type PodProblem = (typeof PodProblem)[keyof typeof PodProblem];

export function componentReason(c: Component, problem: PodProblem): string {
  return `${REASON_PREFIX[c]}${problem}`;
}
