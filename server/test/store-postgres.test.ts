import { createLogger } from '../logger.js';
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
