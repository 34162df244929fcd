import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseFlags, UsageError } from './cli.js';

const options = { listen: { type: 'string' }, verbose: { type: 'boolean' } } as const;

describe('parseFlags', () => {
  it('returns what parseArgs returns', () => {
    assert.deepEqual({ ...parseFlags({ args: ['--listen', '127.0.0.1:0', '--verbose'], options, strict: true }).values }, { listen: '127.0.0.1:0', verbose: true });
  });

  it('turns an unknown flag, a missing value and a stray argument into one-line UsageErrors naming the flag', () => {
    const cases: [string[], string | undefined, RegExp][] = [
      [['--bogus'], '--bogus', /^Unknown option '--bogus'/],
      [['--listen'], '--listen', /^Option '--listen <value>' argument missing$/],
      [['extra'], undefined, /^Unexpected argument 'extra'/],
    ];
    for (const [args, flag, message] of cases) {
      assert.throws(() => parseFlags({ args, options, strict: true }), (err: unknown) => {
        assert.ok(err instanceof UsageError, String(err));
        assert.equal(err.flag, flag, args.join(' '));
        assert.match(err.message, message);
        assert.doesNotMatch(err.message, /\n/);
        return true;
      });
    }
  });
});
