/**
 * The store the integration suites run on is the one their project names:
 * SQLite by default, PostgreSQL (with its LISTEN/NOTIFY bus) under
 * TEST_STORE=postgres. Without this, a fixture that quietly fell back to
 * SQLite would make the PostgreSQL runs prove nothing.
 */
import { expect, it } from 'vitest';
import { isClusterBus } from '../bus/index.js';
import { register, useTestServer } from './harness.js';
import { admin } from './services/postgres.js';
import { TEST_STORE } from './store-fixture.js';

const t = useTestServer();

it(`runs the server on ${TEST_STORE}`, async () => {
  await register(t.server, 'where');
  if (TEST_STORE === 'postgres') {
    expect(t.server.config.databaseUrl).toMatch(/^postgres:\/\//);
    const { rows } = await admin(t.server.config.databaseUrl, 'SELECT id FROM sessions');
    expect(rows).toEqual([{ id: 'where' }]);
    expect(isClusterBus(t.server.bus)).toBe(true);
  } else {
    expect(t.server.config.databaseUrl).toBe('');
    expect(isClusterBus(t.server.bus)).toBe(false);
  }
});
