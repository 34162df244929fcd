// Every reconciler `loupe operator` runs, one per kind as they land. The operator runtime
// (operator/) knows none of them: bin/commands.ts hands this list to it, so operator/ never
// imports controllers/ and controllers/ may import the runtime.
import type { Controller } from '../operator/runtime/types.js';
import { vizierController } from './vizier/reconciler.js';

export function operatorControllers(): Controller[] {
  return [vizierController()];
}
