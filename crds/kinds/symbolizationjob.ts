import { Type, Enum, Obj, LocalRef, Duration, Rules, statusBase, type Static } from '../schema.js';
import type { KindDefinition, CustomResource } from '../definition.js';

export const SymbolizationJobSpec = Obj(
  {
    profileAgentRef: LocalRef('The ProfileAgent whose storage holds the profiles.'),
    selector: Type.String({
      minLength: 2,
      pattern: '^\\{.*\\}$',
      description: 'Perforator-style selector, e.g. {service="checkout", node=~"gke-.*"}.',
    }),
    from: Type.Optional(Type.String({ format: 'date-time', description: 'Start of the time range (with to, earlier than to); or use last.' })),
    to: Type.Optional(Type.String({ format: 'date-time', description: 'End of the time range (with from).' })),
    last: Type.Optional(Duration({ description: 'Time range ending now, e.g. 1h; exactly one of last and from/to.' })),
    maxProfiles: Type.Integer({ default: 1000, minimum: 1, maximum: 100000, description: 'Merge at most this many atomic profiles.' }),
    format: Enum(['flamegraph-json', 'pprof', 'folded', 'svg'] as const, { default: 'flamegraph-json', description: 'Result format.' }),
    ttlSecondsAfterFinished: Type.Optional(Type.Integer({ minimum: 0, description: 'Delete the job (and its result) this long after it finished.' })),
  },
  {
    description: 'One merged, symbolized profile for a selector and a time range.',
    ...Rules(
      {
        rule: '!has(self.from) || has(self.to)',
        message: 'from is set, so set to as well (the end of the range), or use last instead of both',
        fieldPath: '.to',
        reason: 'FieldValueRequired',
      },
      {
        rule: '!has(self.to) || has(self.from)',
        message: 'to is set, so set from as well (the start of the range), or use last instead of both',
        fieldPath: '.from',
        reason: 'FieldValueRequired',
      },
      {
        rule: '!has(self.from) || !has(self.to) || self.from < self.to',
        message: 'to must be later than from; swap them if they are the wrong way round',
        fieldPath: '.to',
      },
      {
        rule: 'has(self.from) || has(self.to) || has(self.last)',
        message: 'set last (a range ending now, e.g. 1h) or from and to (a fixed range)',
        fieldPath: '.last',
        reason: 'FieldValueRequired',
      },
      {
        rule: '!has(self.last) || (!has(self.from) && !has(self.to))',
        message: 'last and from/to are both set: keep last for a range ending now, or from and to for a fixed range',
        fieldPath: '.last',
        reason: 'FieldValueForbidden',
      },
    ),
  },
);

export const SymbolizationJobStatus = statusBase(['Pending', 'Running', 'Succeeded', 'Failed'] as const, {
  profilesMerged: Type.Optional(Type.Integer({ minimum: 0, description: 'Atomic profiles merged.' })),
  samples: Type.Optional(Type.Integer({ minimum: 0, description: 'Samples in the result.' })),
  unsymbolizedFrames: Type.Optional(Type.Integer({ minimum: 0, description: 'Frames that could not be symbolized.' })),
  resultLocation: Type.Optional(Type.String({ description: 'Where the result is stored (s3://bucket/key).' })),
  startTime: Type.Optional(Type.String({ format: 'date-time', description: 'When the job started.' })),
  completionTime: Type.Optional(Type.String({ format: 'date-time', description: 'When the job finished.' })),
});
export type SymbolizationJob = CustomResource<Static<typeof SymbolizationJobSpec>, Static<typeof SymbolizationJobStatus>>;

export const SymbolizationJobDefinition: KindDefinition = {
  kind: 'SymbolizationJob',
  plural: 'symbolizationjobs',
  singular: 'symbolizationjob',
  shortNames: ['symjob'],
  description: 'A SymbolizationJob merges and symbolizes the profiles matching a selector and stores the result.',
  spec: SymbolizationJobSpec,
  status: SymbolizationJobStatus,
  selectableFields: ['.spec.profileAgentRef.name'],
  printerColumns: [
    { name: 'Selector', type: 'string', jsonPath: '.spec.selector' },
    { name: 'Format', type: 'string', jsonPath: '.spec.format' },
    { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
    { name: 'Profiles', type: 'integer', jsonPath: '.status.profilesMerged' },
  ],
};
