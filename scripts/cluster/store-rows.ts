/** What the run reads back from the cluster's PostgreSQL database once the nodes are stopped. */
import pg from 'pg';
import type { Row } from '../crash/verify.js';

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

/** Every stored message, by session then seq (client ids are stored as UTF-8 bytes). */
export function storedRows(url: string): Promise<Row[]> {
  return query<Row>(
    url,
    `SELECT s.id AS "sessionId", m.seq::int AS seq, convert_from(m.client_id, 'UTF8') AS "clientId", m.body
     FROM messages m JOIN sessions s ON s.pk = m.session_pk ORDER BY m.session_pk, m.seq`,
  );
}

/** Each session's last_seq. */
export async function lastSeqs(url: string): Promise<Map<string, number>> {
  const rows = await query<{ id: string; last_seq: number }>(url, 'SELECT id, last_seq::int AS last_seq FROM sessions');
  return new Map(rows.map((r) => [r.id, r.last_seq]));
}
