import { z } from 'zod';
import type { ErrorCode } from '../../protocol/errors.js';
import { CLIENT_ID_MAX_LENGTH, type ClientFrame, type ErrorFrame, type ReadyFrame, type ResetFrame } from '../../protocol/wire.js';

/**
 * Where the first ill-formed string of a JSON value is (a lone surrogate,
 * which JSON's \uD800 escapes can carry and UTF-8 cannot store): the path to
 * it, or null. Object keys count as strings. Iterative, so a deeply nested
 * frame cannot overflow the stack.
 */
function illFormedStringPath(value: unknown): PropertyKey[] | null {
  const pending: Array<{ value: unknown; path: PropertyKey[] }> = [{ value, path: [] }];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const { value: v, path } = next;
    if (typeof v === 'string') {
      if (!v.isWellFormed()) return path;
    } else if (Array.isArray(v)) {
      v.forEach((item, i) => pending.push({ value: item, path: [...path, i] }));
    } else if (typeof v === 'object' && v !== null) {
      for (const [key, item] of Object.entries(v)) {
        if (!key.isWellFormed()) return [...path, key.toWellFormed()];
        pending.push({ value: item, path: [...path, key] });
      }
    }
  }
  return null;
}

/**
 * Every string of a client frame, in any field (known or not, keys too, at
 * any depth), must be well-formed UTF-16 before the frame's shape is read:
 * one check for all fields, so no field can be stored or echoed ill-formed.
 */
const wellFormedStrings = z.unknown().superRefine((value, ctx) => {
  const path = illFormedStringPath(value);
  if (path) ctx.addIssue({ code: 'custom', path, message: 'strings must be well-formed Unicode (no lone surrogates)' });
});

const clientIdSchema = z.string().min(1).max(CLIENT_ID_MAX_LENGTH);

/**
 * One schema per client frame type. The map must name every type of
 * protocol's ClientFrame, each with a schema of exactly that frame, so a new
 * frame type fails to compile here until the server parses it.
 */
const FRAME_SCHEMAS = {
  send: z.object({ type: z.literal('send'), id: clientIdSchema.nullish(), text: z.string() }),
} satisfies { [K in ClientFrame['type']]: z.ZodType<Extract<ClientFrame, { type: K }>> };

/** The one schema of what a JSON-mode client may send: well-formed strings, then a frame of a known type. */
const clientFrameSchema = wellFormedStrings.pipe(z.discriminatedUnion('type', [FRAME_SCHEMAS.send]));

/** Fails to compile when the schema and protocol's ClientFrame differ, in either direction. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const _schemaIsClientFrame: Same<z.infer<typeof clientFrameSchema>, ClientFrame> = true;
void _schemaIsClientFrame;

/** What the server expects, for error messages. */
const EXPECTED = 'expected {"type":"send","id":string,"text":string}';

export type ParsedFrame = { ok: true; frame: ClientFrame } | { ok: false; error: ErrorFrame };

/** Parses one JSON-mode text frame, or says why it is refused. */
export function parseClientFrame(raw: string): ParsedFrame {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return { ok: false, error: errorFrame('invalid_json', 'frame is not valid JSON') };
  }
  const parsed = clientFrameSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.length > 0 ? `${issue.path.map(String).join('.')}: ` : '';
    return { ok: false, error: errorFrame('invalid_frame', `${EXPECTED}; ${where}${issue.message}`, clientIdOf(value)) };
  }
  return { ok: true, frame: parsed.data };
}

/**
 * The client message id a frame names, if it is a valid one (parsed or not),
 * so an error can be matched to the client's message; else null.
 */
export function clientIdOf(value: unknown): string | null {
  const id = clientIdSchema.safeParse((value as { id?: unknown } | null)?.id);
  return id.success && id.data.isWellFormed() ? id.data : null;
}

export function errorFrame(code: ErrorCode, message: string, id: string | null = null): ErrorFrame {
  return { type: 'error', code, message, id };
}

/** Longest close reason RFC 6455 allows (§5.5: a control frame's payload is 125 bytes, 2 of them the code). */
const CLOSE_REASON_MAX_BYTES = 123;

/** A close reason: `"<code>: <message>"`, the code from the catalogue, cut to what a close frame holds. */
export function closeReason(code: ErrorCode, message: string): string {
  const reason = `${code}: ${message}`;
  return Buffer.byteLength(reason) <= CLOSE_REASON_MAX_BYTES ? reason : Buffer.from(reason).subarray(0, CLOSE_REASON_MAX_BYTES).toString().replace(/\uFFFD$/, '');
}

export function readyFrame(lastSeq: number, maxMessageBytes: number, epoch: string): ReadyFrame {
  return { type: 'ready', lastSeq, maxMessageBytes, epoch };
}

export function resetFrame(epoch: string): ResetFrame {
  return { type: 'reset', epoch };
}
