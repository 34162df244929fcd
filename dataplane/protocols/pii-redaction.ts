// Redacts the PII that is obvious from its shape: e-mail addresses, payment card numbers (Luhn
// checked, so most other long digit runs survive) and IPv4/IPv6 addresses.
import { isIPv4, isIPv6 } from 'node:net';

export const REDACTED = {
  email: '<REDACTED_EMAIL>',
  cardNumber: '<REDACTED_CC_NUMBER>',
  ipv4: '<REDACTED_IPV4>',
  ipv6: '<REDACTED_IPV6>',
} as const;

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g;
// 13 to 19 digits, optionally grouped by single spaces or dashes.
const CARD_CANDIDATE = /(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])/g;
const IPV4_CANDIDATE = /(?<![\d.])\d{1,3}(?:\.\d{1,3}){3}(?![\d.])/g;
const IPV6_CANDIDATE = /(?<![0-9A-Za-z:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![0-9A-Za-z:])/g;

export function redactPii(text: string): string {
  return text
    .replace(EMAIL, REDACTED.email)
    .replace(CARD_CANDIDATE, (match) => (passesLuhn(match.replace(/[ -]/g, '')) ? REDACTED.cardNumber : match))
    .replace(IPV4_CANDIDATE, (match) => (isIPv4(match) ? REDACTED.ipv4 : match))
    .replace(IPV6_CANDIDATE, (match) => (/[0-9A-Fa-f]/.test(match) && isIPv6(match) ? REDACTED.ipv6 : match));
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
