import { z } from 'zod';
import type { ErrorCode } from '../../protocol/errors.js';
import { CLIENT_ID_MAX_LENGTH, type ClientFrame, type ErrorFrame, type ReadyFrame, type ResetFrame } from '../../protocol/wire.js';
import type { Same } from '../same-type.js';

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

export const clientIdSchema = z.string().min(1).max(CLIENT_ID_MAX_LENGTH);

/**
 * One schema per client frame type. The map must name every type of
 * protocol's ClientFrame, each with a schema of exactly that frame, so a new
 * frame type fails to compile here until the server parses it.
 */
export const FRAME_SCHEMAS = {
  send: z.object({ type: z.literal('send'), id: clientIdSchema.nullish(), text: z.string() }),
} satisfies { [K in ClientFrame['type']]: z.ZodType<Extract<ClientFrame, { type: K }>> };

/** The one schema of what a JSON-mode client may send: well-formed strings, then a frame of a known type. */
const clientFrameSchema = wellFormedStrings.pipe(z.discriminatedUnion('type', [FRAME_SCHEMAS.send]));

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
    // The error names the client id when the frame has a valid one, so the client can match it to its message.
    return { ok: false, error: errorFrame('invalid_frame', `${EXPECTED}; ${where}${issue.message}`, clientIdOf(value)) };
  }
  return { ok: true, frame: parsed.data };
}

/**
 * The client message id a frame names, if it is a valid one (parsed or not),
 * so an error can be matched to the client's message; else null.
 */
function clientIdOf(value: unknown): string | null {
  const id = clientIdSchema.safeParse((value as { id?: unknown } | null)?.id);
  return id.success && id.data.isWellFormed() ? id.data : null;
}

/**
 * The valid client id of a frame that will not be taken (over the rate
 * limit), or null: one JSON.parse, linear in the frame and bounded by
 * MAX_MESSAGE_BYTES, and no walk of the rest of it.
 */
export function rawClientIdOf(raw: string): string | null {
  try {
    return clientIdOf(JSON.parse(raw));
  } catch {
    return null;
  }
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

export function readyFrame(lastSeq: number, maxMessageBytes: number, epoch: string, presence: number): ReadyFrame {
  return { type: 'ready', lastSeq, maxMessageBytes, epoch, presence };
}

export function resetFrame(epoch: string): ResetFrame {
  return { type: 'reset', epoch };
}
