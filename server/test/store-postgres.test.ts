import { createLogger } from '../logger.js';
import { describe, expect, it } from 'vitest';
import { describeStoreContract } from '../store/contract.js';
import { openPostgresFixture } from './pg-fixture.js';

// A new database per store on the run's private PostgreSQL (services/global-setup.ts).
describeStoreContract('PostgreSQL', {
  async open({ maxSessionBytes, retention }) {
    const fixture = await openPostgresFixture({
      maxSessionBytes,
      retention: { ...retention, batchSize: 3 }, // small batches: the pass must loop
      logger: createLogger({ level: 'silent', format: 'json' }),
    });
    return {
      store: fixture.store,
      readOnly: () => fixture.faults.readOnly(),
      setClock: fixture.setClock,
      close: () => fixture.close(),
    };
  },
});

describe('PostgreSQL message log statements', () => {
  it('appends a batch in one statement, and reads the after-seq ranges asked for at the same time in one', async () => {
    const fixture = await openPostgresFixture({ logger: createLogger({ level: 'silent', format: 'json' }) });
    try {
      const { store } = fixture;
      const sessions = await Promise.all(['sa', 'sb', 'sc', 'sd'].map(async (id) => (await store.sessions.create(id, Buffer.alloc(32), 0))!));
      // Counts what the pool's connections send (the real statements, BEGIN and COMMIT included).
      let statements = 0;
      const counted = new WeakSet<object>();
      store.pool.on('acquire', (client) => {
        if (counted.has(client)) return;
        counted.add(client);
        const query = client.query.bind(client) as (...args: unknown[]) => unknown;
        client.query = ((...args: unknown[]) => {
          statements++;
          return query(...args);
        }) as typeof client.query;
      });
      const outcomes = await store.messages.append(sessions.flatMap((s) => [1, 2, 3].map((n) => ({ sessionPk: s.pk, clientId: `c${n}`, body: `${s.id} ${n}` }))));
      expect(outcomes.every((o) => !(o instanceof Error))).toBe(true);
      expect(statements).toBe(1);
      statements = 0;
      const reads = await Promise.all(sessions.flatMap((s) => [0, 1, 2].map((after) => store.messages.after(s.pk, after, 10))));
      expect(reads.map((r) => r.length)).toEqual(sessions.flatMap(() => [3, 2, 1]));
      expect(statements).toBe(1);
    } finally {
      await fixture.close();
    }
  });
});
