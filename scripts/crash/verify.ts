import Database from 'better-sqlite3';
import type { CrashClient } from './client.js';

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export interface Verification {
  /** Rows in the messages table. */
  stored: number;
  /** Messages whose echo some client received and that are not in history (or differ there). */
  lost: number;
  /** Rows beyond the first for a client id (a message stored twice). */
  duplicated: number;
  integrity: string;
  checks: Check[];
}

/** One stored message, as the checks read it (from SQLite here, from PostgreSQL in the cluster run). */
export interface Row {
  sessionId: string;
  seq: number;
  clientId: string | null;
  body: string;
}

const EXAMPLES = 5;
const examples = (items: string[]) =>
  items.slice(0, EXAMPLES).join('; ') + (items.length > EXAMPLES ? `; ... (${items.length} in all)` : '');
const check = (name: string, failures: string[], okDetail: string): Check => ({
  name,
  ok: failures.length === 0,
  detail: failures.length === 0 ? okDetail : examples(failures),
});

/**
 * Reads the database file directly (read-only) and checks history against
 * everything the clients sent and every echo they received.
 */
export function verifyHistory(dbPath: string, sessionIds: readonly string[], clients: readonly CrashClient[]): Verification {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  let rows: Row[];
  let integrity: string;
  try {
    integrity = (db.pragma('integrity_check') as Array<{ integrity_check: string }>).map((r) => r.integrity_check).join('; ');
    rows = db
      .prepare(
        `SELECT s.id AS sessionId, m.seq AS seq, m.client_id AS clientId, m.body AS body
         FROM messages m JOIN sessions s ON s.pk = m.session_pk ORDER BY m.session_pk, m.seq`,
      )
      .all() as Row[];
  } finally {
    db.close();
  }
  return checkHistory(rows, integrity, sessionIds, clients);
}

/**
 * Checks stored rows (ordered by session, then seq) against everything the
 * clients sent and every echo they received. `integrity` is the engine's own
 * check ('ok' when it has none to run).
 */
export function checkHistory(rows: readonly Row[], integrity: string, sessionIds: readonly string[], clients: readonly CrashClient[]): Verification {
  // Stored rows by client id (ids are unique across clients and sessions).
  const byId = new Map<string, Row[]>();
  const withoutId: Row[] = [];
  for (const row of rows) {
    if (row.clientId === null) withoutId.push(row);
    else {
      const found = byId.get(row.clientId);
      if (found) found.push(row);
      else byId.set(row.clientId, [row]);
    }
  }

  // 1. Seqs of each session are exactly 1..N.
  const gaps: string[] = [];
  const perSession = new Map<string, number[]>();
  for (const row of rows) {
    const seqs = perSession.get(row.sessionId);
    if (seqs) seqs.push(row.seq);
    else perSession.set(row.sessionId, [row.seq]);
  }
  for (const [sessionId, seqs] of perSession) {
    let previous = 0;
    for (const seq of seqs) {
      if (seq > previous + 1) gaps.push(`${sessionId}: seq ${previous + 1}${seq - 1 > previous + 1 ? `..${seq - 1}` : ''} missing`);
      else if (seq <= previous) gaps.push(`${sessionId}: seq ${seq} after ${previous}`);
      previous = seq;
    }
  }
  const unknownSessions = [...perSession.keys()].filter((s) => !sessionIds.includes(s));

  // 2. No client id twice.
  const duplicatedIds = [...byId].filter(([, found]) => found.length > 1);
  const duplicated = duplicatedIds.reduce((n, [, found]) => n + found.length - 1, 0);

  // 3. Every message whose echo any client received is stored once, same session, body and seq.
  const sentBy = new Map<string, { client: CrashClient; body: string }>();
  for (const client of clients) for (const [id, body] of client.sent) sentBy.set(id, { client, body });
  const missing: string[] = [];
  const mismatched: string[] = [];
  const lostIds = new Set<string>();
  const echoed = new Set<string>();
  for (const client of clients) {
    for (const [id, echo] of client.seen) {
      echoed.add(id);
      const found = byId.get(id);
      if (!found) {
        lostIds.add(id);
        missing.push(`${id} (echoed to ${client.name} as seq ${echo.seq}) is not in history`);
        continue;
      }
      const row = found[0]!;
      const origin = sentBy.get(id);
      const differences = [
        row.seq !== echo.seq && `${client.name} saw seq ${echo.seq}, stored seq ${row.seq}`,
        row.sessionId !== client.sessionId && `echoed on ${client.sessionId}, stored in ${row.sessionId}`,
        `${row.sessionId}: ${row.body}` !== echo.text && 'echo text differs from the stored body',
        origin !== undefined && origin.body !== row.body && 'stored body differs from the body sent',
      ].filter((d): d is string => typeof d === 'string');
      if (differences.length > 0) {
        lostIds.add(id);
        mismatched.push(`${id}: ${differences.join(', ')}`);
      }
    }
  }

  // 4. Every message sent was acknowledged, and history holds nothing nobody sent.
  const unacknowledged: string[] = [];
  for (const client of clients) {
    for (const id of client.sent.keys()) if (!client.acked.has(id)) unacknowledged.push(`${client.name}: ${id}`);
  }
  const phantoms = [
    ...withoutId.map((r) => `${r.sessionId} seq ${r.seq} has no client id`),
    ...[...byId.keys()].filter((id) => !sentBy.has(id)).map((id) => `${id} was never sent`),
  ];
  const notEchoed = [...byId.keys()].filter((id) => sentBy.has(id) && !echoed.has(id));

  // 5. What each connection received, checked as it arrived.
  const connectionProblems = clients.flatMap((c) => [...c.problems, ...c.connections.flatMap((r) => r.problems)]);

  const checks: Check[] = [
    { name: 'integrity check', ok: integrity === 'ok', detail: integrity },
    check('seqs contiguous 1..N per session', [...gaps, ...unknownSessions.map((s) => `unknown session ${s}`)],
      [...perSession].map(([s, seqs]) => `${s}: 1..${seqs.length}`).join(', ') || 'no rows'),
    check('no client id stored twice', duplicatedIds.map(([id, found]) => `${id} at seqs ${found.map((r) => r.seq).join(',')}`),
      `${byId.size} distinct ids`),
    check('every echoed message stored exactly once', missing, `${echoed.size} echoed ids found`),
    check('echo seq/text equals the stored row', mismatched, 'all equal'),
    check('every sent message acknowledged', unacknowledged, 'all acknowledged'),
    check('history holds only messages the clients sent', phantoms, 'none foreign'),
    check('every stored message was echoed to someone', notEchoed.map((id) => `${id} stored but never echoed`), 'all echoed'),
    check('per-connection delivery: increasing, no gap, no repeat', connectionProblems,
      `${clients.reduce((n, c) => n + c.connections.length, 0)} connections`),
    check('every client reconnected after each kill', clients.flatMap((c) => (c.gaveUp ? [c.gaveUp] : [])), 'all did'),
  ];
  return { stored: rows.length, lost: lostIds.size, duplicated, integrity, checks };
}
