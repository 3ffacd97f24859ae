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
  // 3: an append batch in one round trip (message-log.ts): lock, number, check, insert and raise last_seq in one
  // statement, instead of six (BEGIN, lock, originals, insert, update, COMMIT) that cost each node CPU per batch.
  `
  -- Items are parallel arrays, in the batch's order; one row per item comes back, in that order:
  -- status 0 stored (o_seq), 1 duplicate (the original's columns), 2 session gone, 3 over p_max_bytes.
  -- The caller folds a resend of a client id already earlier in the same batch into that item (message-log.ts).
  CREATE FUNCTION wss_append(p_pk bigint[], p_client_id bytea[], p_body text[], p_nul_at text[], p_cost bigint[], p_at bigint, p_max_bytes bigint)
  RETURNS TABLE (o_status smallint, o_seq bigint, o_client_id bytea, o_body text, o_nul_at int[], o_at bigint)
  LANGUAGE plpgsql AS $$
  DECLARE
    u bigint[]; u_seq bigint[]; u_bytes bigint[]; u_changed boolean[];
    ins_pk bigint[] := '{}'; ins_seq bigint[] := '{}'; ins_cid bytea[] := '{}'; ins_body text[] := '{}'; ins_nul text[] := '{}';
    n int := 0; k int;
  BEGIN
    -- Locked in key order: two nodes' batches never deadlock. Client ids are then read under the lock.
    SELECT coalesce(array_agg(s.pk), '{}'), coalesce(array_agg(s.last_seq), '{}'), coalesce(array_agg(s.stored_bytes), '{}')
      INTO u, u_seq, u_bytes
      FROM (SELECT pk, last_seq, stored_bytes FROM sessions WHERE pk = ANY(p_pk) ORDER BY pk FOR UPDATE) s;
    u_changed := array_fill(false, ARRAY[coalesce(array_length(u, 1), 0)]);
    FOR i IN 1 .. coalesce(array_length(p_pk, 1), 0) LOOP
      o_seq := NULL; o_client_id := NULL; o_body := NULL; o_nul_at := NULL; o_at := NULL;
      k := array_position(u, p_pk[i]);
      IF k IS NULL THEN
        o_status := 2; RETURN NEXT; CONTINUE;
      END IF;
      IF p_client_id[i] IS NOT NULL THEN
        SELECT m.seq, m.client_id, m.body, m.nul_at, m.at INTO o_seq, o_client_id, o_body, o_nul_at, o_at
          FROM messages m WHERE m.session_pk = p_pk[i] AND m.client_id = p_client_id[i];
        IF FOUND THEN
          o_status := 1; RETURN NEXT; CONTINUE;
        END IF;
      END IF;
      IF p_max_bytes > 0 AND u_bytes[k] + p_cost[i] > p_max_bytes THEN
        o_status := 3; RETURN NEXT; CONTINUE;
      END IF;
      u_seq[k] := u_seq[k] + 1; u_bytes[k] := u_bytes[k] + p_cost[i]; u_changed[k] := true;
      n := n + 1;
      ins_pk[n] := p_pk[i]; ins_seq[n] := u_seq[k]; ins_cid[n] := p_client_id[i]; ins_body[n] := p_body[i]; ins_nul[n] := p_nul_at[i];
      o_status := 0; o_seq := u_seq[k]; RETURN NEXT;
    END LOOP;
    IF n > 0 THEN
      INSERT INTO messages (session_pk, seq, client_id, body, nul_at, at)
        SELECT x.pk, x.seq, x.cid, x.body, x.nul::int[], p_at FROM unnest(ins_pk, ins_seq, ins_cid, ins_body, ins_nul) AS x(pk, seq, cid, body, nul);
      UPDATE sessions s SET last_seq = x.last_seq, stored_bytes = x.bytes
        FROM unnest(u, u_seq, u_bytes, u_changed) AS x(pk, last_seq, bytes, changed) WHERE x.changed AND s.pk = x.pk;
    END IF;
  END $$;
  `,
  // 4: the cluster's key (bus/seal.ts): nodes seal the messages a hint carries with it, so only a node that can
  // read this table opens them. 32 bytes from two gen_random_uuid() (core since PostgreSQL 13, strong random;
  // 244 random bits) through sha256(): no extension needed.
  `
  CREATE TABLE bus_key (
    id  int   PRIMARY KEY CHECK (id = 1),
    key bytea NOT NULL CHECK (octet_length(key) = 32)
  );
  INSERT INTO bus_key (id, key) VALUES (1, sha256(convert_to(gen_random_uuid()::text || gen_random_uuid()::text, 'UTF8')));
  `,
];
