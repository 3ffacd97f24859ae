/**
 * Vitest globalSetup: one private PostgreSQL per run, shared by every test
 * file of every project (each makes databases of its own on it:
 * services/postgres.ts), its URL handed over with `provide`. Vitest calls
 * this once per project (and once for the root): the server is started by
 * the first call and stopped by the PID after the last teardown.
 */
import type { TestProject } from 'vitest/node';
import { startPostgres, type PrivatePostgres } from './postgres.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The superuser's URL of the run's private PostgreSQL. */
    postgresUrl: string;
  }
}

/** Kept on globalThis: each project may load this file as a module of its own, in the one main process. */
const shared = globalThis as typeof globalThis & { wssPostgres?: { server: Promise<PrivatePostgres>; users: number } };

export async function setup(project: TestProject): Promise<void> {
  shared.wssPostgres ??= { server: startPostgres(), users: 0 };
  shared.wssPostgres.users++;
  project.provide('postgresUrl', (await shared.wssPostgres.server).url);
}

export async function teardown(): Promise<void> {
  const run = shared.wssPostgres;
  if (!run || --run.users > 0) return;
  shared.wssPostgres = undefined;
  await (await run.server).stop();
}
