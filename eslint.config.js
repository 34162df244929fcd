import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// native-bpf/ is reached only through its one entry (ARCHITECTURE.md: which way imports point).
const NATIVE_BPF_DOOR = { group: ['**/native-bpf/*', '!**/native-bpf/index.js'], message: 'import native-bpf/index.js, the one door to native-bpf/.' };

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.cache/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-restricted-imports': 'off',
    },
  },
  {
    files: ['dataplane/**/*.ts', 'cloud/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/operator/**', '**/controllers/**'], message: 'dataplane/ and cloud/ must not depend on the operator (ARCHITECTURE.md: which way imports point).' }, NATIVE_BPF_DOOR] }],
    },
  },
  {
    files: ['bin/**/*.ts', 'e2e/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [NATIVE_BPF_DOOR] }],
    },
  },
  {
    // crds/ is the leaf every side may import: the kinds, the role contract (roles.ts) and the few
    // pieces operator/ and dataplane/ share (quantity.ts, schema.ts, health-server.ts). Keeping it
    // free of our other folders is what lets both sides use it without pointing at each other.
    files: ['crds/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/operator/**', '**/controllers/**', '**/dataplane/**', '**/cloud/**', '**/e2e/**'], message: 'crds/ imports nothing else of ours.' }] }],
    },
  },
  {
    files: ['controllers/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/dataplane/**', '**/cloud/**', '**/e2e/**'], message: 'controllers/ render manifests; they never import dataplane/ or cloud/ code.' }] }],
    },
  },
  {
    files: ['**/*.mjs', 'bin/loupe'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
);
