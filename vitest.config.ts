import { defineConfig } from 'vitest/config';

/**
 * The integration suites that talk to the server only through HTTP and
 * WebSocket (no SQLite file, fault or tokenizer of their own): they run a
 * second time with the PostgreSQL store and its LISTEN/NOTIFY bus
 * (TEST_STORE=postgres, server/test/store-fixture.ts).
 */
const onPostgresToo = [
  'websocket',
  'resume',
  'fan-out',
  'history',
  'group-commit',
  'properties',
  'frame-properties',
  'ws-limits',
  'hosts-origins',
  'origin',
  'ip-limits',
  'http-edge',
  'http-refusals',
  'proxy',
  'socket-cap',
  'python-client',
  'store-selection',
].map((name) => `server/test/${name}.test.ts`);

export default defineConfig({
  test: {
    environment: 'node',
    // One private PostgreSQL per run (each test file makes its own databases on it).
    globalSetup: ['server/test/services/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'sqlite',
          include: ['server/**/*.test.ts', 'protocol/**/*.test.ts', 'bench/**/*.test.ts', 'web/**/*.test.ts', 'client/test/**/*.test.ts'],
        },
      },
      { extends: true, test: { name: 'postgres', include: onPostgresToo, env: { TEST_STORE: 'postgres' } } },
    ],
  },
});
