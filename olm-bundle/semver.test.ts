import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareSemVer, inRange, parseSemVer, parseSemVerRange, type SemVerRange } from './semver.js';

const v = (s: string) => parseSemVer(s)!;

test('strict semantic versions parse; a leading v, leading zeros or missing parts do not', () => {
  assert.deepEqual(parseSemVer('1.32.0'), { major: 1, minor: 32, patch: 0, pre: [] });
  assert.deepEqual(parseSemVer('0.1.0-rc.1+build.5'), { major: 0, minor: 1, patch: 0, pre: ['rc', '1'] });
  for (const bad of ['v1.0.0', '1.32', '01.0.0', '1.0.0-', '1.0.0-01', '']) assert.equal(parseSemVer(bad), undefined, bad);
});

test('precedence follows semver.org: numbers numerically, a pre-release below its release, numeric identifiers below alphanumeric', () => {
  const ordered = ['0.9.0', '0.10.0', '1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-alpha.beta', '1.0.0-beta.2', '1.0.0-beta.11', '1.0.0-rc.1', '1.0.0'];
  for (let i = 1; i < ordered.length; i++) assert.ok(compareSemVer(v(ordered[i - 1]!), v(ordered[i]!)) < 0, `${ordered[i - 1]} < ${ordered[i]}`);
  assert.equal(compareSemVer(v('1.0.0+a'), v('1.0.0+b')), 0, 'build metadata does not count');
});

test('ranges: comparators joined by spaces all hold, || gives alternatives', () => {
  const range = parseSemVerRange('>=0.1.0 <0.3.0 || =1.0.0') as SemVerRange;
  assert.ok(Array.isArray(range));
  assert.deepEqual(['0.0.9', '0.1.0', '0.2.5', '0.3.0', '1.0.0'].map((s) => inRange(range, v(s))), [false, true, true, false, true]);
  assert.ok(inRange(parseSemVerRange('!=0.2.0') as SemVerRange, v('0.1.0')));
  assert.equal(parseSemVerRange('>=0.1 <0.3.0'), '">=0.1" in ">=0.1 <0.3.0" is not an operator (>, >=, <, <=, =, !=) followed by a semantic version');
  assert.equal(parseSemVerRange('>=0.1.0 ||'), '">=0.1.0 ||" has an empty alternative');
});
