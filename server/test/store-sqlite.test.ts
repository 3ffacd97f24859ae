import { join } from 'node:path';
import { createLogger } from '../logger.js';
import { describeStoreContract } from '../store/contract.js';
import { openDatabase } from '../store/sqlite/database.js';
import { createSqliteStore } from '../store/sqlite/index.js';
import { tempDir } from './harness.js';
import { sqliteFaults } from './sqlite-fixture.js';

// On a file the search index is a file of its own written by a worker thread; in memory, in the same connection (search.ts).
for (const where of ['file', 'memory'] as const) describeStoreContract(where === 'file' ? 'SQLite' : 'SQLite in memory', {
  async open({ maxSessionBytes, retention }) {
    const folder = tempDir();
    const db = openDatabase(where === 'file' ? join(folder.dir, 'app.db') : ':memory:');
    let clock: number | null = null;
    const store = createSqliteStore(db, {
      maxSessionBytes,
      retention: { ...retention, batchSize: 3 }, // small batches: the pass must loop
      now: () => clock ?? Date.now(),
      logger: createLogger({ level: 'silent', format: 'json' }),
    });
    const faults = sqliteFaults(db);
    return {
      store,
      async readOnly() {
        const clear = faults.readOnly();
        return async () => clear();
      },
      setClock: (ms) => (clock = ms),
      async close() {
        await store.close();
        folder.remove();
      },
    };
  },
});
