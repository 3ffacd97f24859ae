import Database from 'better-sqlite3';

export interface SeedOptions {
  /** Commit time of the first message, ms since epoch; each next one is `stepMs` later. */
  firstAt?: number;
  stepMs?: number;
  body?: (seq: number) => string;
  /** Exact commit times, one per message (overrides firstAt/stepMs and sets the count). */
  times?: readonly number[];
}

/**
 * Writes `count` messages (seq 1..count) of a registered, still empty session
 * straight into the server's SQLite file, in one transaction: 100,000 rows
 * take about a second, where sending them would take minutes. Do it before
 * the session's first WebSocket connection (the server caches a session's
 * last seq on first use). The server's search worker indexes them on its own
 * (server/store/sqlite/search-index.ts), like its own appends.
 */
export function seedMessages(dbPath: string, sessionId: string, count: number, options: SeedOptions = {}): void {
  const { stepMs = 60_000, body = (seq) => `message ${seq}`, times } = options;
  const total = times?.length ?? count;
  const firstAt = options.firstAt ?? Date.now() - total * stepMs;
  const db = new Database(dbPath);
  try {
    db.pragma('busy_timeout = 5000');
    const pk = db.prepare<[string], number>('SELECT pk FROM sessions WHERE id = ?').pluck().get(sessionId);
    if (pk === undefined) throw new Error(`no session ${sessionId} in ${dbPath}: register it first`);
    const insert = db.prepare<[number, number, string, number]>(
      'INSERT INTO messages (session_pk, seq, client_id, body, at) VALUES (?, ?, NULL, ?, ?)',
    );
    db.transaction(() => {
      for (let seq = 1; seq <= total; seq++) insert.run(pk, seq, body(seq), times?.[seq - 1] ?? firstAt + (seq - 1) * stepMs);
    })();
  } finally {
    db.close();
  }
}
