// The Vizier kind as the controller sees it: its REST type and its spec with defaults applied.
import { VizierDefinition, type Vizier, type VizierSpec } from '../../crds/kinds/vizier.js';
import { applyDefaults, crdSchema } from '../../crds/definition.js';
import { ruleViolations } from '../../crds/rules.js';
import { loupeType } from '../common/resources.js';

export const VIZIER = loupeType('Vizier');
const SPEC_SCHEMA = crdSchema(VizierDefinition.spec);

export function withDefaults(vz: Vizier): Vizier {
  return { ...vz, spec: applyDefaults(SPEC_SCHEMA, vz.spec ?? {}) as VizierSpec };
}

/**
 * What the CRD's validation rules refuse in a defaulted spec, worded as the API server words
 * it; undefined when nothing. A current server refuses such a spec at once, but one stored
 * before its rule existed stays (validation ratcheting), and the operator must not act on it.
 */
export function brokenRules(vz: Vizier): string | undefined {
  const broken = ruleViolations(SPEC_SCHEMA, vz.spec);
  return broken.length > 0 ? broken.map((v) => v.text).join('; ') : undefined;
}
