import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['server/**/*.test.ts', 'protocol/**/*.test.ts', 'bench/**/*.test.ts', 'web/**/*.test.ts', 'client/test/**/*.test.ts'],
    environment: 'node',
    // One private PostgreSQL per run (each test file makes its own databases on it).
    globalSetup: ['server/test/services/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
