import type { BusEvent, MessageBus } from '../domain/ports.js';

type PresenceEvent = Extract<BusEvent, { type: 'presence' }>;

export interface PresenceDeps {
  bus: Pick<MessageBus, 'publish'>;
  /** This node's name on the bus: unique per process (hub.ts makes a random one). */
  node: string;
  /** The session's presence (the sum over nodes) changed: tell its connections here. */
  onChange(sessionPk: number, count: number): void;
}

/** Per session this node holds connections of: connections per node (this one included), and the last sum told. */
interface Known {
  nodes: Map<string, number>;
  told: number;
}

/**
 * A session's presence: how many JSON-mode connections it has on all nodes.
 * Each node publishes its own count of a session on the bus whenever it
 * changes (`presence {node, count}`, 0 when it holds none any more) and sums
 * the counts it heard, so no node keeps a global figure and a cross-node bus
 * carries it as it is. A node that hears a node it did not know of for a
 * session it holds answers with its own count, so a newcomer learns of the
 * nodes that were there before it (each pair greets once).
 *
 * Only sessions with connections here are tracked (memory follows the open
 * sockets). A node that dies without saying 0 leaves its count behind: a
 * cross-node bus must expire the counts of a node it lost (issue 14).
 */
export function createPresence({ bus, node, onChange }: PresenceDeps) {
  const sessions = new Map<number, Known>();
  const sum = (known: Known) => {
    let total = 0;
    for (const count of known.nodes.values()) total += count;
    return total;
  };
  const publish = (sessionPk: number, sessionId: string, count: number) => bus.publish({ type: 'presence', sessionPk, sessionId, node, count });
  /** Tells the session's connections here when the sum changed since the last time. */
  const settle = (sessionPk: number, known: Known) => {
    const total = sum(known);
    if (total === known.told) return;
    known.told = total;
    onChange(sessionPk, total);
  };

  return {
    /** This node now holds `count` JSON-mode connections of the session: counted here at once, and published for the others. */
    local(sessionPk: number, sessionId: string, count: number): void {
      let known = sessions.get(sessionPk);
      // Unchanged (a socket counted out when its close began, then again when it ended): nothing to tell anyone.
      if ((known?.nodes.get(node) ?? 0) === count) return;
      if (count === 0) sessions.delete(sessionPk);
      else {
        if (!known) sessions.set(sessionPk, (known = { nodes: new Map(), told: 0 }));
        known.nodes.set(node, count);
        settle(sessionPk, known);
      }
      publish(sessionPk, sessionId, count);
    },

    /** The session's presence as this node knows it (0 for a session it holds no connection of). */
    count(sessionPk: number): number {
      const known = sessions.get(sessionPk);
      return known ? sum(known) : 0;
    },

    /** A `presence` event from the bus (this node's own are already counted). */
    onEvent(event: PresenceEvent): void {
      if (event.node === node) return;
      const known = sessions.get(event.sessionPk);
      if (!known) return;
      const newcomer = !known.nodes.has(event.node);
      if (event.count > 0) known.nodes.set(event.node, event.count);
      else known.nodes.delete(event.node);
      if (newcomer && event.count > 0) publish(event.sessionPk, event.sessionId, known.nodes.get(node) ?? 0);
      settle(event.sessionPk, known);
    },
  };
}

export type Presence = ReturnType<typeof createPresence>;
