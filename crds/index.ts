// Every Loupe kind, in one list: the generator, the operator and the tests iterate it.
import type { KindDefinition } from './definition.js';
import { VizierDefinition } from './kinds/vizier.js';
import { ProfileAgentDefinition } from './kinds/profileagent.js';
import { CronScriptDefinition } from './kinds/cronscript.js';
import { PluginDefinition } from './kinds/plugin.js';
import { SymbolizationJobDefinition } from './kinds/symbolizationjob.js';
import { CloudDefinition } from './kinds/cloud.js';

export * from './definition.js';
export const ALL_KINDS: readonly KindDefinition[] = [
  VizierDefinition,
  ProfileAgentDefinition,
  CronScriptDefinition,
  PluginDefinition,
  SymbolizationJobDefinition,
  CloudDefinition,
];
