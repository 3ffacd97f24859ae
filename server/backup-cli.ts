/**
 * `npm run backup -- FILE [--force]`: an online backup of DB_PATH (or
 * --db-path) into FILE while the server keeps serving. A second entry point
 * beside main.ts, with side effects of its own.
 */
import { existsSync } from 'node:fs';
import { loadDotEnv } from './dotenv.js';
import { fileCommand } from './cli-args.js';
import { backupDatabase } from './store/sqlite/backup.js';

async function run(): Promise<void> {
  loadDotEnv();
  const command = fileCommand('usage: npm run backup -- FILE [--force] [--db-path PATH]   (default DB_PATH, else data/app.db)');
  if (!command) return;
  if (!existsSync(command.dbPath)) throw new Error(`no database at ${command.dbPath}: give the server's DB_PATH (in the environment or .env), or pass --db-path PATH`);
  const report = await backupDatabase(command.dbPath, command.file, { overwrite: command.force });
  process.stdout.write(
    `backup of ${command.dbPath} -> ${command.file}: ${report.sessions} sessions, ${report.messages} messages, ` +
      `${(report.bytes / 1024 / 1024).toFixed(1)} MiB in ${report.ms} ms; integrity ok\n`,
  );
}

run().catch((err: unknown) => {
  process.stderr.write(`backup failed: ${(err as Error).message}\n`);
  process.exit(1);
});
