/**
 * The server's JSON-mode frames as zod schemas, for the AsyncAPI document
 * (asyncapi.ts): each is checked against its protocol/wire.ts type at compile
 * time, so the document cannot describe another frame than the one sent.
 * The client's frame is the schema the server parses with (frames.ts).
 */
import { z } from 'zod';
import { ERROR_CATALOGUE, type ErrorCode } from '../../protocol/errors.js';
import type { EchoFrame, ErrorFrame, PresenceFrame, ReadyFrame, ResetFrame, ServerFrame } from '../../protocol/wire.js';
import { clientIdSchema } from './frames.js';
import type { Same } from '../same-type.js';

const epoch = z.string().meta({ description: 'the session\'s history epoch (base64url); it changes when the history is replaced' });

export const SERVER_FRAME_SCHEMAS = {
  echo: z
    .object({
      type: z.literal('echo'),
      seq: z.number().int().min(1).meta({ description: 'per-session, strictly increasing, no gaps, assigned at commit' }),
      id: clientIdSchema.nullable().meta({ description: 'the client message id, or null' }),
      text: z.string().meta({ description: '"<ID>: <text>"' }),
      at: z.string().meta({ format: 'date-time', description: 'commit time, ISO 8601' }),
    })
    .meta({ description: 'a committed message (the acknowledgement), to every JSON connection of the session, in seq order' }),
  ready: z
    .object({
      type: z.literal('ready'),
      lastSeq: z.number().int().min(0).meta({ description: 'highest seq of the session when the replay ended (0 when empty)' }),
      maxMessageBytes: z.number().int().min(1).meta({ description: 'largest frame the server accepts, in UTF-8 bytes (bigger: close 1009)' }),
      epoch,
      presence: z.number().int().min(1).optional().meta({ description: 'open JSON connections of the session, this one included; absent from servers without presence' }),
    })
    .meta({ description: 'sent once on connect, after the replay of `?after=`' }),
  reset: z
    .object({ type: z.literal('reset'), epoch: epoch.meta({ description: 'the session\'s current epoch' }) })
    .meta({ description: 'first, to a client resuming with an epoch that is not the session\'s: drop what you hold; the replay starts from seq 1' }),
  presence: z
    .object({ type: z.literal('presence'), count: z.number().int().min(0) })
    .meta({ description: 'the number of open JSON connections of the session changed (servers with presence)' }),
  error: z
    .object({
      type: z.literal('error'),
      code: z.enum(Object.keys(ERROR_CATALOGUE) as [ErrorCode, ...ErrorCode[]]),
      message: z.string(),
      id: clientIdSchema.nullable().optional().meta({ description: 'the client message id the error is about, when there is one' }),
    })
    .meta({ description: 'a frame not taken (invalid_json, invalid_frame, rate_limited, session_storage_full, storage_unavailable): nothing was stored, the connection stays open' }),
};

const _checks: [
  Same<z.infer<typeof SERVER_FRAME_SCHEMAS.echo>, EchoFrame>,
  Same<z.infer<typeof SERVER_FRAME_SCHEMAS.ready>, ReadyFrame>,
  Same<z.infer<typeof SERVER_FRAME_SCHEMAS.reset>, ResetFrame>,
  Same<z.infer<typeof SERVER_FRAME_SCHEMAS.presence>, PresenceFrame>,
  Same<z.infer<typeof SERVER_FRAME_SCHEMAS.error>, ErrorFrame>,
  // Every frame type has a schema: a new one fails to compile here until it is described.
  Same<keyof typeof SERVER_FRAME_SCHEMAS, ServerFrame['type']>,
] = [true, true, true, true, true, true];
void _checks;
