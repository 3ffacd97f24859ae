import { z } from 'zod';
import { SESSION_ID_MAX_LENGTH } from '../../protocol/session-id.js';
import type { ErrorCode } from '../../protocol/errors.js';
import { CLIENT_ID_MAX_LENGTH, SEQ_MAX, echoText, type EchoFrame, type ErrorFrame, type ReadyFrame } from '../../protocol/wire.js';
import type { StoredMessage } from '../store/message-log.js';

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

/** The one schema of what a JSON-mode client may send. */
const clientFrameSchema = wellFormedStrings.pipe(
  z.object({
    type: z.literal('send'),
    id: clientIdSchema.nullish(),
    text: z.string(),
  }),
);

export type ParsedFrame =
  | { ok: true; clientId: string | null; text: string }
  | { ok: false; error: ErrorFrame };

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
    // The error names the client id when the frame has a valid one, so the client can match it to its message.
    const id = clientIdSchema.safeParse((value as { id?: unknown } | null)?.id);
    const clientId = id.success && id.data.isWellFormed() ? id.data : null;
    return {
      ok: false,
      error: errorFrame('invalid_frame', `expected {"type":"send","id":string,"text":string}; ${where}${issue.message}`, clientId),
    };
  }
  return { ok: true, clientId: parsed.data.id ?? null, text: parsed.data.text };
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

export function echoFrame(sessionId: string, message: StoredMessage): EchoFrame {
  return {
    type: 'echo',
    seq: message.seq,
    id: message.clientId,
    text: echoText(sessionId, message.body),
    at: new Date(message.at).toISOString(),
  };
}

export function readyFrame(lastSeq: number, maxMessageBytes: number): ReadyFrame {
  return { type: 'ready', lastSeq, maxMessageBytes };
}

/** A server frame's header: 2 bytes, plus 8 for a 64-bit length (RFC 6455 §5.2; servers do not mask). */
const FRAME_HEADER_MAX_BYTES = 10;
/** JSON.stringify writes a control character (one UTF-8 byte) as `\u00XX`: six. */
const JSON_ESCAPE_GROWTH = 6;

/**
 * The most bytes one echo of a message of up to `maxMessageBytes` (UTF-8)
 * can take on the wire: the JSON mode's echo of a body made only of control
 * characters (a text-mode client can send them raw), with the longest session
 * ID, client id, seq and date, plus the frame header. Text-mode echoes are
 * smaller (`"<ID>: "` and the body as sent).
 */
export function maxEchoFrameBytes(maxMessageBytes: number): number {
  const envelope = echoFrame('x'.repeat(SESSION_ID_MAX_LENGTH), {
    seq: SEQ_MAX,
    clientId: '\u0001'.repeat(CLIENT_ID_MAX_LENGTH),
    body: '',
    at: 8.64e15, // the latest Date: "+275760-09-13T00:00:00.000Z"
  });
  return FRAME_HEADER_MAX_BYTES + Buffer.byteLength(JSON.stringify(envelope)) + JSON_ESCAPE_GROWTH * maxMessageBytes;
}
