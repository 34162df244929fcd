// The Vizier kind as the controller sees it: its REST type and its spec with defaults applied.
import { VizierDefinition, type Vizier, type VizierSpec } from '../../crds/kinds/vizier.js';
import { applyDefaults, crdSchema } from '../../crds/definition.js';
import { loupeType } from '../common/resources.js';

export const VIZIER = loupeType('Vizier');
const SPEC_SCHEMA = crdSchema(VizierDefinition.spec);

export function withDefaults(vz: Vizier): Vizier {
  return { ...vz, spec: applyDefaults(SPEC_SCHEMA, vz.spec ?? {}) as VizierSpec };
}
