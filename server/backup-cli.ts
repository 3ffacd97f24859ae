/**
 * `npm run backup -- FILE [--force]`: an online backup of DB_PATH (or
 * --db-path) into FILE while the server keeps serving. A second entry point
 * beside main.ts, with side effects of its own.
 */
import { parseArgs } from 'node:util';
import { backupDatabase } from './store/sqlite/backup.js';

const usage = 'usage: npm run backup -- FILE [--force] [--db-path PATH]   (default DB_PATH, else data/app.db)';

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
  const source = values['db-path'] ?? process.env.DB_PATH ?? 'data/app.db';
  const report = await backupDatabase(source, positionals[0]!, { overwrite: values.force === true });
  process.stdout.write(
    `backup of ${source} -> ${positionals[0]}: ${report.sessions} sessions, ${report.messages} messages, ` +
      `${(report.bytes / 1024 / 1024).toFixed(1)} MiB in ${report.ms} ms; integrity ok\n`,
  );
}

run().catch((err: unknown) => {
  process.stderr.write(`backup failed: ${(err as Error).message}\n`);
  process.exit(1);
});
