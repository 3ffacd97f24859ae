/**
 * Schema migrations, applied in order; PRAGMA user_version holds how many ran.
 * Never edit a shipped entry: append a new one.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: sessions and the message log.
  `
  CREATE TABLE sessions (
    pk         INTEGER PRIMARY KEY AUTOINCREMENT, -- never reused, so a deleted session's key can't resurface
    id         TEXT    NOT NULL UNIQUE,
    token_hash BLOB    NOT NULL,                  -- sha256 of the token; the token itself is never stored
    created_at INTEGER NOT NULL                   -- ms since epoch
  ) STRICT;

  -- One clustered integer key per message, (session_pk << 32) | seq: a session's
  -- history is one contiguous range of the table's own b-tree, so paging, replay
  -- and "last seq" are range scans with no secondary index to maintain.
  CREATE TABLE messages (
    session_seq INTEGER PRIMARY KEY,
    session_pk  INTEGER GENERATED ALWAYS AS (session_seq >> 32) VIRTUAL,
    seq         INTEGER GENERATED ALWAYS AS (session_seq & 0xFFFFFFFF) VIRTUAL,
    client_id   TEXT,                             -- client message id (JSON mode), for idempotent resends
    body        TEXT    NOT NULL,
    at          INTEGER NOT NULL                  -- commit time, ms since epoch
  ) STRICT;

  CREATE UNIQUE INDEX messages_client_id ON messages (session_pk, client_id) WHERE client_id IS NOT NULL;
  `,
  // 2: full-text search over message bodies, an external-content FTS5 index
  // (no second copy of the text) kept in sync by triggers in the same
  // transaction as every write.
  `
  CREATE VIRTUAL TABLE messages_fts USING fts5(
    body,
    content = 'messages',
    content_rowid = 'session_seq',
    tokenize = 'unicode61 remove_diacritics 2'
  );
  CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts (rowid, body) VALUES (new.session_seq, new.body);
  END;
  CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', old.session_seq, old.body);
  END;
  CREATE TRIGGER messages_fts_update AFTER UPDATE OF body ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', old.session_seq, old.body);
    INSERT INTO messages_fts (rowid, body) VALUES (new.session_seq, new.body);
  END;
  INSERT INTO messages_fts (messages_fts) VALUES ('rebuild');
  `,
  // 3: retention (per-session limits, and the seq floor that keeps numbering
  // monotonic when old messages are deleted) and the readiness probe's row.
  `
  ALTER TABLE sessions ADD COLUMN seq_floor INTEGER NOT NULL DEFAULT 0; -- highest seq ever removed by retention
  ALTER TABLE sessions ADD COLUMN max_age_ms INTEGER;                   -- per-session retention, NULL: the deployment's
  ALTER TABLE sessions ADD COLUMN max_messages INTEGER;
  CREATE TABLE health (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    checked_at INTEGER NOT NULL
  ) STRICT;
  INSERT INTO health (id, checked_at) VALUES (1, 0);
  `,
  // 4: the search index's inserts move into the append code (see message-log.ts):
  // the per-row trigger cost more than the rest of a message's write.
  `
  DROP TRIGGER messages_fts_insert;
  `,
  // 5: an append-only log. Rows keyed by (session_pk << 32) | seq made every
  // write of a batch land on a different leaf page, one per active session
  // (measured: 4.1 us an insert for 100 interleaved sessions against 1.3 us
  // appending, 20 us at 1,000 sessions), and made the search index's rowids
  // jump, which FTS5 pays for on every row. Now a message is appended at the
  // end of the table; a small index on (session_pk, seq) serves history, and
  // the search index holds a session token column to stay per session.
  // Deleted sessions are purged in the background (deleted_sessions).
  `
  CREATE TABLE messages_v5 (
    id         INTEGER PRIMARY KEY,               -- append order
    session_pk INTEGER NOT NULL,
    seq        INTEGER NOT NULL,                  -- per session, 1, 2, 3, ... assigned at commit
    client_id  TEXT,
    body       TEXT    NOT NULL,
    at         INTEGER NOT NULL
  ) STRICT;
  INSERT INTO messages_v5 (session_pk, seq, client_id, body, at)
    SELECT session_pk, seq, client_id, body, at FROM messages ORDER BY at, session_seq;
  DROP TRIGGER messages_fts_delete;
  DROP TRIGGER messages_fts_update;
  DROP TABLE messages_fts;
  DROP TABLE messages;
  ALTER TABLE messages_v5 RENAME TO messages;
  CREATE UNIQUE INDEX messages_by_session ON messages (session_pk, seq);
  CREATE UNIQUE INDEX messages_client_id ON messages (session_pk, client_id) WHERE client_id IS NOT NULL;

  CREATE VIEW messages_fts_source AS SELECT id, 's' || session_pk AS sid, body FROM messages;
  CREATE VIRTUAL TABLE messages_fts USING fts5(
    sid,                                         -- "s<session_pk>": scopes a search to one session
    body,
    content = 'messages_fts_source',
    content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2',
    -- Cheaper writes (measured: 7.4 -> 5.6 us a message with automerge 8):
    -- no token positions (searches are words and prefixes, never phrases) and
    -- no stored document sizes (bm25 computes them for the few hits it ranks).
    detail = column,
    columnsize = 0
  );
  INSERT INTO messages_fts (messages_fts, rank) VALUES ('automerge', 8);
  CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, sid, body) VALUES ('delete', old.id, 's' || old.session_pk, old.body);
  END;
  CREATE TRIGGER messages_fts_update AFTER UPDATE OF body ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, sid, body) VALUES ('delete', old.id, 's' || old.session_pk, old.body);
    INSERT INTO messages_fts (rowid, sid, body) VALUES (new.id, 's' || new.session_pk, new.body);
  END;
  INSERT INTO messages_fts (messages_fts) VALUES ('rebuild');

  CREATE TABLE deleted_sessions (pk INTEGER PRIMARY KEY) STRICT;
  `,
  // 6: a storage budget per session (MAX_SESSION_BYTES). The append adds a
  // batch's body bytes in the same transaction, once per session per commit
  // (message-log.ts); deletes (retention, purge) give them back through a
  // trigger, so every path that removes rows keeps the count exact.
  `
  ALTER TABLE sessions ADD COLUMN stored_bytes INTEGER NOT NULL DEFAULT 0; -- UTF-8 bytes of the bodies stored
  UPDATE sessions SET stored_bytes =
    (SELECT coalesce(sum(octet_length(body)), 0) FROM messages WHERE messages.session_pk = sessions.pk);
  CREATE TRIGGER messages_release_bytes AFTER DELETE ON messages BEGIN
    UPDATE sessions SET stored_bytes = stored_bytes - octet_length(old.body) WHERE pk = old.session_pk;
  END;
  `,
  // 7: each session's history epoch (domain/epoch.ts), set when the session
  // is created and replaced by a restore (restore.ts); new_epoch() is the
  // function database.ts registers on every connection.
  `
  ALTER TABLE sessions ADD COLUMN epoch TEXT NOT NULL DEFAULT '';
  UPDATE sessions SET epoch = new_epoch();
  `,
  // 8: a search's cost bounded by its session, not by the database. Every
  // indexed term is the session's key, 'x', then the word ("12xhello", from
  // session_terms(), search-terms.ts, registered on every connection by
  // database.ts), so a prefix query ("12xh"*) expands only the terms of its
  // own session: with a session column beside global words (migration 5), a
  // 1-letter prefix merged every matching word's postings in the whole
  // database before the session filter (issue 13: 426 ms for a session of 1
  // message on a database of 400,000). The session column goes: the terms
  // scope themselves.
  `
  DROP TRIGGER messages_fts_delete;
  DROP TRIGGER messages_fts_update;
  DROP TABLE messages_fts;
  DROP VIEW messages_fts_source;
  CREATE VIEW messages_fts_source AS SELECT id, session_terms(session_pk, body) AS terms FROM messages;
  CREATE VIRTUAL TABLE messages_fts USING fts5(
    terms,
    content = 'messages_fts_source',
    content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2',
    detail = column,
    columnsize = 0
  );
  INSERT INTO messages_fts (messages_fts, rank) VALUES ('automerge', 8);
  CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, terms) VALUES ('delete', old.id, session_terms(old.session_pk, old.body));
  END;
  CREATE TRIGGER messages_fts_update AFTER UPDATE OF body ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, terms) VALUES ('delete', old.id, session_terms(old.session_pk, old.body));
    INSERT INTO messages_fts (rowid, terms) VALUES (new.id, session_terms(new.session_pk, new.body));
  END;
  INSERT INTO messages_fts (messages_fts) VALUES ('rebuild');
  `,
  // 9: the storage budget counts what a message costs, not only its body:
  // body and client id bytes plus a per-row overhead of 64
  // (domain/model.ts messageCost; the two must agree).
  `
  DROP TRIGGER messages_release_bytes;
  UPDATE sessions SET stored_bytes = (
    SELECT coalesce(sum(octet_length(body) + coalesce(octet_length(client_id), 0) + 64), 0)
      FROM messages WHERE messages.session_pk = sessions.pk);
  CREATE TRIGGER messages_release_bytes AFTER DELETE ON messages BEGIN
    UPDATE sessions SET stored_bytes = stored_bytes - (octet_length(old.body) + coalesce(octet_length(old.client_id), 0) + 64)
     WHERE pk = old.session_pk;
  END;
  `,
  // 10: the search index moves to a file of its own (search-index.ts),
  // written by a worker thread from the messages' ids, off the append's
  // commit. What stays here: the log of deleted message ids the index has
  // to drop (a row per deleted message, written by the trigger, trimmed once
  // applied), which database this is for an index file (a restore gives it
  // a new source, so a stale index is rebuilt), and the highest id the
  // trimmed log held: message ids are never reused (message-log.ts), or a
  // new message could take an id the index already counts as done.
  `
  DROP TRIGGER messages_fts_delete;
  DROP TRIGGER messages_fts_update;
  DROP TABLE messages_fts;
  DROP VIEW messages_fts_source;
  CREATE TABLE search_forget (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, -- the index applies entries in this order, up to its forgot_upto
    id  INTEGER NOT NULL                   -- a deleted message's id
  ) STRICT;
  CREATE TRIGGER messages_search_forget AFTER DELETE ON messages BEGIN
    INSERT INTO search_forget (id) VALUES (old.id);
  END;
  CREATE TABLE search_meta (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    source   TEXT    NOT NULL,                 -- names this database to its index file
    id_floor INTEGER NOT NULL                  -- highest message id of the trimmed search_forget entries
  ) STRICT;
  INSERT INTO search_meta (id, source, id_floor) VALUES (1, new_epoch(), 0);
  `,
];
