/**
 * `npm run restore -- FILE [--force]`: replaces DB_PATH (or --db-path) with
 * the backup FILE, giving every session a new epoch. Refuses while a server
 * has the database open. A third entry point beside main.ts and
 * backup-cli.ts, with side effects of its own.
 */
import { parseArgs } from 'node:util';
import { restoreDatabase } from './store/sqlite/restore.js';

const usage = 'usage: npm run restore -- FILE [--force] [--db-path PATH]   (stop the server first; default DB_PATH, else data/app.db)';

async function run(): Promise<void> {
  const { values, positionals } = parseArgs({
    options: { force: { type: 'boolean' }, 'db-path': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    allowPositionals: true,
  });
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return;
  }
  if (positionals.length !== 1) throw new Error(usage);
  const destination = values['db-path'] ?? process.env.DB_PATH ?? 'data/app.db';
  const report = await restoreDatabase(positionals[0]!, destination, { overwrite: values.force === true });
  process.stdout.write(
    `restored ${positionals[0]} -> ${destination}: ${report.sessions} sessions (each with a new epoch), ` +
      `${report.messages} messages in ${report.ms} ms; integrity ok\n`,
  );
}

run().catch((err: unknown) => {
  process.stderr.write(`restore failed: ${(err as Error).message}\n`);
  process.exit(1);
});
