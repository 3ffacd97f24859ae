/**
 * Benchmark variant (c), the naive design: `ws` + better-sqlite3 with a TEXT
 * session key, an autoincrement rowid table with UNIQUE(session, seq), WAL,
 * synchronous FULL, and one INSERT (its own implicit transaction, so one
 * fsync) per message before its echo. No auth (see echo-server.ts).
 */
import Database from 'better-sqlite3';
import { startEchoServer } from './echo-server.js';

const db = new Database(process.env.NAIVE_DB_PATH ?? ':memory:');
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.exec(`
  CREATE TABLE IF NOT EXISTS messages (
    id      INTEGER PRIMARY KEY,
    session TEXT    NOT NULL,
    seq     INTEGER NOT NULL,
    body    TEXT    NOT NULL,
    at      INTEGER NOT NULL,
    UNIQUE (session, seq)
  );
`);
const insert = db.prepare<[string, number, string, number]>(
  'INSERT INTO messages (session, seq, body, at) VALUES (?, ?, ?, ?)',
);
const maxSeq = db.prepare<[string], { seq: number | null }>('SELECT MAX(seq) AS seq FROM messages WHERE session = ?');
const lastSeq = new Map<string, number>();

function nextSeq(session: string): number {
  const seq = (lastSeq.get(session) ?? maxSeq.get(session)?.seq ?? 0) + 1;
  lastSeq.set(session, seq);
  return seq;
}

// Every echoed message is already committed: closing the DB is all there is to flush.
startEchoServer(
  (ws, id, body) => {
    try {
      insert.run(id, nextSeq(id), body, Date.now());
    } catch {
      lastSeq.delete(id);
      return ws.close(1011, 'storage unavailable');
    }
    ws.send(`${id}: ${body}`);
  },
  () => db.close(),
);
