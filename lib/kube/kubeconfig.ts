// Where a process finds the API server: a kubeconfig file, the pod's service account, or
// client-node's default search ($KUBECONFIG, ~/.kube/config, then in-cluster). A config that
// cannot be loaded or names no cluster is a UsageError naming the flag or variable to change.
import { KubeConfig } from '@kubernetes/client-node';
import { UsageError } from '../cli.js';

export type KubeConfigSource =
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'in-cluster' }
  | { readonly kind: 'default' };

/** `hint` says what else the user may pass, e.g. "or --no-kube for /proc only". */
export function loadKubeConfig(source: KubeConfigSource, opts: { hint?: string; env?: NodeJS.ProcessEnv } = {}): KubeConfig {
  const env = opts.env ?? process.env;
  const kubeconfigEnv = env['KUBECONFIG'];
  const [what, flag] =
    source.kind === 'file' ? [`--kubeconfig ${source.path}`, '--kubeconfig']
    : source.kind === 'in-cluster' ? ['the in-cluster service account', '--kubeconfig']
    : kubeconfigEnv ? [`$KUBECONFIG (${kubeconfigEnv})`, '$KUBECONFIG']
    : ['the default kubeconfig or in-cluster config', '--kubeconfig'];
  const todo = `point --kubeconfig or KUBECONFIG at a readable kubeconfig${opts.hint ? `, ${opts.hint}` : ''}`;
  const kc = new KubeConfig();
  try {
    if (source.kind === 'file') kc.loadFromFile(source.path);
    else if (source.kind === 'in-cluster') kc.loadFromCluster();
    else kc.loadFromDefault();
  } catch (err) {
    throw new UsageError(`cannot load ${what}: ${(err as Error).message}; ${todo}`, flag);
  }
  if (!kc.getCurrentCluster()) throw new UsageError(`no Kubernetes cluster in ${what}: ${todo}, or run in a pod`, flag);
  return kc;
}
