import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { importDirection } from './scripts/import-direction.js';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.cache/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    // Which way imports between our top-level folders point, native-bpf/ reached only through
    // native-bpf/index.ts included (scripts/import-direction.js). Folder cycles are checked by
    // scripts/folder-cycles.test.ts: a cycle belongs to the whole graph, not to one file.
    files: ['**/*.ts'],
    plugins: { loupe: { rules: { 'import-direction': importDirection } } },
    rules: { 'loupe/import-direction': 'error' },
  },
  {
    files: ['**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
);
