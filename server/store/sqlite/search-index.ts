/**
 * The search index lives in a database file of its own beside the messages
 * (`<db>.search`), written by one worker thread (search-worker.ts) that
 * catches up from the messages' ids, never inside an append: a commit
 * writes its rows and nothing else. Before (migrations 2 to 9) the index was
 * filled in the append's own transaction, and its upkeep ran there too:
 * 16 of a message's 68 us of server CPU at 10,000 msg/s, and FTS5's
 * automerge, 14 to 23 ms commits back to back, the echo's p99 tail (README,
 * "Issue 13"). Retention's deletes paid a FTS5 delete a row.
 *
 * It is crash-consistent because it is derived: the index file records how
 * far it has read (`indexed_upto`, the last message id indexed, and
 * `forgot_upto`, the last entry of the messages database's `search_forget`
 * log it has applied) in the same transaction as the entries, so after any
 * crash it goes on from there. A file that belongs to another messages
 * database (a restore gives the messages database a new search_meta.source), of
 * another layout, or unreadable is dropped and rebuilt from the messages.
 *
 * Message ids are never reused (message-log.ts), so "every id above
 * indexed_upto" is exactly what is not indexed yet, and a forgotten id never
 * names a later message.
 */
import Database from 'better-sqlite3';
import type { Db } from './database.js';
import { removeDatabaseFiles } from './folder.js';

/** Version of the layout below; a file of another version is rebuilt. */
const LAYOUT_VERSION = 1;

/**
 * The FTS5 table. Contentless (the text is in the messages database, the
 * index keeps only terms), with contentless_delete so a forgotten message is
 * dropped by its rowid alone (SQLite 3.43+). detail=column: no token
 * positions (searches are words and prefixes, never phrases). The terms are
 * scoped to their session (search-terms.ts). columnsize stays on: bm25 needs
 * document sizes and a contentless table cannot compute them from content.
 */
export const INDEX_TABLE_SQL = `CREATE VIRTUAL TABLE search.fts USING fts5(
  terms,
  content = '',
  contentless_delete = 1,
  tokenize = 'unicode61 remove_diacritics 2',
  detail = column
)`;

const LAYOUT = `
  ${INDEX_TABLE_SQL};
  INSERT INTO search.fts (fts, rank) VALUES ('automerge', 8);
  CREATE TABLE search.state (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    source      TEXT    NOT NULL,  -- the messages database's search_meta.source: which database this indexes
    indexed_upto INTEGER NOT NULL, -- every message id up to this one is indexed
    forgot_upto INTEGER NOT NULL   -- every search_forget entry up to this seq is applied
  ) STRICT;
`;

/** Where the index of the messages database at `dbPath` lives. */
export const indexPath = (dbPath: string): string => `${dbPath}.search`;

/** Removes the index of the messages database at `dbPath` (its file, WAL and shared memory): it is rebuilt from the messages. */
export const removeIndexFiles = (dbPath: string): void => removeDatabaseFiles(indexPath(dbPath));

/**
 * Attaches the index file of `dbPath` as `search` to a connection of the
 * messages database; opened `readonly`, the attached file is read-only too
 * (SQLite opens attached files with the main one's flags). That is why the
 * writer's connection (search-worker.ts) opens the messages read-write, and
 * only reads them.
 */
export function attachIndex(db: Db, dbPath: string): void {
  db.prepare('ATTACH ? AS search').run(indexPath(dbPath));
}

/**
 * What the writer of the index does when it starts: attaches the index as
 * `search` (the file of `dbPath`, created if missing, or for an in-memory
 * messages database `:memory:` in the same connection) and keeps it only if
 * it is of this layout and of this messages database; otherwise (another
 * layout, a restored or replaced messages database, a file SQLite cannot
 * read) the file is removed and the index starts from nothing. Needs the
 * messages' tables visible by their plain names.
 */
export function openIndex(db: Db, dbPath: string | ':memory:'): { rebuilt: boolean } {
  const source = db.prepare('SELECT source FROM search_meta').pluck().get() as string;
  const file = dbPath === ':memory:' ? ':memory:' : indexPath(dbPath);
  let current: { source: string; indexed_upto: number; forgot_upto: number } | undefined;
  try {
    db.prepare('ATTACH ? AS search').run(file);
    if (db.pragma('search.user_version', { simple: true }) === LAYOUT_VERSION) {
      current = db.prepare('SELECT source, indexed_upto, forgot_upto FROM search.state').get() as typeof current;
    }
  } catch (err) {
    // Unreadable (not a database, damaged): rebuilt below. Anything else (busy, no file handles) is not the file's fault.
    if (!isDamaged(err)) throw err;
  }
  // The index is derived: after a power loss it may lose its last chunks, never its consistency (WAL), and goes on from its state.
  const settle = (rebuilt: boolean) => {
    db.pragma('search.synchronous = NORMAL');
    return { rebuilt };
  };
  if (current?.source === source && !outOfStep(db, current.indexed_upto, current.forgot_upto)) return settle(false);
  if (db.prepare("SELECT 1 FROM pragma_database_list WHERE name = 'search'").get() !== undefined) db.exec('DETACH search');
  if (file !== ':memory:') removeIndexFiles(dbPath);
  db.prepare('ATTACH ? AS search').run(file);
  db.pragma('search.journal_mode = WAL');
  db.transaction(() => {
    db.exec(LAYOUT);
    // Deletes logged before this index existed name rows it never held.
    db.prepare(`INSERT INTO search.state (id, source, indexed_upto, forgot_upto)
                VALUES (1, ?, 0, (SELECT coalesce(max(seq), 0) FROM search_forget))`).run(source);
    db.pragma(`search.user_version = ${LAYOUT_VERSION}`);
  })();
  return settle(true);
}

/**
 * Removes the index file of `dbPath` when it belongs to another database or
 * is out of step with it (outOfStep), before the
 * store takes its first write: the worker starts a moment later, and by then
 * new messages could have taken the ids the stale index counts as done.
 * `db` is the store's own connection. A file SQLite cannot read is left to
 * the worker, which rebuilds it (openIndex).
 */
export function dropStaleIndex(db: Db, dbPath: string): void {
  let state: { source: string; indexed_upto: number; forgot_upto: number } | undefined;
  try {
    const index = new Database(indexPath(dbPath), { readonly: true, fileMustExist: true });
    try {
      state = index.prepare('SELECT source, indexed_upto, forgot_upto FROM state').get() as typeof state;
    } finally {
      index.close();
    }
  } catch {
    return; // missing, or unreadable: the worker makes or rebuilds it
  }
  const source = db.prepare('SELECT source FROM search_meta').pluck().get() as string;
  if (state && (state.source !== source || outOfStep(db, state.indexed_upto, state.forgot_upto))) removeIndexFiles(dbPath);
}

/** SQLite's own word that a file is not a database, or a damaged one: such an index is dropped and rebuilt. */
export function isDamaged(err: unknown): boolean {
  const sqliteCode = (err as { code?: unknown }).code;
  return typeof sqliteCode === 'string' && (sqliteCode === 'SQLITE_NOTADB' || sqliteCode.startsWith('SQLITE_CORRUPT'));
}

/**
 * Whether the index is out of step with the messages database under the
 * same source: it has read further than the database has ever gone (the
 * database went back in time: a file copied over DB_PATH instead of `npm
 * run restore`, DB_SYNC=normal and a power loss; its entries past that point
 * name ids that new messages will take), or it is older than the delete
 * log's trimmed part (an old index file copied back: deletes it never
 * applied are gone from the log, and their words would stay in it).
 */
function outOfStep(db: Db, indexedUpTo: number, forgotUpTo: number): boolean {
  const highest = db
    .prepare<[], { ids: number; seq: number; trimmed: number }>(
      `SELECT max(coalesce((SELECT max(id) FROM messages), 0), (SELECT id_floor FROM search_meta),
                  coalesce((SELECT max(id) FROM search_forget), 0)) AS ids,
              coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'search_forget'), 0) AS seq,
              coalesce((SELECT min(seq) - 1 FROM search_forget),
                       (SELECT seq FROM sqlite_sequence WHERE name = 'search_forget'), 0) AS trimmed`,
    )
    .get()!;
  return indexedUpTo > highest.ids || forgotUpTo > highest.seq || forgotUpTo < highest.trimmed;
}

/**
 * Whether the index attached as `search` is itself damaged (its b-trees, or
 * FTS5's structure in them): an error of SQLite's that says corrupt may come
 * from the messages database instead, and rebuilding a sound index for
 * that would start over and fail at the same row, again and again.
 */
export function indexIsDamaged(db: Db): boolean {
  try {
    if (db.pragma('search.quick_check', { simple: true }) !== 'ok') return true;
    db.exec("INSERT INTO search.fts (fts, rank) VALUES ('integrity-check', 0)");
    return false;
  } catch (err) {
    return isDamaged(err);
  }
}

export interface IndexProgress {
  /** Every message id up to this one is in the index. */
  indexedUpTo: number;
  /** Every search_forget entry up to this seq is applied. */
  forgotUpTo: number;
}

/**
 * At most this many rows, and about this many bytes of message text, per
 * transaction of the writer: 2,000 messages of 64 bytes take a few ms, and
 * so does 1 MiB of big ones (2,000 of 64 KiB took 2.2 s in one chunk, past
 * a search's budget and the pool's grace, so the worker was killed mid-chunk
 * again and again). A search waiting on a chunk waits little.
 */
export const CHUNK_ROWS = 2000;
const CHUNK_BYTES = 1024 * 1024;

/**
 * The index's writer, over a connection with the messages and the index
 * (`search`) attached and openIndex done. `catchUp(target, deadline)`
 * applies the deletes logged since the last call and indexes new messages,
 * CHUNK_ROWS a transaction, until every id up to `target` (default: all
 * there are) is in, or until `deadline` (performance.now() ms) passes
 * between two chunks; `done` says whether it got there.
 */
export function createIndexWriter(db: Db) {
  const state = db.prepare<[], IndexProgress>('SELECT indexed_upto AS indexedUpTo, forgot_upto AS forgotUpTo FROM search.state');
  const forgetUpTo = db.prepare<[number, number], number>('SELECT coalesce(max(seq), 0) FROM (SELECT seq FROM search_forget WHERE seq > ? ORDER BY seq LIMIT ?)').pluck();
  const forget = db.prepare<[number, number]>('DELETE FROM search.fts WHERE rowid IN (SELECT id FROM search_forget WHERE seq > ? AND seq <= ?)');
  // octet_length() reads a row's size from its record header, not its text.
  const sizes = db.prepare<[number, number], [number, number]>('SELECT id, octet_length(body) FROM messages WHERE id > ? ORDER BY id LIMIT ?').raw();
  /** The last id of the next chunk: up to CHUNK_ROWS rows and, past the first, CHUNK_BYTES of text. */
  const chunkEnd = (after: number): number => {
    let end = after;
    let bytes = 0;
    for (const [id, size] of sizes.iterate(after, CHUNK_ROWS)) {
      bytes += size;
      if (end > after && bytes > CHUNK_BYTES) break;
      end = id;
    }
    return end;
  };
  // One statement a chunk: FTS5 flushes its pending terms at the end of every statement.
  const index = db.prepare<[number, number]>('INSERT INTO search.fts (rowid, terms) SELECT id, session_terms(session_pk, body) FROM messages WHERE id > ? AND id <= ?');
  const save = db.prepare<[number, number]>('UPDATE search.state SET indexed_upto = ?, forgot_upto = ?');

  /**
   * One transaction: up to CHUNK_ROWS deletes applied and, unless
   * `deletesOnly`, up to CHUNK_ROWS messages indexed; null when there was
   * nothing to do.
   */
  const step = db.transaction((deletesOnly: boolean): IndexProgress | null => {
    const { indexedUpTo, forgotUpTo } = state.get()!;
    const forgot = Math.max(forgetUpTo.get(forgotUpTo, CHUNK_ROWS)!, forgotUpTo);
    if (forgot > forgotUpTo) forget.run(forgotUpTo, forgot);
    const end = deletesOnly ? indexedUpTo : chunkEnd(indexedUpTo);
    if (end > indexedUpTo) index.run(indexedUpTo, end);
    if (forgot === forgotUpTo && end === indexedUpTo) return null;
    save.run(end, forgot);
    return { indexedUpTo: end, forgotUpTo: forgot };
  });

  const newestForget = db.prepare<[], number>('SELECT coalesce(max(seq), 0) FROM search_forget').pluck();

  return {
    progress: (): IndexProgress => state.get()!,
    /** The seq of the newest delete logged: `applyDeletes`' target for "every delete so far". */
    deletesLogged: (): number => newestForget.get()!,
    /**
     * Applies the logged deletes up to seq `target` and nothing else
     * (retention waits on this: how fast messages arrive must not hold it
     * up), CHUNK_ROWS a transaction, until there or until `deadline` passes
     * between two.
     */
    applyDeletes(target: number, deadline = Infinity): IndexProgress & { done: boolean } {
      while (state.get()!.forgotUpTo < target && step(true)) {
        if (performance.now() > deadline) return { ...state.get()!, done: false };
      }
      return { ...state.get()!, done: true };
    },
    catchUp(target = Infinity, deadline = Infinity): IndexProgress & { done: boolean } {
      for (;;) {
        // Deferred, not IMMEDIATE: that would ask for a write lock on the read-only messages database too.
        const now = step(false);
        if (now === null) return { ...state.get()!, done: true };
        if (now.indexedUpTo >= target) return { ...now, done: true };
        if (performance.now() > deadline) return { ...now, done: false };
      }
    },
  };
}
