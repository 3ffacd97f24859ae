import type { z } from 'zod';
import type { ErrorCode } from '../../protocol/errors.js';
import { badRequest } from '../domain/errors.js';

/** What parseQuery can answer. */
export const QUERY_ERRORS = ['invalid_query'] as const satisfies readonly ErrorCode[];

/** Validates a query string against its schema: 400 `invalid_query` naming the field, plus a hint. */
export function parseQuery<T extends z.ZodType>(schema: T, query: unknown, hint: string): z.infer<T> {
  const parsed = schema.safeParse(query);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  throw badRequest('invalid_query', `${String(issue.path[0] ?? 'query')}: ${issue.message} (${hint})`);
}
