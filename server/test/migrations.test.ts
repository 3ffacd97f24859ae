import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, expect, it } from 'vitest';
import { messageCost } from '../domain/model.js';
import { createLogger } from '../logger.js';
import { openDatabase } from '../store/sqlite/database.js';
import { createSqliteStore } from '../store/sqlite/index.js';
import { MIGRATIONS } from '../store/sqlite/migrations.js';
import { tempDir } from './harness.js';

let folder: ReturnType<typeof tempDir> | undefined;
afterEach(() => folder?.remove());

it('upgrades a version-4 database (session-clustered keys) to the append-only log, keeping every message', async () => {
  folder = tempDir();
  const path = join(folder.dir, 'app.db');
  const old = new Database(path);
  old.pragma('journal_mode = WAL');
  for (const sql of MIGRATIONS.slice(0, 4)) old.exec(sql);
  old.pragma('user_version = 4');
  const addSession = old.prepare('INSERT INTO sessions (id, token_hash, created_at) VALUES (?, ?, 0)');
  const addMessage = old.prepare('INSERT INTO messages (session_seq, client_id, body, at) VALUES ((? << 32) | ?, ?, ?, ?)');
  addSession.run('alpha', Buffer.alloc(32));
  addSession.run('beta', Buffer.alloc(32));
  for (let seq = 1; seq <= 3; seq++) {
    addMessage.run(1, seq, `a${seq}`, `alpha says hello ${seq}`, 1000 + seq);
    addMessage.run(2, seq, null, `beta says goodbye ${seq}`, 1000 + seq);
  }
  old.close();

  const db = openDatabase(path);
  const store = createSqliteStore(db, { logger: createLogger({ level: 'silent', format: 'json' }) });
  try {
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    const alpha = (await store.sessions.findById('alpha'))!;
    const beta = (await store.sessions.findById('beta'))!;
    expect((await store.messages.page(alpha.pk, 2 ** 32, 10)).messages).toEqual([
      { seq: 1, clientId: 'a1', body: 'alpha says hello 1', at: 1001 },
      { seq: 2, clientId: 'a2', body: 'alpha says hello 2', at: 1002 },
      { seq: 3, clientId: 'a3', body: 'alpha says hello 3', at: 1003 },
    ]);
    expect(await store.messages.lastSeq(beta.pk)).toBe(3);
    // The rebuilt search index is per session, and new messages continue the numbering.
    expect((await store.search.search(beta.pk, 'goodbye', 10, 0)).hits.map((h) => h.seq)).toEqual([3, 2, 1]);
    expect((await store.search.search(alpha.pk, 'goodbye', 10, 0)).hits).toEqual([]);
    expect((await store.messages.append([{ sessionPk: alpha.pk, clientId: 'a1', body: 'resent' }]))[0]).toMatchObject({ seq: 1, duplicate: true });
    expect((await store.messages.append([{ sessionPk: alpha.pk, clientId: null, body: 'new' }]))[0]).toMatchObject({ seq: 4 });
    // Migrations 6 and 8 counted what was already stored as messageCost does (the budget's starting point).
    const storedBytes = db.prepare<[number], number>('SELECT stored_bytes FROM sessions WHERE pk = ?').pluck();
    expect(storedBytes.get(beta.pk)).toBe(3 * messageCost(null, 'beta says goodbye 1'));
    expect(storedBytes.get(alpha.pk)).toBe(3 * messageCost('a1', 'alpha says hello 1') + messageCost(null, 'new'));
    // The delete trigger gives back exactly what was counted.
    db.prepare('DELETE FROM messages WHERE session_pk = ? AND seq = 1').run(alpha.pk);
    expect(storedBytes.get(alpha.pk)).toBe(2 * messageCost('a1', 'alpha says hello 1') + messageCost(null, 'new'));
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
  } finally {
    await store.close();
  }
});
