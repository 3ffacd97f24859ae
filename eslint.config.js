import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'client/dist/', 'node_modules/', 'test-results/', 'playwright-report/', 'data/', 'bench/results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        console: 'readonly',
        process: 'readonly',
        URL: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': ['error', { allow: ['error', 'warn'] }],
      eqeqeq: ['error', 'smart'],
    },
  },
  {
    // The client library runs in browsers and in Node: its core uses neither's own modules nor globals
    // (only src/node/, the Node entry point, may), so a browser bundle never pulls in node:fs.
    files: ['client/src/**'],
    ignores: ['client/src/node/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: '^node:', message: 'Node modules belong in client/src/node/.' }] }],
      'no-restricted-globals': ['error', 'window', 'document', 'location', 'navigator', 'localStorage', 'sessionStorage', 'process', 'Buffer', 'require'],
    },
  },
  {
    // Scripts and benchmarks talk to a person on the terminal.
    files: ['scripts/**', 'bench/**', 'e2e/**', 'examples/**', 'client/test/fixtures/**'],
    rules: { 'no-console': 'off' },
  },
);
