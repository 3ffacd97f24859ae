/**
 * What the cross-node buses (postgres.ts, redis.ts) share: an event is
 * handed to this node's subscribers at once, bodies included (the local
 * fan-out stays in the commit's turn), and goes to the other nodes as a hint
 * without bodies (a NOTIFY payload stops at 8000 bytes; a message may be
 * 64 KiB; a receiver reads the range from the store). Each node skips its
 * own events when they come back from the wire, as socket.io's
 * ClusterAdapter does: its subscribers already had them.
 */
import { randomBytes } from 'node:crypto';
import type { BusEvent, BusHandler, DomainLogger, MessageBus } from '../domain/ports.js';
import { createLocalBus } from './local.js';
import { eventFromWire } from './wire.js';

/** A bus that links nodes: the port, plus what the heal timer and /metrics need. */
export interface ClusterBus extends MessageBus {
  readonly nodeId: string;
  /** Hands an event to this node's subscribers only (the heal timer's catch-up hints). */
  deliverLocally(event: BusEvent): void;
  /** Calls `listener` after each reconnect of the bus (hints may have been lost while it was down). */
  onReconnect(listener: () => void): () => void;
  /** Whether the bus is connected now, and how many hints came from other nodes since start. */
  stats(): { connected: boolean; hintsReceived: number; hintsDropped: number };
}

/** The wire form: the sending node, its process (`i`), and the event without its bodies. */
interface Envelope {
  n: string;
  /** Random per process: a node skips only its own events, even when another process was given its NODE_ID. */
  i?: string;
  e: BusEvent;
}

/** How a transport sends and reports (postgres.ts, redis.ts). */
export interface Transport {
  /** Sends one payload to every node; false when it could not (disconnected): the hint is dropped. */
  send(payload: string): boolean;
  close(): Promise<void>;
}

export interface ClusterCore {
  bus: ClusterBus;
  /** A payload arrived from the wire. */
  receive(payload: string): void;
  /**
   * The transport is (dis)connected; a connect once the bus is open (after a
   * disconnect, or after a start without the transport) calls the reconnect
   * listeners.
   */
  setConnected(connected: boolean): void;
  /** The transport's first attempt is over, connected or not: the node starts with the bus as it is. */
  opened(): void;
}

/** A node ID when NODE_ID is not set: 8 random bytes, hex. */
export const generateNodeId = (): string => randomBytes(8).toString('hex');

/** The shared half of a cross-node bus over `transport` (given once the transport exists). */
export function createClusterCore(nodeId: string, logger: DomainLogger): ClusterCore & { attach(transport: Transport): void } {
  const local = createLocalBus(logger);
  let transport: Transport | undefined;
  let connected = false;
  let open = false;
  let hintsReceived = 0;
  let hintsDropped = 0;
  const reconnectListeners = new Set<() => void>();
  const instance = randomBytes(6).toString('hex');
  let namesakeReported = false;

  const bus: ClusterBus = {
    nodeId,
    publish(event) {
      local.publish(event);
      const hint: BusEvent = event.type === 'committed' ? { ...event, messages: undefined } : event;
      const payload = JSON.stringify({ n: nodeId, i: instance, e: hint } satisfies Envelope);
      if (!transport?.send(payload)) hintsDropped++;
    },
    subscribe: (handler: BusHandler) => local.subscribe(handler),
    deliverLocally: (event) => local.publish(event),
    onReconnect(listener) {
      reconnectListeners.add(listener);
      return () => reconnectListeners.delete(listener);
    },
    stats: () => ({ connected, hintsReceived, hintsDropped }),
    async close() {
      reconnectListeners.clear();
      await transport?.close();
      await local.close();
    },
  };

  function receiveOne(envelope: Envelope): void {
    const event = eventFromWire(envelope?.e);
    if (!event) return;
    // Our own event; an envelope without `i` is from a build before it, which named its node alone.
    if (envelope.i === instance || (envelope.i === undefined && envelope.n === nodeId)) return;
    if (envelope.n === nodeId && !namesakeReported) {
      // Its hints are delivered all the same; presence, counted per node name, is wrong until one is renamed.
      logger.error({ nodeId }, 'bus: another process uses this NODE_ID; give each node its own, or leave NODE_ID unset');
      namesakeReported = true;
    }
    hintsReceived++;
    local.publish(event);
  }

  return {
    bus,
    attach(t) {
      transport = t;
    },
    receive(payload) {
      let parsed: Envelope | Envelope[];
      try {
        parsed = JSON.parse(payload) as Envelope | Envelope[];
      } catch (err) {
        logger.warn({ err }, 'bus: a payload that is not JSON was ignored');
        return;
      }
      // A transport may carry several envelopes in one payload (postgres.ts, while a NOTIFY is in flight).
      for (const envelope of Array.isArray(parsed) ? parsed : [parsed]) receiveOne(envelope);
    },
    setConnected(now) {
      if (now === connected) return;
      connected = now;
      if (!now) {
        logger.warn({ nodeId }, 'bus disconnected: fan-out to other nodes falls back to the heal timer');
        return;
      }
      if (open) {
        logger.info({ nodeId }, 'bus connected: resyncing local sessions');
        for (const listener of reconnectListeners) listener();
      }
    },
    opened() {
      open = true;
      if (!connected) logger.warn({ nodeId }, 'bus not connected at start: this node starts without it (fan-out to other nodes by the heal timer) and connects when it can');
    },
  };
}
