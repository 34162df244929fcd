// The Vizier kind as the controller sees it: its REST type and its spec with defaults applied.
import { DEFAULT_REGISTRY, VizierDefinition, type Vizier, type VizierSpec } from '../../crds/kinds/vizier.js';
import { applyDefaults, crdSchema } from '../../crds/definition.js';
import { ruleViolations } from '../../crds/rules.js';
import { loupeType } from '../common/resources.js';

export const VIZIER = loupeType('Vizier');
const SPEC_SCHEMA = crdSchema(VizierDefinition.spec);

/** A Vizier whose spec has every default, the registry included. */
export type DefaultedVizier = Vizier & { spec: VizierSpec & { registry: string } };

/**
 * The schema's defaults, and the registry: the Vizier's own, else `registry` (the operator's
 * --registry, which its install sets so that a mirror serves every image).
 */
export function withDefaults(vz: Vizier, registry: string = DEFAULT_REGISTRY): DefaultedVizier {
  const spec = applyDefaults(SPEC_SCHEMA, vz.spec ?? {}) as VizierSpec;
  return { ...vz, spec: { ...spec, registry: spec.registry ?? registry } };
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
