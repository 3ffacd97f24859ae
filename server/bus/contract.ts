/**
 * The bus contract: what every message bus must do, as one Vitest suite
 * parameterised by a factory. The in-process bus runs it
 * (server/test/bus-local.test.ts); a cross-node bus runs it from a test of its
 * own, its factory starting and stopping the engine (a private Redis, say) in
 * setup/teardown and giving each node() its own connection. Delivery may be
 * asynchronous, so the suite awaits it; it never relies on a delay.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { BusEvent, MessageBus } from '../domain/ports.js';

export interface BusUnderTest {
  /** A node's bus: the same bus for an in-process one, a new connection for a cross-node one. */
  node(): Promise<MessageBus>;
  /** Closes every node it made. */
  close(): Promise<void>;
}

export interface BusFactory {
  setup?(): Promise<void>;
  teardown?(): Promise<void>;
  open(): Promise<BusUnderTest>;
}

type CommittedEvent = Extract<BusEvent, { type: 'committed' }>;

const committed = (sessionPk: number, seq: number): CommittedEvent => ({ type: 'committed', sessionPk, sessionId: `s${sessionPk}`, fromSeq: seq, toSeq: seq });

/** Subscribes and records every event, in the order handed over. */
function recorder(bus: MessageBus): { events: BusEvent[]; stop: () => void } {
  const events: BusEvent[] = [];
  const stop = bus.subscribe((event) => events.push(event));
  return { events, stop };
}

export function describeBusContract(name: string, factory: BusFactory): void {
  describe(`bus contract: ${name}`, () => {
    if (factory.setup) beforeAll(factory.setup, 120_000);
    if (factory.teardown) afterAll(factory.teardown, 120_000);

    const withBus = (test: (b: BusUnderTest) => Promise<void>) => async () => {
      const b = await factory.open();
      try {
        await test(b);
      } finally {
        await b.close();
      }
    };

    it(
      'hands every event to every subscriber of every node once, in the order each publisher published them',
      withBus(async ({ node }) => {
        const [a, b] = [await node(), await node()];
        const onA = recorder(a);
        const onB = recorder(b);
        const fromA = Array.from({ length: 50 }, (_, i) => committed(1, i + 1));
        const fromB = Array.from({ length: 50 }, (_, i) => committed(2, i + 1));
        for (let i = 0; i < 50; i++) {
          a.publish(fromA[i]!);
          b.publish(fromB[i]!);
        }
        for (const { events } of [onA, onB]) {
          await vi.waitFor(() => expect(events).toHaveLength(100), { timeout: 10_000 });
          expect(events.filter((e) => 'sessionPk' in e && e.sessionPk === 1)).toEqual(fromA);
          expect(events.filter((e) => 'sessionPk' in e && e.sessionPk === 2)).toEqual(fromB);
        }
      }),
    );

    it(
      'gives a late subscriber only the events published after it subscribed',
      withBus(async ({ node }) => {
        const [a, b] = [await node(), await node()];
        const early = recorder(b);
        a.publish(committed(1, 1));
        await vi.waitFor(() => expect(early.events).toHaveLength(1), { timeout: 10_000 });
        const late = recorder(b);
        a.publish(committed(1, 2));
        await vi.waitFor(() => expect(early.events).toHaveLength(2), { timeout: 10_000 });
        await vi.waitFor(() => expect(late.events).toHaveLength(1), { timeout: 10_000 });
        expect(late.events).toEqual([committed(1, 2)]);
      }),
    );

    it(
      'stops handing events to a subscriber that unsubscribed',
      withBus(async ({ node }) => {
        const [a, b] = [await node(), await node()];
        const gone = recorder(b);
        const stays = recorder(b);
        gone.stop();
        a.publish(committed(1, 1));
        await vi.waitFor(() => expect(stays.events).toHaveLength(1), { timeout: 10_000 });
        expect(gone.events).toEqual([]);
      }),
    );

    it(
      'carries every kind of event as it is (deleted, revoked, presence, presence-refresh, and kinds a later version adds) and survives a handler that throws',
      withBus(async ({ node }) => {
        const [a, b] = [await node(), await node()];
        b.subscribe(() => {
          throw new Error('a broken handler');
        });
        const seen = recorder(b);
        const presence: BusEvent = { type: 'presence', sessionPk: 1, sessionId: 's1', node: 'node-a', count: 2 };
        const revoked: BusEvent = { type: 'revoked', sessionPk: 1, sessionId: 's1', tokenHash: 'ab'.repeat(32) };
        const later = { type: 'typing', sessionPk: 1, sessionId: 's1', who: 'x' } as unknown as BusEvent;
        const deleted: BusEvent = { type: 'deleted', sessionPk: 1, sessionId: 's1' };
        const refresh: BusEvent = { type: 'presence-refresh', node: 'node-a', counts: [[1, 2], [7, 1]] };
        for (const event of [presence, revoked, later, refresh, deleted]) a.publish(event);
        await vi.waitFor(() => expect(seen.events).toEqual([presence, revoked, later, refresh, deleted]), { timeout: 10_000 });
      }),
    );

    it(
      'hands a node its own events too, and events published from inside a handler (a presence greeting)',
      withBus(async ({ node }) => {
        const [a, b] = [await node(), await node()];
        const onA = recorder(a);
        const greeting: BusEvent = { type: 'presence', sessionPk: 1, sessionId: 's1', node: 'node-b', count: 1 };
        b.subscribe((event) => {
          if (event.type === 'presence' && event.node === 'node-a') b.publish(greeting);
        });
        const hello: BusEvent = { type: 'presence', sessionPk: 1, sessionId: 's1', node: 'node-a', count: 3 };
        a.publish(hello);
        await vi.waitFor(() => expect(onA.events).toEqual(expect.arrayContaining([hello, greeting])), { timeout: 10_000 });
        expect(onA.events).toHaveLength(2);
      }),
    );

    it(
      'carries the bodies of a committed event when it has them',
      withBus(async ({ node }) => {
        const [a, b] = [await node(), await node()];
        const seen = recorder(b);
        const event: CommittedEvent = { ...committed(1, 1), messages: [{ seq: 1, clientId: 'c', body: 'hello', at: 1 }] };
        a.publish(event);
        await vi.waitFor(() => expect(seen.events).toHaveLength(1), { timeout: 10_000 });
        // A cross-node bus may carry the range alone (a receiver reads the store); never other bodies.
        const [got] = seen.events as CommittedEvent[];
        expect({ ...got, messages: undefined, unseal: undefined }).toEqual({ ...event, messages: undefined });
        const messages = got!.messages ?? got!.unseal?.();
        if (messages) expect(messages).toEqual(event.messages);
      }),
    );
  });
}
