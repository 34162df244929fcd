// The eslint rule `loupe/import-direction`: which way imports between our top-level folders
// point (ARCHITECTURE.md, "Which way imports point"). Each relative import (static, export-from
// and import()) is resolved against the importing file, so a subfolder that happens to share a
// top-level folder's name (dataplane/scripts/) is not mistaken for it.
import { dirname, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const EVERYTHING = ['bin', 'lib', 'crds', 'operator', 'controllers', 'dataplane', 'cloud', 'native-bpf', 'olm-bundle', 'scripts'];

/** What each top-level folder may import besides itself, and why (the message says it). */
export const ALLOWED = {
  crds: { may: ['lib'], why: 'crds/ is the API (kinds, schemas, generator, role contract) that every side imports; it uses only lib/ (the value grammars: durations, quantities, host:port)' },
  lib: { may: [], why: 'lib/ is role-neutral plumbing that every side imports, crds/ included; it imports nothing else of ours' },
  controllers: { may: ['crds', 'lib', 'operator/runtime'], why: 'controllers/ render manifests with crds/, lib/ and the runtime (operator/runtime/); a role reaches them only through the role contract' },
  operator: { may: ['crds', 'lib'], why: 'operator/ is the controller runtime; bin/ hands it the controllers, so it never imports them' },
  dataplane: { may: ['crds', 'lib', 'native-bpf'], why: 'a PEM does not know an operator exists, so standalone mode and any deployment run it unchanged' },
  cloud: { may: ['crds', 'lib', 'dataplane', 'native-bpf'], why: 'cloud/ never imports operator/ or controllers/' },
  'native-bpf': { may: [], why: 'native-bpf/ is the addon and its entry; it imports nothing else of ours' },
  'olm-bundle': { may: ['crds', 'lib', 'controllers', 'operator/runtime'], why: 'olm-bundle/ packages the operator for OLM from the API, the controllers\' RBAC and what they render; nothing imports it' },
  scripts: { may: ['crds', 'lib'], why: 'scripts/ holds repository checks' },
  bin: { may: EVERYTHING, why: 'nothing imports e2e/' },
  e2e: { may: EVERYTHING, why: 'e2e/ may import anything of ours' },
};

const NATIVE_BPF_ENTRY = 'native-bpf/index.js';

const within = (path, folder) => path === folder || path.startsWith(`${folder}/`);

/** Why `from` (repository-relative file) may not import `to` (repository-relative target), or undefined. */
export function importProblem(from, to) {
  const fromTop = from.split('/')[0];
  const toTop = to.split('/')[0];
  const rule = ALLOWED[fromTop];
  if (!rule || fromTop === toTop || !(toTop in ALLOWED)) return undefined;
  if (!rule.may.some((folder) => within(to, folder))) return `${fromTop}/ may not import ${to}: ${rule.why}.`;
  if (toTop === 'native-bpf' && to !== NATIVE_BPF_ENTRY) return `${fromTop}/ may reach native-bpf/ only through ${NATIVE_BPF_ENTRY.replace(/\.js$/, '.ts')}, its one entry (not ${to}).`;
  return undefined;
}

export const importDirection = {
  meta: { type: 'problem', docs: { description: 'imports between top-level folders point the way ARCHITECTURE.md says' }, schema: [] },
  create(context) {
    const from = relative(ROOT, context.filename).split(sep).join('/');
    const check = (source) => {
      if (!source || source.type !== 'Literal' || typeof source.value !== 'string' || !source.value.startsWith('.')) return;
      const to = relative(ROOT, resolve(dirname(context.filename), source.value)).split(sep).join('/');
      const problem = importProblem(from, to);
      if (problem) context.report({ node: source, message: problem });
    };
    return {
      ImportDeclaration: (node) => check(node.source),
      ExportNamedDeclaration: (node) => check(node.source),
      ExportAllDeclaration: (node) => check(node.source),
      ImportExpression: (node) => check(node.source),
    };
  },
};
