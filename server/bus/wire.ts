/**
 * What a node accepts from the wire: one zod schema per event type, the
 * hint forms only. A NOTIFY needs no privilege, so any role that can connect
 * to the database can put a payload on the channel (a Redis client on the
 * channel alike): a `committed` hint that carried bodies was handed to the
 * connections as is, and its forged echo moved their cursors past the real
 * message, which was then never delivered. Bodies never travel between
 * nodes, so an event from the wire has none (extra keys are dropped); a
 * known type of another shape is ignored.
 */
import { z } from 'zod';
import { isValidSessionId } from '../../protocol/session-id.js';
import type { BusEvent } from '../domain/ports.js';

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
