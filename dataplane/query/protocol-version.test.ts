import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FIRST_PROTOCOL_VERSION, negotiate, ProtocolVersionError, speaks, supportedVersions } from './protocol-version.js';

const N = FIRST_PROTOCOL_VERSION + 1;
const build = { version: N };

describe('protocol versions', () => {
  it('a build speaks its own version and the one before, never one before the first', () => {
    assert.deepEqual([N - 2, N - 1, N, N + 1].map((v) => speaks(build, v)), [false, true, true, false]);
    assert.equal(speaks({ version: FIRST_PROTOCOL_VERSION }, FIRST_PROTOCOL_VERSION - 1), false);
    assert.equal(speaks(build, undefined), false);
    assert.equal(speaks(build, String(N)), false);
    assert.equal(supportedVersions(build), `protocol versions ${N - 1} and ${N}`);
    assert.equal(supportedVersions({ version: FIRST_PROTOCOL_VERSION }), `protocol version ${FIRST_PROTOCOL_VERSION}`);
  });

  it('a query runs at the oldest participant\'s version when every participant speaks it', () => {
    assert.equal(negotiate(build, [], 'this broker'), N);
    assert.equal(negotiate(build, [{ name: 'PEM a', version: N }, { name: 'Kelvin k', version: N - 1 }], 'this broker'), N - 1);
    // A client one version ahead still reads what this build writes.
    assert.equal(negotiate(build, [{ name: 'the client', version: N + 1 }], 'this broker'), N);
  });

  it('refuses, naming the participant, its version and what this build supports', () => {
    assert.throws(
      () => negotiate(build, [{ name: 'PEM a', version: N }, { name: 'PEM old', version: N - 2 }], 'this query broker'),
      (e: unknown) => e instanceof ProtocolVersionError && e.peer === 'PEM old' && e.message === `PEM old speaks protocol version ${N - 2}; this query broker supports protocol versions ${N - 1} and ${N}`,
    );
    // Each alone is fine, together the newer one cannot come down to the older one's version.
    assert.throws(
      () => negotiate(build, [{ name: 'the client', version: N + 1 }, { name: 'Kelvin k', version: N - 1 }], 'this query broker'),
      (e: unknown) => e instanceof ProtocolVersionError && e.peer === 'the client' && e.message.endsWith(`cannot take part in a query at protocol version ${N - 1}, which the oldest participant needs`),
    );
  });
});
