import { describe, expect, it } from 'vitest';
import { createClusterCore } from '../bus/cluster.js';
import type { BusEvent, DomainLogger } from '../domain/ports.js';

/** A logger that keeps what was logged at error. */
function recordingLogger() {
  const errors: string[] = [];
  const logger: DomainLogger = { info: () => undefined, warn: () => undefined, error: (_obj, message) => void errors.push(message) };
  return { logger, errors };
}

/** Cores joined by a wire that hands every payload to every core, the sender's included (as NOTIFY and Redis pub/sub do). */
function wired(...cores: ReturnType<typeof createClusterCore>[]) {
  for (const core of cores) {
    core.attach({ send: (payload) => (cores.forEach((c) => c.receive(payload)), true), close: async () => undefined });
  }
}

const hint: BusEvent = { type: 'committed', sessionPk: 1, sessionId: 's1', fromSeq: 1, toSeq: 1 };

describe('two processes given the same NODE_ID', () => {
  it("deliver each other's hints, skip only their own, and say so once at error", () => {
    const first = recordingLogger();
    const second = recordingLogger();
    const a = createClusterCore('node-x', first.logger);
    const b = createClusterCore('node-x', second.logger);
    wired(a, b);
    const seenByA: BusEvent[] = [];
    const seenByB: BusEvent[] = [];
    a.bus.subscribe((event) => void seenByA.push(event));
    b.bus.subscribe((event) => void seenByB.push(event));

    a.bus.publish(hint);
    a.bus.publish({ ...hint, fromSeq: 2, toSeq: 2 });
    // a: its own two, locally, once each; b: both from the wire.
    expect(seenByA.map((e) => e.type === 'committed' && e.fromSeq)).toEqual([1, 2]);
    expect(seenByB.map((e) => e.type === 'committed' && e.fromSeq)).toEqual([1, 2]);
    expect(b.bus.stats().hintsReceived).toBe(2);
    expect(second.errors).toEqual(['bus: another process uses this NODE_ID; give each node its own, or leave NODE_ID unset']);
    expect(first.errors).toEqual([]);
  });

  it('skips an envelope of an older build (no process id) named like this node, as before', () => {
    const { logger, errors } = recordingLogger();
    const core = createClusterCore('node-y', logger);
    const seen: BusEvent[] = [];
    core.bus.subscribe((event) => void seen.push(event));
    core.receive(JSON.stringify({ n: 'node-y', e: hint }));
    core.receive(JSON.stringify({ n: 'node-z', e: hint }));
    expect(seen).toHaveLength(1);
    expect(errors).toEqual([]);
  });
});
