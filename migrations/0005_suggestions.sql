-- assetmap schema, version 5: suggestions from the public, and a feed link per account.
--
-- A suggestion ("this has changed", "this has closed", "add a place we're missing") holds only
-- what the person chose to give: what should change (changes: a JSON object with `properties`
-- and optionally `geometry`, as the server checked it), a note, and an optional contact for
-- following up. It waits until an editor decides: rejected here, or accepted by the write that
-- makes the change (via 'suggestion:<n>' in asset_changes), in the same transaction. Decided
-- when decided_at is set; accepted says how. asset_id is the place it is about (NULL for a new
-- place until it is accepted; then the asset it made). The contact is erased (set to NULL) a
-- set time after the decision.
CREATE TABLE suggestions (
    id           bigserial PRIMARY KEY,
    kind         text NOT NULL CHECK (kind IN ('change', 'closed', 'new')),
    asset_id     text COLLATE "C",
    -- The place's version when the suggestion was made (NULL for a new place).
    base_version bigint,
    changes      jsonb NOT NULL,
    note         text NOT NULL,
    contact      text,
    at           timestamptz NOT NULL,
    accepted     boolean,
    decided_by   text COLLATE "C",
    decided_at   timestamptz,
    reason       text
);
CREATE INDEX suggestions_asset_idx ON suggestions (asset_id);
-- For erasing contacts: only the rows that still have one.
CREATE INDEX suggestions_contact_decided_idx ON suggestions (decided_at)
    WHERE contact IS NOT NULL;

-- A feed link per account: the SHA-256 (hex) of the secret in its URL, never the secret;
-- NULL for none. Nullable without a default, so adding it does not rewrite the table.
ALTER TABLE accounts ADD COLUMN feed_hash text COLLATE "C" UNIQUE;
