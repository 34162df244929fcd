import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadCronScripts, ManifestError } from './cron-manifests.js';

function dir(files: Record<string, string>): string {
  const d = mkdtempSync(join(tmpdir(), 'loupe-cron-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(d, name), text);
  return d;
}

const cron = (name: string, spec: string) => `apiVersion: loupe.dev/v1alpha1
kind: CronScript
metadata:
  name: ${name}
  namespace: obs
spec:
  vizierRef: { name: vizier }
${spec}`;

test('inline and ConfigMap scripts load with defaults, schedules and frequencies', () => {
  const d = dir({
    'a.yaml': `${cron('every-minute', '  frequency: 1m30s\n  args: { svc: cart }\n  script: |\n    import px\n    px.display(px.DataFrame(table="http_events"))\n')}\n---\n${cron('nightly', '  schedule: "0 3 * * *"\n  scriptRef: { name: scripts, key: stats.pxl }\n')}`,
    'b.yml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: scripts, namespace: obs }\ndata:\n  stats.pxl: "import px\\n"\n',
    'notes.txt': 'ignored',
  });
  try {
    const scripts = loadCronScripts(d);
    assert.deepEqual(
      scripts.map((s) => [s.id, s.everyMs, s.cron, s.timeoutMs, s.suspend, s.args]),
      [
        ['obs/every-minute', 90_000, undefined, 30_000, false, { svc: 'cart' }],
        ['obs/nightly', undefined, '0 3 * * *', 30_000, false, {}],
      ],
    );
    assert.match(scripts[0]!.script, /px\.display/);
    assert.equal(scripts[1]!.script, 'import px\n');
  } finally {
    rmSync(d, { recursive: true });
  }
});

test('bad manifests are refused with the file, the object and the field', () => {
  const cases: Array<[string, RegExp]> = [
    [cron('x', '  frequency: 5m\n'), /CronScript obs\/x: spec\.script: Required value: set script \(the PxL inline\) or scriptRef \(a ConfigMap key holding it\)$/],
    [cron('x', '  frequency: 5m\n  script: "import px"\n  scriptRef: { name: scripts, key: k }\n'), /CronScript obs\/x: spec\.scriptRef: Forbidden: script and scriptRef are both set: keep one/],
    [cron('x', '  script: "import px"\n'), /CronScript obs\/x: spec\.schedule: Required value: set schedule \(a cron expression such as \*\/5 \* \* \* \*\) or frequency/],
    [cron('x', '  script: "import px"\n  schedule: "@daily"\n  frequency: 5m\n'), /CronScript obs\/x: spec\.frequency: Forbidden: schedule and frequency are both set/],
    [cron('x', '  suspend: true\n'), /CronScript obs\/x: spec\.script: Required value: .*; spec\.schedule: Required value: /],
    [cron('x', '  script: "import px"\n  frequency: 5 minutes\n'), /spec\.frequency must match pattern .*\(got "5 minutes"\)/],
    [cron('x', '  script: "import px"\n  schedule: "99 * * * *"\n'), /spec.schedule "99 \* \* \* \*" is not a valid cron expression/],
    [cron('x', '  script: "import px"\n  frequency: 1m\n  historyLimit: 1000\n'), /spec\.historyLimit must be <= 100 \(got 1000\)/],
    [cron('x', '  frequency: 1m\n  scriptRef: { name: missing, key: k }\n'), /ConfigMap obs\/missing, which is not in/],
    [cron('x', '  script: "import px"\n  frequency: 1m\n').replace('loupe.dev/v1alpha1', 'loupe.dev/v9'), /apiVersion must be loupe.dev\/v1alpha1/],
    ['kind: CronScript\n  bad: [', /not valid YAML/],
  ];
  for (const [text, message] of cases) {
    const d = dir({ 'c.yaml': text });
    try {
      assert.throws(() => loadCronScripts(d), (e: unknown) => e instanceof ManifestError && message.test(e.message) && e.message.includes(join(d, 'c.yaml')), `expected ${message}`);
    } finally {
      rmSync(d, { recursive: true });
    }
  }
  assert.throws(() => loadCronScripts('/nonexistent-loupe-dir'), /cannot read the directory \(ENOENT\)/);
});
