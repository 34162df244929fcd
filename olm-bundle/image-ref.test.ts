import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseImageRef } from './image-ref.js';

test('references with a registry, port, path, tag and digest parse into their parts', () => {
  assert.deepEqual(parseImageRef('ghcr.io/loupe-dev/loupe:0.1.0'), { registry: 'ghcr.io', repository: 'loupe-dev/loupe', tag: '0.1.0' });
  assert.deepEqual(parseImageRef(`registry.local:5000/mirror/nats@sha256:${'0'.repeat(64)}`), { registry: 'registry.local:5000', repository: 'mirror/nats', digest: `sha256:${'0'.repeat(64)}` });
  assert.deepEqual(parseImageRef('nats:2.9.25-alpine'), { repository: 'nats', tag: '2.9.25-alpine' });
  assert.deepEqual(parseImageRef('localhost/loupe'), { registry: 'localhost', repository: 'loupe' });
  assert.deepEqual(parseImageRef('library/my_repo__x/a-b.c:v1'), { repository: 'library/my_repo__x/a-b.c', tag: 'v1' });
});

test('each malformed reference is refused with what is wrong', () => {
  const cases: [string, RegExp][] = [
    ['', /is empty/],
    ['ghcr.io/loupe dev/loupe:1', /white space/],
    ['ghcr.io/Loupe/loupe:1', /path component "Loupe" must be lower-case/],
    ['ghcr.io/loupe-dev/loupe:-1', /tag "-1" is not/],
    ['ghcr.io/loupe-dev/loupe@sha256:abc', /digest "sha256:abc" is not ALGORITHM:HEX/],
    ['bad_host.io:x/loupe:1', /registry "bad_host.io:x" is not a host name/],
    ['f'.repeat(64), /looks like an image ID/],
    [`ghcr.io/${'a'.repeat(260)}:1`, /longer than 255 characters/],
    ['ghcr.io/loupe-dev//loupe:1', /path component "" must be/],
  ];
  for (const [ref, says] of cases) {
    const got = parseImageRef(ref);
    assert.ok(typeof got === 'string' && says.test(got), `${JSON.stringify(ref)}: ${JSON.stringify(got)}`);
  }
});
