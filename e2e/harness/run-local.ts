// `make run`: a real API server on 127.0.0.1, a stand-in kubelet, the operator, the samples.
// Prints how to look around with kubectl and stops everything on Ctrl-C.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { release } from 'node:os';
import { parse } from 'yaml';
import type { KubernetesObject } from '@kubernetes/client-node';
import { startKube } from './kube.js';
import { FakeKubelet } from './kubelet.js';
import { api, installCRDs, createNamespace, waitFor, get } from './cluster.js';
import { spawnOperator } from './operator.js';
import { repoRoot } from '../../crds/generate.js';
import { ALL_KINDS } from '../../crds/index.js';
import type { Vizier } from '../../crds/kinds/vizier.js';

async function main(): Promise<void> {
  const t0 = Date.now();
  console.log('[loupe] starting etcd, kube-apiserver and kube-controller-manager on 127.0.0.1 ...');
  const env = await startKube({ beforeControllerManager: async (e) => installCRDs(e.kc) });
  const kubelet = new FakeKubelet(env.kc);
  let operator: ReturnType<typeof spawnOperator> | undefined;
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    console.log('\n[loupe] stopping the operator, the stand-in kubelet and the API server ...');
    if (operator && operator.child.exitCode === null) {
      operator.child.kill('SIGTERM');
      await operator.exited;
    }
    await kubelet.stop();
    await env.stop();
    console.log('[loupe] stopped');
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
  try {
    await kubelet.addNode('local-node', { kernelVersion: release() });
    await kubelet.start();
    await createNamespace(env.kc, 'loupe-system');
    const healthPort = process.env['LOUPE_RUN_HEALTH_PORT'] ?? '8081';
    operator = spawnOperator(env.kubeconfigPath, env.dir, 'local', ['--leader-elect', 'true', '--health-addr', `127.0.0.1:${healthPort}`]);
    void operator.exited.then((code) => {
      if (!stopping) {
        console.error(`[loupe] the operator exited with code ${code}; its log: ${operator!.logPath}`);
        void stop(1);
      }
    });

    const samples = join(repoRoot(), 'crds', 'samples');
    const created = new Set<string>();
    for (const f of readdirSync(samples).sort()) {
      const obj = parse(readFileSync(join(samples, f), 'utf8')) as KubernetesObject;
      const ns = obj.metadata!.namespace!;
      if (!created.has(ns)) {
        await createNamespace(env.kc, ns);
        created.add(ns);
      }
      const plural = ALL_KINDS.find((k) => k.kind === obj.kind)!.plural;
      await api(env.kc).request({ method: 'POST', path: `/apis/loupe.dev/v1alpha1/namespaces/${ns}/${plural}`, body: obj });
      console.log(`[loupe] applied crds/samples/${f}`);
    }
    const vz = await waitFor('the sample Vizier to become Healthy', async () => {
      const v = await get<Vizier>(env.kc, '/apis/loupe.dev/v1alpha1/namespaces/loupe/viziers/vizier');
      return v?.status?.phase === 'Healthy' ? v : undefined;
    }, 120_000, 200);

    const kubectl = env.kubectl ?? 'kubectl';
    const rc = join(env.dir, 'env.sh');
    writeFileSync(rc, `export KUBECONFIG=${env.kubeconfigPath}\nalias kubectl=${kubectl}\n`);
    console.log(`
[loupe] ready in ${((Date.now() - t0) / 1000).toFixed(1)} s: Vizier loupe/vizier is ${vz.status!.phase} (${vz.status!.message})

Look around (in another shell):
  source ${rc}
  kubectl get loupe -A                       # every Loupe resource
  kubectl get vizier -n loupe -o wide        # phase, ready, version, PEMs, message
  kubectl describe vizier -n loupe vizier    # conditions and events
  kubectl get all,configmaps,secrets -n loupe -l app.kubernetes.io/instance=vizier
  kubectl delete deployment -n loupe vizier-kelvin   # ... and watch the operator restore it
  kubectl patch vizier -n loupe vizier --type merge -p '{"spec":{"version":"0.2.0"}}'   # a rollout
  curl -s 127.0.0.1:${healthPort}/metrics | grep ^loupe_      # operator metrics

Operator log: ${operator.logPath}
Press Ctrl-C to stop everything.`);
  } catch (err) {
    console.error(`[loupe] ${(err as Error).message}`);
    await stop(1);
  }
}

void main();
