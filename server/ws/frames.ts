import { z } from 'zod';
import { SESSION_ID_MAX_LENGTH } from '../../protocol/session-id.js';
import { CLIENT_ID_MAX_LENGTH, echoText, type EchoFrame, type ErrorFrame, type ReadyFrame } from '../../protocol/wire.js';
import type { StoredMessage } from '../store/message-log.js';

/** Nesting a frame may have: a send frame has one level; deeper ones are refused before they are walked further. */
export const MAX_FRAME_DEPTH = 32;

interface Visit {
  value: unknown;
  key: PropertyKey;
  parent: Visit | null;
  depth: number;
}

/** The keys from the root to `visit`, built once, for the one issue reported. */
function pathTo(visit: Visit | null): PropertyKey[] {
  const path: PropertyKey[] = [];
  for (let v = visit; v?.parent; v = v.parent) path.push(v.key);
  return path.reverse();
}

/**
 * What first makes a JSON value unfit as a frame, or null: a string that is
 * ill-formed (a lone surrogate, which JSON's \uD800 escapes can carry and
 * UTF-8 cannot store; object keys count), or nesting deeper than
 * MAX_FRAME_DEPTH. Linear in the value's size: each value visited links to
 * its parent, and the path is built only for the issue found (copying it per
 * element was quadratic in depth: a 64 KB frame froze the event loop for
 * minutes). Iterative, so no nesting can overflow the stack.
 */
function frameValueIssue(value: unknown): { path: PropertyKey[]; message: string } | null {
  const pending: Visit[] = [{ value, key: '', parent: null, depth: 0 }];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const v = next.value;
    if (typeof v === 'string') {
      if (!v.isWellFormed()) return { path: pathTo(next), message: 'strings must be well-formed Unicode (no lone surrogates)' };
    } else if (typeof v === 'object' && v !== null) {
      if (next.depth === MAX_FRAME_DEPTH) return { path: pathTo(next), message: `nested deeper than ${MAX_FRAME_DEPTH} levels` };
      const entries: Array<[PropertyKey, unknown]> = Array.isArray(v) ? v.map((item, i) => [i, item]) : Object.entries(v);
      for (const [key, item] of entries) {
        if (typeof key === 'string' && !key.isWellFormed()) {
          return { path: [...pathTo(next), key.toWellFormed()], message: 'strings must be well-formed Unicode (no lone surrogates)' };
        }
        pending.push({ value: item, key, parent: next, depth: next.depth + 1 });
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
  const issue = frameValueIssue(value);
  if (issue) ctx.addIssue({ code: 'custom', ...issue });
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
    return {
      ok: false,
      error: errorFrame('invalid_frame', `expected {"type":"send","id":string,"text":string}; ${where}${issue.message}`, validClientId(value)),
    };
  }
  return { ok: true, clientId: parsed.data.id ?? null, text: parsed.data.text };
}

function validClientId(value: unknown): string | null {
  const id = clientIdSchema.safeParse((value as { id?: unknown } | null)?.id);
  return id.success && id.data.isWellFormed() ? id.data : null;
}

/**
 * The valid client id of a frame that will not be taken (over the rate
 * limit), or null: one JSON.parse, linear in the frame and bounded by
 * MAX_MESSAGE_BYTES, and no walk of the rest of it.
 */
export function clientIdOf(raw: string): string | null {
  try {
    return validClientId(JSON.parse(raw));
  } catch {
    return null;
  }
}

export function errorFrame(code: string, message: string, id: string | null = null): ErrorFrame {
  return { type: 'error', code, message, id };
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
    seq: 0xffffffff,
    clientId: '\u0001'.repeat(CLIENT_ID_MAX_LENGTH),
    body: '',
    at: 8.64e15, // the latest Date: "+275760-09-13T00:00:00.000Z"
  });
  return FRAME_HEADER_MAX_BYTES + Buffer.byteLength(JSON.stringify(envelope)) + JSON_ESCAPE_GROWTH * maxMessageBytes;
}
