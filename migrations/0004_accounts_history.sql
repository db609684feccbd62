-- assetmap schema, version 4: the history, and the people who keep the map.
--
-- The change feed becomes each asset's history: every row also keeps who made the change
-- (actor: the account id, NULL for the bootstrap admin token, an import or the seeding), how
-- (via: 'api', 'page', 'import:<source>', 'seed', 'restore:<version>', 'review:<proposal>'),
-- the version written (for a delete, the version deleted) and the asset as stored just before
-- the change (before: the asset as JSON; NULL for an insert). They are written in the same
-- transaction as the change. Rows written before this migration have NULL via, version and
-- before: they read back as 'unrecorded'. The columns are nullable without defaults, so adding
-- them does not rewrite the table.
ALTER TABLE asset_changes
    ADD COLUMN version bigint,
    ADD COLUMN actor   text,
    ADD COLUMN via     text,
    ADD COLUMN before  jsonb;

-- Staff accounts. Secrets are never kept: a password only as an argon2 hash, sessions, tokens
-- and invitations only as SHA-256 hashes of what the server hands out.
CREATE TABLE accounts (
    id            text COLLATE "C" PRIMARY KEY,
    -- Lower-cased by the store.
    email         text NOT NULL UNIQUE CHECK (email = lower(email)),
    name          text NOT NULL,
    role          text NOT NULL CHECK (role IN ('admin', 'editor', 'steward')),
    disabled      boolean NOT NULL DEFAULT false,
    password_hash text NOT NULL,
    created_at    timestamptz NOT NULL
);

-- The assets each steward keeps. No foreign key to assets: a deleted asset's stewardship is
-- kept, as its history is.
CREATE TABLE stewardships (
    account  text COLLATE "C" NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    asset_id text COLLATE "C" NOT NULL,
    -- true: the steward's changes wait for an editor's review.
    review   boolean NOT NULL,
    PRIMARY KEY (account, asset_id)
);

CREATE TABLE sessions (
    id_hash    text COLLATE "C" PRIMARY KEY,
    account    text COLLATE "C" NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    csrf_token text NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX sessions_account_idx ON sessions (account);
CREATE INDEX sessions_expires_idx ON sessions (expires_at);

CREATE TABLE api_tokens (
    id          text COLLATE "C" PRIMARY KEY,
    name        text NOT NULL,
    role        text NOT NULL CHECK (role IN ('admin', 'editor', 'steward')),
    account     text COLLATE "C" REFERENCES accounts (id),
    secret_hash text COLLATE "C" NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    revoked_at  timestamptz
);
CREATE INDEX api_tokens_account_idx ON api_tokens (account);

CREATE TABLE invitations (
    id_hash    text COLLATE "C" PRIMARY KEY,
    -- The asset ids the steward will keep.
    assets     text[] NOT NULL,
    review     boolean NOT NULL,
    created_by text COLLATE "C",
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at    timestamptz,
    used_by    text COLLATE "C"
);

-- Stewards' proposed next versions, waiting for (or past) an editor's review. Decided when
-- decided_at is set; accepted says how.
CREATE TABLE proposals (
    id         bigserial PRIMARY KEY,
    asset_id   text COLLATE "C" NOT NULL,
    asset      jsonb NOT NULL,
    by_account text COLLATE "C" NOT NULL,
    at         timestamptz NOT NULL,
    accepted   boolean,
    decided_by text COLLATE "C",
    decided_at timestamptz,
    reason     text
);
CREATE INDEX proposals_asset_idx ON proposals (asset_id);
