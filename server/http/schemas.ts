/**
 * The zod schemas of the HTTP API, one per edge: the routes validate with the
 * request schemas, and the OpenAPI document (openapi.ts) is generated from
 * the same objects, so the document cannot describe another API than the one
 * that answers. The response schemas are the wire types of protocol/wire.ts,
 * checked against them at compile time (`Same` below).
 */
import { z } from 'zod';
import { ERROR_CATALOGUE, type ApiErrorBody, type ErrorCode } from '../../protocol/errors.js';
import { SESSION_ID_PATTERN, SESSION_ID_RULE } from '../../protocol/session-id.js';
import { SEQ_MAX, type HistoryPage, type RegisteredSession, type SearchPage, type SessionInfo } from '../../protocol/wire.js';
import type { Same } from '../same-type.js';

const invalidId = `invalid session ID: ${SESSION_ID_RULE}`;
const sessionIdSchema = z
  .string({ error: invalidId })
  .regex(SESSION_ID_PATTERN, invalidId)
  .meta({ id: 'SessionId', description: SESSION_ID_RULE, example: '0101' });

/** `:id` of every session route. */
export const sessionPathSchema = z.object({ id: sessionIdSchema });

// Requests.

/** A registration, from the JSON body of POST /api/sessions or the query of GET /stream; no id: one is generated. */
export const registrationSchema = z.object({ id: sessionIdSchema.nullish() }).loose();

const HISTORY_PAGE_DEFAULT = 50;
export const HISTORY_PAGE_MAX = 500;
export const pageQuerySchema = z.object({
  before: z.coerce.number().int().min(1).max(SEQ_MAX + 1).optional().meta({ description: 'page of the messages before this seq (the first seq of the newer page)' }),
  limit: z.coerce.number().int().min(1).max(HISTORY_PAGE_MAX).default(HISTORY_PAGE_DEFAULT).meta({ description: 'messages per page' }),
});

export const SEARCH_PAGE_MAX = 100;
export const searchQuerySchema = z.object({
  // Not trimmed: any non-empty text is a query, and one without a word (spaces, `!!!`) finds nothing, as the index splits it.
  q: z.string().min(1).max(200).meta({ description: 'words to find, all of them; the last one is a prefix' }),
  limit: z.coerce.number().int().min(1).max(SEARCH_PAGE_MAX).default(20),
  offset: z.coerce.number().int().min(0).max(10_000).default(0),
});

export const exportQuerySchema = z.object({ format: z.enum(['ndjson', 'csv']).default('ndjson') });

export const DAY_MS = 24 * 60 * 60 * 1000;
/** A settings change; null clears a session's own limit, an absent field keeps it. */
export const settingsSchema = z
  .object({
    retention: z
      .object({
        // Stored in whole ms: a positive age that rounds to 0 would be stored as "no limit".
        maxAgeDays: z
          .number()
          .max(36_500)
          .refine((days) => Math.round(days * DAY_MS) >= 1, 'must be at least 1 ms (1.2e-8 days)')
          .nullable()
          .optional(),
        maxMessages: z.number().int().positive().max(SEQ_MAX).nullable().optional(),
      })
      .strict(),
  })
  .strict()
  .meta({ id: 'SettingsChange' });

// Responses.

const isoTime = z.string().meta({ format: 'date-time', description: 'ISO 8601' });

export const registeredSessionSchema = z
  .object({ id: z.string(), token: z.string().meta({ description: '256 random bits, base64url: the session' }), createdAt: isoTime })
  .meta({ id: 'RegisteredSession' });

const historyMessageShape = {
  seq: z.number().int().min(1),
  id: z.string().nullable().meta({ description: 'the client message id, or null' }),
  body: z.string(),
  text: z.string().meta({ description: '"<ID>: <body>"' }),
  at: isoTime,
};
export const historyMessageSchema = z.object(historyMessageShape).meta({ id: 'HistoryMessage' });
export const historyPageSchema = z
  .object({ messages: z.array(historyMessageSchema).meta({ description: 'ascending by seq' }), hasMore: z.boolean() })
  .meta({ id: 'HistoryPage' });

export const searchPageSchema = z
  .object({
    results: z.array(
      z
        .object({
          ...historyMessageShape,
          snippet: z.array(z.object({ text: z.string(), match: z.boolean() })).meta({ description: 'joined, exactly a slice of body' }),
          elidedBefore: z.boolean(),
          elidedAfter: z.boolean(),
        })
        .meta({ id: 'SearchResult' }),
    ),
    hasMore: z.boolean(),
  })
  .meta({ id: 'SearchPage' });

const retentionViewSchema = z
  .object({ maxAgeDays: z.number().nullable(), maxMessages: z.number().int().nullable() })
  .meta({ id: 'Retention', description: 'null: no limit of this kind' });
export const sessionInfoSchema = z
  .object({ id: z.string(), createdAt: isoTime, lastSeq: z.number().int().min(0), retention: retentionViewSchema, effectiveRetention: retentionViewSchema })
  .meta({ id: 'SessionInfo' });

export const statusSchema = z.object({ status: z.string() });

/** `{"error":{"code","message"}}` with the codes a response may carry. */
export function errorBodySchema(codes: readonly ErrorCode[] = Object.keys(ERROR_CATALOGUE) as ErrorCode[]) {
  return z.object({ error: z.object({ code: z.enum(codes as [ErrorCode, ...ErrorCode[]]), message: z.string() }) });
}

const _checks: [
  Same<z.infer<typeof registeredSessionSchema>, RegisteredSession>,
  Same<z.infer<typeof historyPageSchema>, HistoryPage>,
  Same<z.infer<typeof searchPageSchema>, SearchPage>,
  Same<z.infer<typeof sessionInfoSchema>, SessionInfo>,
  Same<z.infer<ReturnType<typeof errorBodySchema>>, ApiErrorBody>,
] = [true, true, true, true, true];
void _checks;
