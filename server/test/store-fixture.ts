/**
 * Which store the integration suites run on: SQLite (always), and
 * PostgreSQL when TEST_STORE=postgres (the `postgres` project of
 * vitest.config.ts runs the suites that talk to the server only through HTTP
 * and WebSocket that way). Each server gets a store of its own: a database
 * file in its temp folder, or a new database on the run's private
 * PostgreSQL, dropped when the server is done with it.
 */
import type { Config } from '../config.js';
import type { DomainLogger } from '../domain/ports.js';
import { postgresOptions } from '../store/index.js';
import { openPostgresFixture } from './pg-fixture.js';
import { openSqliteFixture, type SqliteFixture } from './sqlite-fixture.js';

export const TEST_STORE: 'sqlite' | 'postgres' = process.env.TEST_STORE === 'postgres' ? 'postgres' : 'sqlite';

/** What a test server holds of its store; SQLite's engine faults and extra runners exist on SQLite only. */
export type TestStore = SqliteFixture & {
  /** Releases what the store was made on (drops the PostgreSQL database); the server closes the store itself. */
  dispose(): Promise<void>;
};

/** The store for a server with `config`; `databaseUrl` reopens a PostgreSQL database kept across a restart. */
export async function openTestStore(config: Config, logger: DomainLogger): Promise<{ store: TestStore; config: Config }> {
  if (TEST_STORE === 'sqlite') return { store: { ...openSqliteFixture(config, logger), dispose: async () => undefined }, config };
  const reopen = config.databaseUrl !== '' ? config.databaseUrl : undefined;
  const fixture = await openPostgresFixture({ ...postgresOptions(config, logger), ...(reopen ? { url: reopen } : {}) });
  const sqliteOnly = (what: string) => () => {
    throw new Error(`${what} is SQLite's: this suite does not run on PostgreSQL`);
  };
  return {
    config: { ...config, databaseUrl: fixture.url },
    store: {
      store: fixture.store,
      faults: { readOnly: sqliteOnly('faults.readOnly'), diskFull: sqliteOnly('faults.diskFull'), locked: sqliteOnly('faults.locked'), closeConnection: sqliteOnly('faults.closeConnection') },
      setClock: fixture.setClock,
      retentionRunner: sqliteOnly('retentionRunner'),
      // A reopened database (a restart) is not this fixture's: dropDatabase() drops only what it created.
      dispose: () => fixture.dropDatabase(),
    },
  };
}
