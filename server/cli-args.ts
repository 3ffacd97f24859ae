import { parseArgs } from 'node:util';

export interface FileCommand {
  /** The one FILE argument. */
  file: string;
  /** --db-path, else DB_PATH, else data/app.db. */
  dbPath: string;
  force: boolean;
}

/**
 * The arguments of `npm run backup|restore -- FILE [--force] [--db-path PATH]`;
 * null after printing `usage` for --help; throws `usage` when FILE is missing.
 */
export function fileCommand(usage: string): FileCommand | null {
  const { values, positionals } = parseArgs({
    options: { force: { type: 'boolean' }, 'db-path': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    allowPositionals: true,
  });
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return null;
  }
  if (positionals.length !== 1) throw new Error(usage);
  // backup and restore are SQLite's: with DATABASE_URL the data is in PostgreSQL, and copying
  // data/app.db instead would look like a backup of it.
  if (process.env.DATABASE_URL) {
    throw new Error('DATABASE_URL is set: the data is in PostgreSQL, which npm run backup/restore do not touch; use pg_dump and pg_restore (README, Scaling out)');
  }
  return { file: positionals[0]!, dbPath: values['db-path'] ?? process.env.DB_PATH ?? 'data/app.db', force: values.force === true };
}
