import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bodyCaptureBytes, decodeUtf8Prefix, renderBody, BodyCapture, REDACTED_VALUE, TRUNCATION_MARKER } from './body.js';
import { REDACTED, redactPii } from './pii-redaction.js';

describe('redactPii', () => {
  const cases: Array<[string, string, string]> = [
    ['an e-mail address', 'mail jane.doe+news@mail.example.co.uk now', `mail ${REDACTED.email} now`],
    ['a URL-encoded e-mail address', '/users?email=jane%40example.org&x=1', `/users?email=${REDACTED.email}&x=1`],
    ['a MAC address', 'hw 00:1a:2B:3c:4d:5e, 00-1A-2B-3C-4D-5F.', `hw ${REDACTED.mac}, ${REDACTED.mac}.`],
    ['an IMEI number', 'imei 35-209900-176148-1 sv 35-209900-176148-23', `imei ${REDACTED.imei} sv ${REDACTED.imei}`],
    ['an IMEI-shaped number that fails Luhn', 'id 35-209900-176148-2', 'id 35-209900-176148-2'],
    ['a card number in groups', 'card 4111-1111-1111-1111.', `card ${REDACTED.cardNumber}.`],
    ['a card number in one run', '{"pan":"5500005555555559"}', `{"pan":"${REDACTED.cardNumber}"}`],
    ['a digit run that fails Luhn', 'order 1234567890123456', 'order 1234567890123456'],
    ['an IPv4 address', 'from 10.1.2.3:443', `from ${REDACTED.ipv4}:443`],
    ['a dotted version that is not an address', 'version 1.2.3.400', 'version 1.2.3.400'],
    ['an IPv6 address', 'peer fe80::1ff:fe23:4567:890a up', `peer ${REDACTED.ipv6} up`],
    ['an IPv6 address ending in IPv4', 'from ::ffff:10.1.2.3 and [::1]:8080', `from ${REDACTED.ipv6} and [${REDACTED.ipv6}]:8080`],
    ['addresses inside header JSON', '{"Host":"10.0.0.7:8080","From":"a@b.io"}', `{"Host":"${REDACTED.ipv4}:8080","From":"${REDACTED.email}"}`],
    ['a user agent with versions', 'Chrome/120.0.6099.129 curl/7.88.1', 'Chrome/120.0.6099.129 curl/7.88.1'],
    ['a clock time', 'at 12:30:45 today', 'at 12:30:45 today'],
    ['a C++ scope', 'std::string', 'std::string'],
    ['text without PII', 'plain text 42', 'plain text 42'],
  ];
  for (const [name, input, expected] of cases) {
    it(`redacts ${name}`, () => {
      assert.equal(redactPii(input), expected);
    });
  }
});

describe('renderBody', () => {
  const capture = (text: string, limit: number) => {
    const body = new BodyCapture(limit);
    body.add(Buffer.from(text));
    return body.finish();
  };

  it('shows bodies in Full mode only', () => {
    const body = capture('to bob@example.com', 1024);
    assert.equal(renderBody(body, { dataAccess: 'Full', bodyLimitBytes: 1024 }), 'to bob@example.com');
    assert.equal(renderBody(body, { dataAccess: 'Restricted', bodyLimitBytes: 1024 }), REDACTED_VALUE);
    assert.equal(renderBody(body, { dataAccess: 'PIIRestricted', bodyLimitBytes: 1024 }), REDACTED_VALUE);
    assert.equal(renderBody(capture('', 1024), { dataAccess: 'Restricted', bodyLimitBytes: 1024 }), '');
  });

  it('captures no body bytes outside Full mode', () => {
    assert.equal(bodyCaptureBytes({ dataAccess: 'Full', bodyLimitBytes: 1024 }), 1024);
    assert.equal(bodyCaptureBytes({ dataAccess: 'Restricted', bodyLimitBytes: 1024 }), 0);
    assert.equal(bodyCaptureBytes({ dataAccess: 'PIIRestricted', bodyLimitBytes: 1024 }), 0);
  });

  it('keeps the full size when the capture stops at its limit', () => {
    const body = capture('0123456789', 4);
    assert.equal(body.size, 10);
    assert.equal(body.prefix.toString(), '0123');
    assert.equal(renderBody(body, { dataAccess: 'Full', bodyLimitBytes: 4 }), `0123${TRUNCATION_MARKER}`);
  });

  it('never ends a truncated body with half a character', () => {
    const bytes = Buffer.from('ab€😀');
    assert.deepEqual(
      [2, 3, 4, 5, 6, 7, 8, 9].map((max) => decodeUtf8Prefix(bytes, max)),
      ['ab', 'ab', 'ab', 'ab€', 'ab€', 'ab€', 'ab€', 'ab€😀'],
    );
  });
});
