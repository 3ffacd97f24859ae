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
    // The layers (README, Layout): transport and the edge's helpers use the domain's ports, never an adapter;
    // only the composition roots (server.ts, main.ts, the CLIs) and tests know which store and bus exist.
    files: ['server/http/**', 'server/ws/**', 'server/*.ts'],
    ignores: ['server/server.ts', 'server/main.ts', 'server/*-cli.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '(^|/)(store|bus)(/|$)', message: 'Transport uses the ports of server/domain (ports.ts), never a store or bus adapter.' },
            { regex: '^(better-sqlite3|pg|pg-.*|ioredis|redis)$', message: 'Storage engines are the adapters\' business (server/store/<engine>/).' },
          ],
        },
      ],
    },
  },
  {
    // The domain does no I/O and knows no transport or adapter: protocol/, node:crypto and its own files only.
    files: ['server/domain/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(node:)?(fs|fs/promises|net|http|https|http2|child_process|worker_threads|cluster|dgram|dns|tls|readline|stream)$',
              message: 'server/domain does no I/O: take what it needs through a port (server/domain/ports.ts).',
            },
            {
              regex: '^(better-sqlite3|ws|koa|koa-.*|@koa/.*|pg|pg-.*|ioredis|redis|pino|pino-.*|prom-client|cookie|co-body)$',
              message: 'server/domain does no I/O and knows no transport: take what it needs through a port (server/domain/ports.ts).',
            },
            { regex: '^\\.\\./(?!\\.\\./protocol/)', message: 'server/domain imports only protocol/ and its own files.' },
          ],
        },
      ],
    },
  },
  {
    // Adapters implement the domain's ports; they never reach back into transport.
    files: ['server/store/**', 'server/bus/**', 'server/limits/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ regex: '(^|/)(http|ws)/', message: 'Adapters implement server/domain/ports.ts and know nothing of transport.' }] },
      ],
    },
  },
  {
    // Scripts and benchmarks talk to a person on the terminal.
    files: ['scripts/**', 'bench/**', 'e2e/**', 'examples/**', 'client/test/fixtures/**'],
    rules: { 'no-console': 'off' },
  },
);
