/**
 * Benchmark variant (c), the naive design: `ws` + better-sqlite3 with a TEXT
 * session key, an autoincrement rowid table with UNIQUE(session, seq), WAL,
 * synchronous FULL, and one INSERT (its own implicit transaction, so one
 * fsync) per message before its echo. No auth. Prints {"port":N} when
 * listening; SIGTERM/SIGINT stop it.
 */
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import Database from 'better-sqlite3';
import { WebSocketServer, type WebSocket } from 'ws';

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

function sessionIdOf(req: IncomingMessage): string {
  const path = (req.url ?? '/').split('?', 1)[0]!;
  return decodeURIComponent(path.startsWith('/ws/') ? path.slice(4) : path.slice(1));
}

const wss = new WebSocketServer({
  host: process.env.HOST ?? '127.0.0.1',
  port: Number(process.env.PORT ?? 0),
  perMessageDeflate: false,
  clientTracking: false,
  maxPayload: 64 * 1024,
});

wss.on('connection', (ws: WebSocket, req: IncomingMessage) => {
  const id = sessionIdOf(req);
  ws.on('message', (data, isBinary) => {
    if (isBinary) return ws.close(1003, 'text only');
    const body = (data as Buffer).toString('utf8');
    try {
      insert.run(id, nextSeq(id), body, Date.now());
    } catch {
      lastSeq.delete(id);
      return ws.close(1011, 'storage unavailable');
    }
    ws.send(`${id}: ${body}`);
  });
  ws.on('error', () => ws.terminate());
});

wss.on('listening', () => {
  process.stdout.write(`${JSON.stringify({ port: (wss.address() as AddressInfo).port })}\n`);
});

// Every echoed message is already committed: closing the DB is all there is to flush.
const stop = () => {
  db.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
