// CronScripts for the standalone mode: the same YAML users apply to a cluster, read from a
// directory. Each document is checked as the API server checks it: the CronScript schema and
// its validation rules (the CRD's, from crds/: exactly one of script/scriptRef and of
// schedule/frequency); scriptRef reads a ConfigMap from the same directory.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { Cron } from 'croner';
import { parseAllDocuments } from 'yaml';
import { API_VERSION, applyDefaults, plainSchema } from '../../crds/definition.js';
import { CronScriptSpec } from '../../crds/kinds/cronscript.js';
import { ruleViolations } from '../../crds/rules.js';
import { parseDurationMs } from '../../lib/duration.js';

export interface StandaloneCronScript {
  /** namespace/name */
  readonly id: string;
  readonly source: string;
  readonly script: string;
  /** Exactly one of cron and everyMs. */
  readonly cron?: string;
  readonly everyMs?: number;
  readonly args: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  readonly suspend: boolean;
}

export class ManifestError extends Error {
  override readonly name = 'ManifestError';
}

interface Doc {
  readonly where: string;
  readonly value: Record<string, unknown>;
}

function readDocuments(dir: string): Doc[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => /\.ya?ml$/.test(n)).sort();
  } catch (err) {
    throw new ManifestError(`--manifests ${dir}: cannot read the directory (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const docs: Doc[] = [];
  for (const name of names) {
    const path = join(dir, name);
    if (!statSync(path).isFile()) continue;
    parseAllDocuments(readFileSync(path, 'utf8')).forEach((doc, i) => {
      const where = `${path} (document ${i + 1})`;
      if (doc.errors.length > 0) throw new ManifestError(`${where}: not valid YAML: ${doc.errors[0]!.message}`);
      const value: unknown = doc.toJS();
      if (value === null || value === undefined) return;
      if (typeof value !== 'object' || Array.isArray(value)) throw new ManifestError(`${where}: expected a Kubernetes object (a mapping), got ${Array.isArray(value) ? 'a list' : typeof value}`);
      docs.push({ where, value: value as Record<string, unknown> });
    });
  }
  return docs;
}

const SPEC_SCHEMA = plainSchema(CronScriptSpec);

const meta = (doc: Doc) => (doc.value['metadata'] ?? {}) as { name?: unknown; namespace?: unknown };
const idOf = (doc: Doc) => `${typeof meta(doc).namespace === 'string' ? meta(doc).namespace : 'default'}/${String(meta(doc).name)}`;

/** Every CronScript in the directory's *.yaml / *.yml files; other kinds are ignored except ConfigMaps a scriptRef names. */
export function loadCronScripts(dir: string): StandaloneCronScript[] {
  const docs = readDocuments(dir);
  const configMaps = new Map<string, Record<string, unknown>>();
  for (const d of docs) if (d.value['kind'] === 'ConfigMap' && d.value['apiVersion'] === 'v1') configMaps.set(idOf(d), (d.value['data'] ?? {}) as Record<string, unknown>);

  // strict: false — the schema carries Kubernetes' x-kubernetes-* keywords.
  const validate = new Ajv({ allErrors: false, strict: false }).compile(SPEC_SCHEMA);
  const out: StandaloneCronScript[] = [];
  const seen = new Set<string>();
  for (const doc of docs) {
    if (doc.value['kind'] !== 'CronScript') continue;
    if (doc.value['apiVersion'] !== API_VERSION) throw new ManifestError(`${doc.where}: apiVersion must be ${API_VERSION}, got ${JSON.stringify(doc.value['apiVersion'])}`);
    if (typeof meta(doc).name !== 'string' || meta(doc).name === '') throw new ManifestError(`${doc.where}: metadata.name is required`);
    const id = idOf(doc);
    if (seen.has(id)) throw new ManifestError(`${doc.where}: a second CronScript named ${id}`);
    seen.add(id);
    const where = `${doc.where}, CronScript ${id}`;
    const spec = applyDefaults(SPEC_SCHEMA, doc.value['spec'] ?? {}) as Record<string, unknown>;
    if (!validate(spec)) {
      const first = validate.errors![0]!;
      const field = `spec${first.instancePath.replaceAll('/', '.')}`;
      const got = first.instancePath ? first.instancePath.split('/').slice(1).reduce<unknown>((v, k) => (v as Record<string, unknown>)?.[k], spec) : undefined;
      throw new ManifestError(`${where}: ${field} ${first.message ?? 'is invalid'}${got === undefined ? '' : ` (got ${JSON.stringify(got)})`}`);
    }
    const broken = ruleViolations(SPEC_SCHEMA, spec);
    if (broken.length > 0) throw new ManifestError(`${where}: ${broken.map((v) => v.text).join('; ')}`);

    const ref = spec['scriptRef'] as { name: string; key: string } | undefined;
    let script = spec['script'] as string | undefined;
    if (ref) {
      const namespace = id.slice(0, id.indexOf('/'));
      const data = configMaps.get(`${namespace}/${ref.name}`);
      if (!data) throw new ManifestError(`${where}: spec.scriptRef names ConfigMap ${namespace}/${ref.name}, which is not in ${dir}`);
      if (typeof data[ref.key] !== 'string') throw new ManifestError(`${where}: ConfigMap ${namespace}/${ref.name} has no key ${JSON.stringify(ref.key)} (keys: ${Object.keys(data).join(', ') || 'none'})`);
      script = data[ref.key] as string;
    }
    const cron = spec['schedule'] as string | undefined;
    const frequency = spec['frequency'] as string | undefined;
    if (cron !== undefined) {
      try {
        new Cron(cron, { paused: true }).stop();
      } catch (err) {
        throw new ManifestError(`${where}: spec.schedule ${JSON.stringify(cron)} is not a valid cron expression: ${(err as Error).message}`);
      }
    }
    const everyMs = frequency === undefined ? undefined : parseDurationMs(frequency);
    if (everyMs === 0) throw new ManifestError(`${where}: spec.frequency must be longer than zero`);
    out.push({
      id,
      source: doc.where,
      script: script!,
      ...(cron !== undefined ? { cron } : { everyMs: everyMs! }),
      args: (spec['args'] ?? {}) as Record<string, string>,
      timeoutMs: parseDurationMs(spec['timeout'] as string)!,
      suspend: spec['suspend'] === true,
    });
  }
  return out;
}
