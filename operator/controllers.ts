// The controllers `loupe operator` runs. The operator's RBAC is generated from this list
// (operator/generate-rbac.ts), so a controller added here gets its permissions there.
import type { Controller } from './runtime/types.js';
import { vizierController } from '../controllers/vizier/reconciler.js';

export function operatorControllers(): Controller[] {
  return [vizierController()];
}
