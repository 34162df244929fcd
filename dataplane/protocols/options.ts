// Socket-tracer parsing options: defaults and validation of whatever the configuration supplied.
import { DATA_ACCESS_MODES, type DataAccessMode } from '../../crds/contract/values.js';
import type { CaptureOptions } from './types.js';

export interface TrackerOptions extends CaptureOptions {
  /** Unparsed bytes kept per direction; an HTTP head longer than this is dropped as garbage. */
  readonly maxBufferBytes: number;
  /** Bytes of a connection that no parser recognised, after which the tracker stops looking. */
  readonly maxUndetectedBytes: number;
}

export const DEFAULT_TRACKER_OPTIONS: TrackerOptions = {
  bodyLimitBytes: 1024,
  dataAccess: 'Full',
  maxBufferBytes: 64 * 1024,
  maxUndetectedBytes: 1024 * 1024,
};

export class ProtocolOptionsError extends Error {
  override readonly name = 'ProtocolOptionsError';

  constructor(
    readonly field: string,
    message: string,
    readonly hint: string,
  ) {
    super(`socket tracer option ${field}: ${message}; ${hint}`);
  }
}

/** Defaults for what is missing; throws ProtocolOptionsError naming the first bad field. */
export function resolveTrackerOptions(input: unknown = {}): TrackerOptions {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new ProtocolOptionsError('(root)', `expected an object, got ${describe(input)}`, 'pass an object of options');
  }
  const fields = input as Record<string, unknown>;
  const known = new Set(Object.keys(DEFAULT_TRACKER_OPTIONS));
  const unknownField = Object.keys(fields).find((key) => !known.has(key));
  if (unknownField !== undefined) {
    throw new ProtocolOptionsError(unknownField, 'unknown option', `known options: ${[...known].join(', ')}`);
  }
  return {
    bodyLimitBytes: integerField(fields, 'bodyLimitBytes', 0),
    dataAccess: dataAccessField(fields),
    maxBufferBytes: integerField(fields, 'maxBufferBytes', 1024),
    maxUndetectedBytes: integerField(fields, 'maxUndetectedBytes', 0),
  };
}

function integerField(fields: Record<string, unknown>, field: keyof TrackerOptions & string, minimum: number): number {
  const value = fields[field];
  if (value === undefined) return DEFAULT_TRACKER_OPTIONS[field] as number;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < minimum) {
    throw new ProtocolOptionsError(field, `expected an integer >= ${minimum}, got ${describe(value)}`, `e.g. ${DEFAULT_TRACKER_OPTIONS[field]}`);
  }
  return value;
}

function dataAccessField(fields: Record<string, unknown>): DataAccessMode {
  const value = fields['dataAccess'];
  if (value === undefined) return DEFAULT_TRACKER_OPTIONS.dataAccess;
  const mode = DATA_ACCESS_MODES.find((candidate) => candidate === value);
  if (mode === undefined) {
    throw new ProtocolOptionsError('dataAccess', `unknown mode ${describe(value)}`, `use one of ${DATA_ACCESS_MODES.join(', ')}`);
  }
  return mode;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return typeof value === 'string' ? JSON.stringify(value) : `${typeof value} ${String(value)}`;
}
