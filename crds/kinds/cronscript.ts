import { Type, Obj, LocalRef, ObjectName, StringMap, Duration, Rules, statusBase, type Static } from '../schema.js';
import type { KindDefinition, CustomResource } from '../definition.js';

export const CronScriptSpec = Obj(
  {
    vizierRef: LocalRef('The Vizier the script runs against.'),
    script: Type.Optional(Type.String({ minLength: 1, description: 'PxL source, inline. Exactly one of script and scriptRef.' })),
    scriptRef: Type.Optional(
      Obj(
        { name: ObjectName('ConfigMap name.'), key: Type.String({ minLength: 1, description: 'Key holding the PxL source.' }) },
        { description: 'A ConfigMap key holding the PxL source; exactly one of script and scriptRef.' },
      ),
    ),
    schedule: Type.Optional(Type.String({ pattern: '^(@(hourly|daily|weekly|monthly|yearly)|(\\S+\\s+){4}\\S+)$', description: 'Cron expression (5 fields) or @hourly/@daily/...; exactly one of schedule and frequency.' })),
    frequency: Type.Optional(Duration({ description: 'Run every this long (e.g. 30s, 5m); exactly one of schedule and frequency.' })),
    args: Type.Optional(StringMap('Arguments passed to the script\'s entry point.')),
    exports: Type.Optional(Type.Array(LocalRef('A Plugin to export results to.'), { description: 'Export destinations.' })),
    suspend: Type.Boolean({ default: false, description: 'Skip runs until false again.' }),
    timeout: Duration({ default: '30s', description: 'Maximum duration of one run.' }),
    historyLimit: Type.Integer({ default: 10, minimum: 0, maximum: 100, description: 'Runs kept in status.history.' }),
  },
  {
    description: 'A PxL script on a schedule.',
    ...Rules(
      {
        rule: 'has(self.script) || has(self.scriptRef)',
        message: 'set script (the PxL inline) or scriptRef (a ConfigMap key holding it)',
        fieldPath: '.script',
        reason: 'FieldValueRequired',
      },
      {
        rule: '!has(self.script) || !has(self.scriptRef)',
        message: 'script and scriptRef are both set: keep one, script for the PxL inline or scriptRef for a ConfigMap key',
        fieldPath: '.scriptRef',
        reason: 'FieldValueForbidden',
      },
      {
        rule: 'has(self.schedule) || has(self.frequency)',
        message: 'set schedule (a cron expression such as */5 * * * *) or frequency (a duration such as 5m)',
        fieldPath: '.schedule',
        reason: 'FieldValueRequired',
      },
      {
        rule: '!has(self.schedule) || !has(self.frequency)',
        message: 'schedule and frequency are both set: keep one, schedule for cron times or frequency for a fixed interval',
        fieldPath: '.frequency',
        reason: 'FieldValueForbidden',
      },
    ),
  },
);

const Run = Obj(
  {
    startTime: Type.String({ format: 'date-time', description: 'When the run started.' }),
    durationMs: Type.Integer({ minimum: 0, description: 'How long it took.' }),
    succeeded: Type.Boolean({ description: 'Whether it succeeded.' }),
    rows: Type.Optional(Type.Integer({ minimum: 0, description: 'Rows exported.' })),
    error: Type.Optional(Type.String({ description: 'Error, when it failed.' })),
  },
  { description: 'One run.' },
);

export const CronScriptStatus = statusBase(['Pending', 'Active', 'Suspended', 'Invalid'] as const, {
  lastRunTime: Type.Optional(Type.String({ format: 'date-time', description: 'Last run start.' })),
  lastSuccessTime: Type.Optional(Type.String({ format: 'date-time', description: 'Last successful run start.' })),
  lastError: Type.Optional(Type.String({ description: 'Error of the last failed run.' })),
  history: Type.Optional(Type.Array(Run, { description: 'Recent runs, newest first.' })),
});
export type CronScript = CustomResource<Static<typeof CronScriptSpec>, Static<typeof CronScriptStatus>>;

export const CronScriptDefinition: KindDefinition = {
  kind: 'CronScript',
  plural: 'cronscripts',
  singular: 'cronscript',
  shortNames: ['cs'],
  description: 'A CronScript runs a PxL script against a Vizier on a schedule and exports its results.',
  spec: CronScriptSpec,
  status: CronScriptStatus,
  selectableFields: ['.spec.vizierRef.name'],
  printerColumns: [
    { name: 'Vizier', type: 'string', jsonPath: '.spec.vizierRef.name' },
    { name: 'Schedule', type: 'string', jsonPath: '.spec.schedule' },
    { name: 'Frequency', type: 'string', jsonPath: '.spec.frequency' },
    { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
    { name: 'Last Run', type: 'date', jsonPath: '.status.lastRunTime' },
  ],
};
