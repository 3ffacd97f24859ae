/**
 * Vitest globalSetup: one private PostgreSQL per run, shared by every test
 * file (each makes databases of its own on it: services/postgres.ts), its
 * URL handed over with `provide`. Stopped by PID when the run ends.
 */
import type { TestProject } from 'vitest/node';
import { startPostgres, type PrivatePostgres } from './postgres.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The superuser's URL of the run's private PostgreSQL. */
    postgresUrl: string;
  }
}

let postgres: PrivatePostgres | undefined;

export async function setup(project: TestProject): Promise<void> {
  postgres = await startPostgres();
  project.provide('postgresUrl', postgres.url);
}

export async function teardown(): Promise<void> {
  await postgres?.stop();
}
