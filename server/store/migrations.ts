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
];
