-- assetmap schema, version 2: idempotency keys, so that a write retried with the same
-- Idempotency-Key is made once.
--
-- A row is inserted in the same transaction as the write it belongs to (after the change-feed
-- lock is taken), so it exists exactly when the write does: a client whose answer was lost —
-- even with the connection lost during COMMIT — retries with the same key and is either given
-- the kept answer (the write was saved) or has the write made now (it was not).
--
-- Only what a retry needs is kept: the key, a fingerprint of the request, the answer, and
-- when. Every write deletes the rows whose expires_at has passed (the server sets it from
-- its idempotency_key_hours setting, 24 hours by default).

CREATE TABLE idempotency_keys (
    -- The client's Idempotency-Key: 1 to 255 visible ASCII characters (checked by the server).
    -- Global: there is one writer (the admin token).
    key         text COLLATE "C" PRIMARY KEY,
    -- Hex SHA-256 of the request's method, path, If-Match and body.
    fingerprint text NOT NULL,
    -- The answer given: status, Location and ETag headers, body ('' for none).
    status      smallint NOT NULL CHECK (status BETWEEN 100 AND 599),
    location    text,
    etag        text,
    body        text NOT NULL,
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL
);

-- The purge on every write: DELETE … WHERE expires_at <= now().
CREATE INDEX idempotency_keys_expires_idx ON idempotency_keys (expires_at);
