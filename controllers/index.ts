// Every reconciler `loupe operator` runs, one per kind as they land. The operator runtime
// (operator/) knows none of them: bin/commands.ts hands this list to it, so operator/ never
// imports controllers/ and controllers/ may import the runtime.
import { DEFAULT_REGISTRY } from '../crds/kinds/vizier.js';
import type { Controller, ControllerSettings } from '../operator/runtime/types.js';
import { vizierController } from './vizier/reconciler.js';

export function operatorControllers(settings: ControllerSettings = { registry: DEFAULT_REGISTRY }): Controller[] {
  return [vizierController(settings)];
}
