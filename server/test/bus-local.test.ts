import { expect, it } from 'vitest';
import { describeBusContract } from '../bus/contract.js';
import { createLocalBus } from '../bus/local.js';
import { createLogger } from '../logger.js';

const logger = createLogger({ level: 'silent', format: 'json' });

// One process is one node: every node() is the same bus.
describeBusContract('in-process', {
  async open() {
    const bus = createLocalBus(logger);
    return { node: async () => bus, close: () => bus.close() };
  },
});

it('the in-process bus hands an event to every subscriber before publish returns (one turn: one write per socket)', () => {
  const bus = createLocalBus(logger);
  const seen: number[] = [];
  bus.subscribe(() => seen.push(1));
  bus.subscribe(() => seen.push(2));
  bus.publish({ type: 'deleted', sessionPk: 1, sessionId: 's1' });
  expect(seen).toEqual([1, 2]);
});
