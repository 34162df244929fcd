// Every status the Vizier reconciler writes, read by kstatus (Flux, cli-utils appliers): the
// verdict each situation must get, and the rules that make kstatus read them without glue.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Vizier } from '../../crds/kinds/vizier.js';
import { vizierCases } from './argocd/vizier-cases.js';
import { computeKstatus } from './kstatus.test-util.js';

const cond = (vz: Vizier, type: string) => vz.status?.conditions?.find((c) => c.type === type);

for (const c of vizierCases()) {
  test(`kstatus reads the Vizier case ${c.name} (phase ${c.object.status?.phase ?? 'none'}) as ${c.kstatus}`, () => {
    const k = computeKstatus(c.object);
    assert.equal(k.status, c.kstatus);
    if (k.status === 'Failed') assert.equal(k.message, cond(c.object, 'Stalled')!.message, 'Failed says what the user must change');
  });
}

/** The cases whose status the reconciler wrote for the object's current generation. */
const written = () => vizierCases().filter((c) => c.object.status && c.object.status.observedGeneration === c.object.metadata.generation);

test('every status the reconciler writes carries observedGeneration, on the status and on each condition', () => {
  const cases = written();
  assert.ok(cases.length >= 15, `only ${cases.length} written statuses`);
  for (const c of cases) {
    for (const x of c.object.status!.conditions!) assert.equal(x.observedGeneration, c.object.metadata.generation, `${c.name}: ${x.type}`);
  }
});

test('every status the reconciler writes has Reconciling and Stalled, once each, never both True, as kstatus needs', () => {
  for (const c of written()) {
    const types = c.object.status!.conditions!.map((x) => x.type);
    assert.equal(new Set(types).size, types.length, `${c.name}: a condition type twice`);
    const reconciling = cond(c.object, 'Reconciling');
    const stalled = cond(c.object, 'Stalled');
    assert.ok(reconciling && stalled, `${c.name}: kstatus would fall back to guessing from Ready`);
    assert.ok(!(reconciling.status === 'True' && stalled.status === 'True'), `${c.name}: Reconciling and Stalled both True; kstatus would read whichever comes first`);
    assert.equal(stalled.status === 'True', c.object.status!.phase === 'Failed', `${c.name}: Failed is exactly Stalled=True`);
    assert.equal(reconciling.status, cond(c.object, 'Progressing')!.status === 'True' && stalled.status !== 'True' ? 'True' : 'False', `${c.name}: Reconciling mirrors Progressing unless stalled`);
    assert.ok(stalled.status !== 'True' || stalled.message.length > 0, `${c.name}: Stalled without a message`);
  }
});

test('kstatus says Current exactly when Ready is True, so Flux and `kubectl wait --for=condition=Ready` agree', () => {
  for (const c of written()) {
    assert.equal(computeKstatus(c.object).status === 'Current', cond(c.object, 'Ready')!.status === 'True', c.name);
  }
});

test('a Vizier being deleted is Terminating; a spec change not yet observed is InProgress, naming both generations', () => {
  const healthy = vizierCases().find((c) => c.name === 'healthy')!.object;
  assert.deepEqual(computeKstatus({ ...healthy, metadata: { ...healthy.metadata, deletionTimestamp: '2026-11-22T10:01:00Z' } }), { status: 'Terminating', message: 'Resource scheduled for deletion' });
  assert.deepEqual(computeKstatus({ ...healthy, metadata: { ...healthy.metadata, generation: 3 } }), { status: 'InProgress', message: 'Vizier generation is 3, but latest observed generation is 1' });
});
