/**
 * PostgreSQL schema migrations, applied in order by database.ts under an
 * advisory lock (one node migrates, the others wait); `schema_version` holds
 * how many ran. Never edit a shipped entry: append a new one.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: sessions, the message log, its search index, the purge list and the readiness probe's row.
  `
  -- unaccent folds accents before the simple dictionary lower-cases; btree_gin lets one GIN
  -- index hold (session_pk, tsv), so a search reads only its own session's postings.
  CREATE EXTENSION IF NOT EXISTS unaccent;
  CREATE EXTENSION IF NOT EXISTS btree_gin;
  CREATE TEXT SEARCH CONFIGURATION session_search (COPY = pg_catalog.simple);
  ALTER TEXT SEARCH CONFIGURATION session_search
    ALTER MAPPING FOR asciiword, word, numword, asciihword, hword, numhword, hword_asciipart, hword_part, hword_numpart
    WITH unaccent, simple;

  CREATE TABLE sessions (
    pk           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, -- never reused: a deleted session's key cannot come back
    id           text   NOT NULL UNIQUE,
    token_hash   bytea  NOT NULL,                                 -- sha256 of the token; the token itself is never stored
    created_at   bigint NOT NULL,                                 -- ms since the epoch
    epoch        text   NOT NULL,
    last_seq     bigint NOT NULL DEFAULT 0,                       -- highest seq ever assigned; retention never lowers it
    stored_bytes bigint NOT NULL DEFAULT 0,                       -- messageCost of the messages stored: body + client id + 64 (MAX_SESSION_BYTES)
    max_age_ms   bigint,                                          -- per-session retention; NULL: the deployment's
    max_messages bigint
  );

  -- No foreign key: a deleted session's rows stay until the purge (deleted_sessions) removes them in batches.
  CREATE TABLE messages (
    session_pk bigint NOT NULL,
    seq        bigint NOT NULL,                                   -- per session, 1, 2, 3, ... numbered from last_seq at commit
    client_id  bytea,                                             -- UTF-8 of the client message id (bytes: text cannot hold U+0000)
    body       text   NOT NULL,                                   -- U+0000 stored as a space, its offsets in nul_at (nul.ts)
    nul_at     int[],
    at         bigint NOT NULL,                                   -- commit time, ms since the epoch
    tsv        tsvector GENERATED ALWAYS AS (to_tsvector('session_search'::regconfig, body)) STORED,
    PRIMARY KEY (session_pk, seq)
  );
  CREATE UNIQUE INDEX messages_client_id ON messages (session_pk, client_id) WHERE client_id IS NOT NULL;
  CREATE INDEX messages_search ON messages USING gin (session_pk, tsv);

  -- Deletes (retention, purge) give a session's bytes back, whichever path removes rows;
  -- the cost must agree with domain/model.ts messageCost (64: MESSAGE_OVERHEAD_BYTES).
  CREATE FUNCTION messages_release_bytes() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    UPDATE sessions s SET stored_bytes = s.stored_bytes - d.bytes
      FROM (SELECT session_pk, sum(octet_length(body) + coalesce(octet_length(client_id), 0) + 64) AS bytes FROM gone GROUP BY session_pk) d
     WHERE s.pk = d.session_pk;
    RETURN NULL;
  END $$;
  CREATE TRIGGER messages_release_bytes AFTER DELETE ON messages
    REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION messages_release_bytes();

  CREATE TABLE deleted_sessions (pk bigint PRIMARY KEY);

  CREATE TABLE health (id int PRIMARY KEY CHECK (id = 1), checked_at bigint NOT NULL);
  INSERT INTO health (id, checked_at) VALUES (1, 0);
  `,
  // 2: per-IP window counters every node shares (window-counters.ts), in the columns rate-limiter-flexible's
  // RateLimiterPostgres reads and writes: key = "<limit>:<ip>", expire in ms since the epoch.
  `
  CREATE TABLE ip_limits (
    key    varchar(255) PRIMARY KEY,
    points integer NOT NULL DEFAULT 0,
    expire bigint
  );
  `,
];
