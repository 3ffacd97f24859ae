/**
 * `npm run restore -- FILE [--force]`: replaces DB_PATH (or --db-path) with
 * the backup FILE, giving every session a new epoch. Refuses while a server
 * has the database open. A third entry point beside main.ts and
 * backup-cli.ts, with side effects of its own.
 */
import { loadDotEnv } from './dotenv.js';
import { fileCommand } from './cli-args.js';
import { restoreDatabase } from './store/sqlite/restore.js';

async function run(): Promise<void> {
  loadDotEnv();
  const command = fileCommand('usage: npm run restore -- FILE [--force] [--db-path PATH]   (stop the server first; default DB_PATH, else data/app.db)');
  if (!command) return;
  const report = await restoreDatabase(command.file, command.dbPath, { overwrite: command.force });
  process.stdout.write(
    `restored ${command.file} -> ${command.dbPath}: ${report.sessions} sessions (each with a new epoch), ` +
      `${report.messages} messages in ${report.ms} ms; integrity ok\n` +
      'its search index is removed: the server rebuilds it from the messages at its next start\n' +
      (report.replaced ? `the database it replaced is kept at ${report.replaced} (delete it once it is not needed)\n` : ''),
  );
}

run().catch((err: unknown) => {
  process.stderr.write(`restore failed: ${(err as Error).message}\n`);
  process.exit(1);
});
