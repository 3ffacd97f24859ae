import type { SessionRecord } from '../domain/model.js';

/** A row of the sessions table, the same columns in every store's schema. */
export interface SessionRow {
  pk: number;
  id: string;
  token_hash: Buffer;
  created_at: number;
  epoch: string;
  max_age_ms: number | null;
  max_messages: number | null;
}

export const SESSION_COLUMNS = 'pk, id, token_hash, created_at, epoch, max_age_ms, max_messages';

export const toSessionRecord = (row: SessionRow): SessionRecord => ({
  pk: row.pk,
  id: row.id,
  tokenHash: row.token_hash,
  createdAt: row.created_at,
  epoch: row.epoch,
  retention: { maxAgeMs: row.max_age_ms, maxMessages: row.max_messages },
});
