import { existsSync } from 'node:fs';

/**
 * Reads `.env` in the working directory into process.env when there is one;
 * variables already set win (process.loadEnvFile never overwrites). Not
 * `node --env-file-if-exists`, which on Node 20 prints ".env not found.
 * Continuing without it." at every start without one. For the entry points
 * (main, backup, restore), before they read their settings.
 */
export function loadDotEnv(path = '.env'): void {
  if (existsSync(path)) process.loadEnvFile(path);
}
