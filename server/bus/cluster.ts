/**
 * What the cross-node buses (postgres.ts, redis.ts) share: an event is
 * handed to this node's subscribers at once, bodies included (the local
 * fan-out stays in the commit's turn), and goes to the other nodes as a hint
 * (`committed`: the session and its seq range). The hint carries the
 * messages too, sealed (seal.ts), when the node has the cluster's key and
 * they fit the transport's payload (a NOTIFY payload stops at 8000 bytes; a
 * message may be 64 KiB); otherwise, or when they do not open, a receiver
 * reads the range from the store. Each node skips its own events when they
 * come back from the wire, as socket.io's ClusterAdapter does: its
 * subscribers already had them.
 */
import { randomBytes } from 'node:crypto';
import type { BusEvent, BusHandler, CommittedEvent, DomainLogger, MessageBus } from '../domain/ports.js';
import { createLocalBus } from './local.js';
import { createSealer, type Sealer } from './seal.js';
import { eventFromWire, sealedMessages } from './wire.js';

/** A bus that links nodes: the port, plus what the heal timer and /metrics need. */
export interface ClusterBus extends MessageBus {
  readonly nodeId: string;
  /** Hands an event to this node's subscribers only (the heal timer's catch-up hints). */
  deliverLocally(event: BusEvent): void;
  /** Calls `listener` after each reconnect of the bus (hints may have been lost while it was down). */
  onReconnect(listener: () => void): () => void;
  /** Whether the bus is connected now, and how many hints came from other nodes since start. */
  stats(): ClusterStats;
}

export interface ClusterStats {
  connected: boolean;
  /** Hints from other nodes. */
  hintsReceived: number;
  /** Hints not sent: the bus was disconnected. */
  hintsDropped: number;
  /** Hints from other nodes whose sealed messages opened (delivered without a store read). */
  bodiesOpened: number;
  /** Hints whose sealed messages did not open or were malformed (delivered as hints: the store is read). */
  bodiesRejected: number;
  /** Other events (deleted, revoked, presence) from the wire without a valid tag under the cluster key: not delivered. */
  eventsRejected: number;
}

export interface ClusterOptions {
  /** The cluster's 32-byte key (the store's `clusterKey()`); without it, hints carry no bodies and sealed ones are not opened. */
  key?: Buffer;
  /** Largest payload, in bytes, that may carry sealed messages; a larger one goes as the hint alone. */
  maxSealedBytes: number;
  /** Largest payload taken from the wire, in UTF-16 units; a larger one is ignored (nothing of ours is that big). */
  maxPayloadLength: number;
}

/** Envelopes one payload may hold (postgres.ts batches hints in a JSON array under a NOTIFY's 8000 bytes). */
const MAX_ENVELOPES = 256;

/** The wire form: the sending node, its process (`i`), the event without its bodies, and maybe its bodies sealed (`x`). */
interface Envelope {
  n: string;
  /**
   * Random per process (16 bytes, hex): a node skips only its own events, even when another process was given its
   * NODE_ID; also the salt of the process's sealing key (seal.ts).
   */
  i?: string;
  e: BusEvent;
  /** A committed event's messages, sealed (seal.ts), bound to the event by `sealedData`. */
  x?: string;
  /** Any other event's tag: sealed (seal.ts) with nothing inside, bound to the event's JSON by `taggedData`. */
  t?: string;
}

/** What a sealed payload is bound to: the event it belongs to (a sealed payload cannot be moved to another range or session). */
const sealedData = (e: Pick<CommittedEvent, 'sessionPk' | 'sessionId' | 'fromSeq' | 'toSeq'>): string =>
  `${e.sessionPk}\n${e.sessionId}\n${e.fromSeq}\n${e.toSeq}`;

/**
 * What an event other than `committed` is bound to: its JSON as sent (the receiver serialises the `e` it parsed,
 * which gives the same text: JSON.stringify of what JSON.parse made of JSON.stringify's output). The prefix keeps
 * it apart from any `sealedData`, which starts with a digit.
 */
const taggedData = (eventJson: string): string => `event\n${eventJson}`;

/** The kinds of event a node with the cluster key takes from the wire only with a valid tag (`t`). */
const TAGGED = new Set<string>(['deleted', 'revoked', 'presence', 'presence-refresh']);

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
export function createClusterCore(nodeId: string, logger: DomainLogger, settings: Partial<ClusterOptions> = {}): ClusterCore & { attach(transport: Transport): void } {
  const options: ClusterOptions = { maxSealedBytes: 3900, maxPayloadLength: 8000, ...settings };
  const local = createLocalBus(logger);
  let transport: Transport | undefined;
  let connected = false;
  let open = false;
  const counts = { hintsReceived: 0, hintsDropped: 0, bodiesOpened: 0, bodiesRejected: 0, eventsRejected: 0 };
  const reconnectListeners = new Set<() => void>();
  const instance = randomBytes(16).toString('hex');
  const sealer: Sealer | undefined = options.key && createSealer(options.key, instance);
  let namesakeReported = false;
  let rejectionReported = false;
  let untaggedReported = false;
  let oversizeReported = false;

  /** The payload of `event`: a committed event's messages sealed in it when they fit, else the hint alone. */
  function payloadOf(event: BusEvent): string {
    if (event.type !== 'committed') {
      // Tagged under the cluster key, so a node with it takes these only from nodes with it (not from any client of the channel).
      return JSON.stringify({ n: nodeId, i: instance, e: event, ...(sealer && { t: sealer.seal(taggedData(JSON.stringify(event)), '') }) } satisfies Envelope);
    }
    const { messages, ...hint } = event;
    const plain = JSON.stringify({ n: nodeId, i: instance, e: hint } satisfies Envelope);
    // A UTF-16 length over the limit is over it in bytes too: too big to seal, whatever it holds.
    if (!sealer || !messages || messages.length === 0 || messages.reduce((n, m) => n + m.body.length, 0) > options.maxSealedBytes) return plain;
    const sealed = JSON.stringify({ n: nodeId, i: instance, e: hint, x: sealer.seal(sealedData(hint), JSON.stringify(messages.map(({ seq, clientId, body, at }) => ({ seq, clientId, body, at })))) } satisfies Envelope);
    return Buffer.byteLength(sealed) <= options.maxSealedBytes ? sealed : plain;
  }

  /** The messages sealed in `envelope` for `event`, or undefined (none, or they do not open: counted and said once). */
  function openBodies(instance: unknown, sealed: string, event: CommittedEvent): CommittedEvent['messages'] {
    const plaintext = typeof instance === 'string' ? sealer!.open(instance, sealedData(event), sealed) : undefined;
    const messages = plaintext === undefined ? undefined : sealedMessages(event, plaintext);
    if (messages) {
      counts.bodiesOpened++;
      return messages;
    }
    counts.bodiesRejected++;
    if (!rejectionReported) {
      // Its range is still a hint: the connections read it from the store. Once, not per payload.
      logger.warn({ nodeId }, 'bus: sealed messages that do not open under this node\'s cluster key (a key change not yet on every node, another cluster on the channel, or a forger); read from the store instead');
      rejectionReported = true;
    }
    return undefined;
  }

  /** Whether `envelope`'s event carries a tag that opens under its sender's key (counted and said once when not). */
  function tagged(envelope: Envelope): boolean {
    const tag = envelope.t;
    // In order: a tag copied off the channel and sent again (a dead node's presence count, say) does not open twice.
    if (typeof tag === 'string' && typeof envelope.i === 'string' && sealer!.openInOrder(envelope.i, taggedData(JSON.stringify(envelope.e)), tag) === '') return true;
    counts.eventsRejected++;
    if (!untaggedReported) {
      // Deletes and revocations that do not come are covered by the heal timer; presence by the next refresh.
      logger.warn({ nodeId }, 'bus: an event (deleted, revoked, presence) without a valid tag under this node\'s cluster key was ignored (a node of an older build or with another key, a replay, or a forger)');
      untaggedReported = true;
    }
    return false;
  }

  const bus: ClusterBus = {
    nodeId,
    publish(event) {
      local.publish(event);
      if (!transport?.send(payloadOf(event))) counts.hintsDropped++;
    },
    subscribe: (handler: BusHandler) => local.subscribe(handler),
    deliverLocally: (event) => local.publish(event),
    onReconnect(listener) {
      reconnectListeners.add(listener);
      return () => reconnectListeners.delete(listener);
    },
    stats: () => ({ connected, ...counts }),
    async close() {
      reconnectListeners.clear();
      await transport?.close();
      await local.close();
    },
  };

  function receiveOne(envelope: Envelope): void {
    const event = eventFromWire(envelope?.e);
    if (!event) return;
    if (sealer && TAGGED.has(event.type) && !tagged(envelope)) return;
    // Our own event; an envelope without `i` is from a build before it, which named its node alone.
    if (envelope.i === instance || (envelope.i === undefined && envelope.n === nodeId)) return;
    if (envelope.n === nodeId && !namesakeReported) {
      // Its hints are delivered all the same; presence, counted per node name, is wrong until one is renamed.
      logger.error({ nodeId }, 'bus: another process uses this NODE_ID; give each node its own, or leave NODE_ID unset');
      namesakeReported = true;
    }
    counts.hintsReceived++;
    const sealed = envelope.x;
    if (event.type === 'committed' && typeof sealed === 'string' && sealer) {
      // Opened only when a connection would take them (ws/hub.ts): forged sealed payloads for sessions this node
      // does not serve, or at seqs no cursor is at, cost no more than forged hints.
      let opened: { messages: CommittedEvent['messages'] } | undefined;
      const unseal = () => (opened ??= { messages: openBodies(envelope.i, sealed, event) }).messages;
      return local.publish({ ...event, unseal });
    }
    local.publish(event);
  }

  return {
    bus,
    attach(t) {
      transport = t;
    },
    receive(payload) {
      if (payload.length > options.maxPayloadLength) {
        if (!oversizeReported) logger.warn({ nodeId, length: payload.length }, 'bus: a payload larger than any this build sends was ignored (another program on the channel?)');
        oversizeReported = true;
        return;
      }
      let parsed: Envelope | Envelope[];
      try {
        parsed = JSON.parse(payload) as Envelope | Envelope[];
      } catch (err) {
        logger.warn({ err }, 'bus: a payload that is not JSON was ignored');
        return;
      }
      // A transport may carry several envelopes in one payload (postgres.ts, while a NOTIFY is in flight).
      for (const envelope of Array.isArray(parsed) ? parsed.slice(0, MAX_ENVELOPES) : [parsed]) receiveOne(envelope);
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
