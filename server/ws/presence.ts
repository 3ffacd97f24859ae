import type { BusEvent, MessageBus } from '../domain/ports.js';

type PresenceEvent = Extract<BusEvent, { type: 'presence' }>;
type PresenceRefreshEvent = Extract<BusEvent, { type: 'presence-refresh' }>;

export interface PresenceDeps {
  bus: Pick<MessageBus, 'publish'>;
  /** This node's name on the bus: unique per process (hub.ts makes a random one). */
  node: string;
  /** The session's presence (the sum over nodes) changed: tell its connections here. */
  onChange(sessionPk: number, count: number): void;
  /**
   * Between nodes: how often this node republishes its counts, in ms; 0 (one
   * node) turns refreshing and expiry off. Another node's count not heard
   * for PRESENCE_TTL_INTERVALS intervals is dropped.
   */
  refreshMs: number;
  /** The clock of expiry, in ms (monotonic). */
  now(): number;
}

/**
 * A node's count not refreshed for this many refresh intervals is taken for
 * a node that is gone: one lost refresh (a bus hiccup) or a late timer is
 * not enough to drop a live node's count.
 */
export const PRESENCE_TTL_INTERVALS = 3;
/** Sessions per refresh event: [pk, count] pairs stay far below the 8000-byte NOTIFY payload. */
const REFRESH_CHUNK = 200;

/** Per session this node holds connections of: each node's count (this one's included) and when it was heard; the last sum told. */
interface Known {
  nodes: Map<string, { count: number; heardAt: number }>;
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
 * A node that dies (SIGKILL) never says 0, and hints can be lost: between
 * nodes, each one republishes all its non-zero counts every `refreshMs`
 * (`presence-refresh`, batched), and a count not heard for
 * PRESENCE_TTL_INTERVALS intervals is dropped, so a dead node's connections
 * leave the sum within (PRESENCE_TTL_INTERVALS + 1) intervals, and a count
 * lost on the bus comes back within one.
 *
 * Only sessions with connections here are tracked (memory follows the open
 * sockets).
 */
export function createPresence({ bus, node, onChange, refreshMs, now }: PresenceDeps) {
  const sessions = new Map<number, Known>();
  const sum = (known: Known) => {
    let total = 0;
    for (const { count } of known.nodes.values()) total += count;
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
  /** Another node's count of a session this node holds, as heard now; true when that node was not known for it. */
  const heard = (known: Known, from: string, count: number): boolean => {
    const newcomer = !known.nodes.has(from);
    if (count > 0) known.nodes.set(from, { count, heardAt: now() });
    else known.nodes.delete(from);
    return newcomer;
  };

  /** Republishes this node's counts, then drops the counts of nodes not heard from within the TTL. */
  function refresh(): void {
    const counts: Array<[number, number]> = [];
    for (const [sessionPk, known] of sessions) counts.push([sessionPk, known.nodes.get(node)?.count ?? 0]);
    for (let i = 0; i < counts.length; i += REFRESH_CHUNK) bus.publish({ type: 'presence-refresh', node, counts: counts.slice(i, i + REFRESH_CHUNK) });
    const oldest = now() - PRESENCE_TTL_INTERVALS * refreshMs;
    for (const [sessionPk, known] of sessions) {
      for (const [other, { heardAt }] of known.nodes) if (other !== node && heardAt < oldest) known.nodes.delete(other);
      settle(sessionPk, known);
    }
  }
  const timer = refreshMs > 0 ? setInterval(refresh, refreshMs) : undefined;
  timer?.unref();

  return {
    /** This node now holds `count` JSON-mode connections of the session: counted here at once, and published for the others. */
    local(sessionPk: number, sessionId: string, count: number): void {
      let known = sessions.get(sessionPk);
      // Unchanged (a socket counted out when its close began, then again when it ended): nothing to tell anyone.
      if ((known?.nodes.get(node)?.count ?? 0) === count) return;
      if (count === 0) sessions.delete(sessionPk);
      else {
        if (!known) sessions.set(sessionPk, (known = { nodes: new Map(), told: 0 }));
        known.nodes.set(node, { count, heardAt: now() });
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
      const newcomer = heard(known, event.node, event.count);
      if (newcomer && event.count > 0) publish(event.sessionPk, event.sessionId, known.nodes.get(node)?.count ?? 0);
      settle(event.sessionPk, known);
    },

    /** A `presence-refresh` from the bus: another node's counts, still there (the newcomer greeting is a change's job). */
    onRefresh(event: PresenceRefreshEvent): void {
      if (event.node === node) return;
      for (const [sessionPk, count] of event.counts) {
        const known = sessions.get(sessionPk);
        if (!known) continue;
        heard(known, event.node, count);
        settle(sessionPk, known);
      }
    },

    /** Stops refreshing (the hub is closing). */
    stop(): void {
      clearInterval(timer);
    },
  };
}

export type Presence = ReturnType<typeof createPresence>;
