// Redacts the personal data that is obvious from its shape, the kinds Pixie's PIIRestricted mode
// redacts (its px.redact_pii_best_effort): e-mail addresses (also with a URL-encoded @), IPv4 and
// IPv6 addresses, MAC addresses, IMEI/IMEISV numbers and payment card numbers. Card and IMEI
// numbers must pass the Luhn check, and addresses must be valid ones, so most other digit runs,
// versions and clock times survive. Best effort: it is not a guarantee of privacy.
import { isIPv4, isIPv6 } from 'node:net';

export const REDACTED = {
  email: '<REDACTED_EMAIL>',
  cardNumber: '<REDACTED_CC_NUMBER>',
  imei: '<REDACTED_IMEI>',
  mac: '<REDACTED_MAC_ADDR>',
  ipv4: '<REDACTED_IPV4>',
  ipv6: '<REDACTED_IPV6>',
} as const;

const EMAIL = /[A-Za-z0-9._%+-]+(?:@|%40)[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g;
// Six octets with one delimiter throughout: 00:1a:2b:3c:4d:5e or 00-1A-2B-3C-4D-5E.
const MAC = /(?<![0-9A-Fa-f:-])[0-9A-Fa-f]{2}([:-])(?:[0-9A-Fa-f]{2}\1){4}[0-9A-Fa-f]{2}(?![0-9A-Fa-f:-])/g;
// NN-NNNNNN-NNNNNN-N (IMEI, Luhn-checked) or NN-NNNNNN-NNNNNN-NN (IMEISV).
const IMEI = /(?<![\d-])\d{2}-\d{6}-\d{6}-\d{1,2}(?![\d-])/g;
// 13 to 19 digits, optionally grouped by single spaces or dashes.
const CARD_CANDIDATE = /(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])/g;
// Hex groups and colons, possibly ending in a dotted IPv4 address (::ffff:10.0.0.1).
const IPV6_CANDIDATE = /(?<![0-9A-Za-z:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f]{0,4})(?![0-9A-Za-z:.])/g;
const IPV4_CANDIDATE = /(?<![\d.])\d{1,3}(?:\.\d{1,3}){3}(?![\d.])/g;

export function redactPii(text: string): string {
  return text
    .replace(EMAIL, REDACTED.email)
    .replace(MAC, REDACTED.mac)
    .replace(IMEI, (match) => (match.length === 18 && !passesLuhn(match.replace(/-/g, '')) ? match : REDACTED.imei))
    .replace(CARD_CANDIDATE, (match) => (passesLuhn(match.replace(/[ -]/g, '')) ? REDACTED.cardNumber : match))
    .replace(IPV6_CANDIDATE, (match) => (/[0-9A-Fa-f]/.test(match) && isIPv6(match) ? REDACTED.ipv6 : match))
    .replace(IPV4_CANDIDATE, (match) => (isIPv4(match) ? REDACTED.ipv4 : match));
}

function passesLuhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let digit = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}
