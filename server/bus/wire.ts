/**
 * What a node accepts from the wire: one zod schema per event type, the
 * hint forms only. A NOTIFY needs no privilege, so any role that can connect
 * to the database can put a payload on the channel (a Redis client on the
 * channel alike): a `committed` hint that carried bodies in the clear was
 * handed to the connections as is, and its forged echo moved their cursors
 * past the real message, which was then never delivered. So an event from
 * the wire has no bodies (extra keys are dropped); bodies come only sealed
 * under the cluster's key (seal.ts, cluster.ts) and checked here against the
 * event's range. A known type of another shape is ignored.
 */
import { z } from 'zod';
import { isValidSessionId } from '../../protocol/session-id.js';
import type { BusEvent, CommittedEvent } from '../domain/ports.js';
import type { StoredMessage } from '../domain/model.js';

const pk = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
const seq = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
const sessionId = z.string().refine(isValidSessionId);
const node = z.string().min(1).max(128);
const count = z.number().int().min(0).max(1_000_000);

const wireEvent = z.discriminatedUnion('type', [
  z
    .object({ type: z.literal('committed'), sessionPk: pk, sessionId, fromSeq: seq, toSeq: seq })
    .refine((e) => e.toSeq >= e.fromSeq, 'toSeq before fromSeq'),
  z.object({ type: z.literal('deleted'), sessionPk: pk, sessionId }),
  z.object({ type: z.literal('revoked'), sessionPk: pk, sessionId, tokenHash: z.string().regex(/^[0-9a-f]{64}$/) }),
  z.object({ type: z.literal('presence'), sessionPk: pk, sessionId, node, count }),
  z.object({ type: z.literal('presence-refresh'), node, counts: z.array(z.tuple([pk, count])).max(10_000) }),
]);

/** The types this build knows: the union's own literals. */
const KNOWN = new Set<string>(wireEvent.options.map((option) => option.shape.type.value));

/**
 * The event as a node may deliver it, or undefined. A type this build does
 * not know (a later version's) goes on as it came: handlers ignore types
 * they do not know (domain/ports.ts BusEvent), and a node must not drop what
 * a newer node of a rolling upgrade sends.
 */
export function eventFromWire(value: unknown): BusEvent | undefined {
  if (typeof value !== 'object' || value === null || typeof (value as { type?: unknown }).type !== 'string') return undefined;
  if (!KNOWN.has((value as { type: string }).type)) return value as BusEvent;
  const parsed = wireEvent.safeParse(value);
  return parsed.success ? (parsed.data as BusEvent) : undefined;
}

const sealedMessage = z.object({ seq, clientId: z.string().nullable(), body: z.string(), at: z.number().int().min(0) }).strict();
/** Built once: a schema built per payload (a `.max()` per range) cost more than the decryption. */
const sealedArray = z.array(sealedMessage);

/**
 * The messages of `event` from the plaintext of its sealed payload, or
 * undefined unless they are exactly its range: one message per seq from
 * fromSeq to toSeq, in order.
 */
export function sealedMessages(event: CommittedEvent, plaintext: string): StoredMessage[] | undefined {
  let value: unknown;
  try {
    value = JSON.parse(plaintext);
  } catch {
    return undefined;
  }
  // The length first: a forged array of another size is not parsed at all.
  if (!Array.isArray(value) || value.length !== event.toSeq - event.fromSeq + 1) return undefined;
  const parsed = sealedArray.safeParse(value);
  if (!parsed.success) return undefined;
  return parsed.data.every((m, k) => m.seq === event.fromSeq + k) ? parsed.data : undefined;
}
