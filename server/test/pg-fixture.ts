/**
 * The PostgreSQL store a test runs on: a new database on the run's private
 * server (services/global-setup.ts), the store opened on it with the
 * test's clock, and real faults of the engine forced on the store's own
 * connections (never simulated).
 */
import { expect, inject, vi } from 'vitest';
import type { DomainLogger } from '../domain/ports.js';
import { openPostgresStore, type PostgresStore, type PostgresStoreOptions } from '../store/postgres/index.js';
import { admin, createDatabase } from './services/postgres.js';

export interface PostgresFixture {
  store: PostgresStore;
  /** The database's URL (a second node, or raw SQL, connects to it). */
  url: string;
  /** Sets the time commits are stamped with and retention compares against; null: the real clock. */
  setClock(ms: number | null): void;
  faults: PostgresFaults;
  /** Closes the store and drops the database. */
  close(): Promise<void>;
  /** Drops the database (the store was closed by whoever owns it: a server). */
  dropDatabase(): Promise<void>;
}

export interface PostgresFaults {
  /** The database refuses writes (read-only transactions, SQLSTATE 25006) until the returned function clears it. */
  readOnly(): Promise<() => Promise<void>>;
  /** Ends every connection of this database's clients (a restart or a network cut, as the nodes see it). */
  terminateConnections(): Promise<void>;
}

/** The run's PostgreSQL (superuser URL), from globalSetup. */
export const postgresUrl = (): string => inject('postgresUrl');

/** A new database with the store open on it. */
export async function openPostgresFixture(
  options: Partial<Omit<PostgresStoreOptions, 'now' | 'logger'>> & { logger: DomainLogger; url?: string },
): Promise<PostgresFixture> {
  const database = options.url ? undefined : await createDatabase(postgresUrl());
  const url = options.url ?? database!.url;
  let clock: number | null = null;
  const store = await openPostgresStore(url, { ...options, now: () => clock ?? Date.now() });
  const name = new URL(url).pathname.slice(1);
  const terminateConnections = async () => {
    await admin(postgresUrl(), 'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [name]);
    // The pool drops a connection once it hears it ended; until then it could hand one out.
    await vi.waitFor(() => expect(store.pool.totalCount).toBe(0), { timeout: 10_000 });
  };
  return {
    store,
    url,
    setClock: (ms) => (clock = ms),
    faults: {
      async readOnly() {
        // New connections start read-only; the pool's are ended, so every later one is new.
        await admin(postgresUrl(), `ALTER DATABASE ${name} SET default_transaction_read_only = on`);
        await terminateConnections();
        return async () => {
          await admin(postgresUrl(), `ALTER DATABASE ${name} RESET default_transaction_read_only`);
          await terminateConnections();
        };
      },
      terminateConnections,
    },
    async close() {
      await store.close();
      await database?.drop();
    },
    async dropDatabase() {
      await database?.drop();
    },
  };
}
