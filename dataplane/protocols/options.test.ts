import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_TRACKER_OPTIONS, ProtocolOptionsError, resolveTrackerOptions } from './options.js';

describe('resolveTrackerOptions', () => {
  it('fills defaults and keeps what was given', () => {
    assert.deepEqual(resolveTrackerOptions({ dataAccess: 'PIIRestricted', bodyLimitBytes: 0 }), {
      ...DEFAULT_TRACKER_OPTIONS,
      dataAccess: 'PIIRestricted',
      bodyLimitBytes: 0,
    });
  });

  const invalid: Array<[string, unknown, string, RegExp]> = [
    ['not an object', 'Full', '(root)', /expected an object, got "Full"/],
    ['an array', [], '(root)', /got an array/],
    ['an unknown option', { bodyLimit: 10 }, 'bodyLimit', /unknown option; known options: bodyLimitBytes/],
    ['a negative limit', { bodyLimitBytes: -1 }, 'bodyLimitBytes', /expected an integer >= 0, got number -1/],
    ['a fractional limit', { bodyLimitBytes: 1.5 }, 'bodyLimitBytes', /integer/],
    ['a tiny buffer', { maxBufferBytes: 10 }, 'maxBufferBytes', /expected an integer >= 1024/],
    ['an unknown data-access mode', { dataAccess: 'full' }, 'dataAccess', /unknown mode "full"; use one of Full, Restricted, PIIRestricted/],
  ];
  for (const [name, input, field, message] of invalid) {
    it(`rejects ${name}, naming the field`, () => {
      assert.throws(
        () => resolveTrackerOptions(input),
        (error: unknown) => error instanceof ProtocolOptionsError && error.field === field && message.test(error.message),
      );
    });
  }
});
