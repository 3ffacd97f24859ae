import { z } from 'zod';
import { CLIENT_ID_MAX_LENGTH, echoText, type EchoFrame, type ErrorFrame, type ReadyFrame } from '../../protocol/wire.js';
import type { StoredMessage } from '../store/message-log.js';

/** The one schema of what a JSON-mode client may send. */
const sendFrameSchema = z.object({
  type: z.literal('send'),
  id: z.string().min(1).max(CLIENT_ID_MAX_LENGTH).nullish(),
  text: z.string().refine((text) => text.isWellFormed(), 'text must be well-formed Unicode (no lone surrogates)'),
});

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
  const parsed = sendFrameSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
    const clientId = typeof (value as { id?: unknown })?.id === 'string' ? (value as { id: string }).id : null;
    return {
      ok: false,
      error: errorFrame('invalid_frame', `expected {"type":"send","id":string,"text":string}; ${where}${issue.message}`, clientId),
    };
  }
  return { ok: true, clientId: parsed.data.id ?? null, text: parsed.data.text };
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
