-- assetmap schema, version 1: the assets, the change feed and its NOTIFY.
--
-- Applied by `assetmap migrate` (and at start-up) inside one transaction, under an advisory
-- lock, and recorded in schema_migrations (created by the migrator itself, before this file).
-- Coordinates are WGS84 (SRID 4326), longitude first.

CREATE EXTENSION IF NOT EXISTS postgis;

CREATE TABLE assets (
    -- Ids compare byte-wise (COLLATE "C") so "id order" is the same as in the GeoPackage store
    -- whatever the database's default collation.
    id                   text COLLATE "C" PRIMARY KEY,
    name                 text NOT NULL,
    description          text,
    abcd_type            text NOT NULL,
    categories           text[] NOT NULL,
    tags                 text[] NOT NULL DEFAULT '{}',
    geom                 geometry(Point, 4326) NOT NULL,
    address              text,
    postcode             text,
    phone                text,
    email                text,
    website              text,
    -- {"periods": [{"day": "tue", "opens": "18:00", "closes": "21:00"}], "by_arrangement": …, "note": …}
    opening_times        jsonb NOT NULL DEFAULT '{}',
    cost_band            text,
    cost_detail          text,
    access               text[] NOT NULL DEFAULT '{}',
    min_age              smallint,
    max_age              smallint,
    audience_description text,
    languages            text[] NOT NULL DEFAULT '{}',
    -- {"source": …, "source_id": …, "licence": …, "attribution": …, "geocode_method": …}
    provenance           jsonb NOT NULL DEFAULT '{}',
    verified_at          date,
    status               text NOT NULL,
    created_at           timestamptz NOT NULL,
    updated_at           timestamptz NOT NULL,
    version              bigint NOT NULL CHECK (version >= 1),
    CHECK (cost_detail IS NULL OR cost_band IS NOT NULL)
);

CREATE INDEX assets_geom_idx ON assets USING gist (geom);
CREATE INDEX assets_categories_idx ON assets USING gin (categories);

-- The change feed: one row per committed write. Writers take a transaction-level advisory lock
-- before they draw a sequence number, so numbers are handed out in commit order and a reader
-- that has seen seq N will never later find a smaller one appear.
CREATE TABLE asset_changes (
    seq        bigserial PRIMARY KEY,
    asset_id   text COLLATE "C" NOT NULL,
    kind       text NOT NULL CHECK (kind IN ('upsert', 'delete')),
    changed_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX asset_changes_asset_idx ON asset_changes (asset_id);

-- One NOTIFY per statement (a COPY of a million rows sends one), carrying the newest seq.
-- NOTIFY is transactional: listeners hear it when the writing transaction commits. Writers hold
-- the change-feed lock, so the sequence's last value is the one this statement drew (no
-- transition table needed, which keeps bulk loads cheap); the payload is only a hint anyway,
-- as readers catch up by sequence number.
CREATE FUNCTION assetmap_notify_changes() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('assetmap_changes', (SELECT last_value FROM asset_changes_seq_seq)::text);
    RETURN NULL;
END
$$;

CREATE TRIGGER asset_changes_notify
    AFTER INSERT ON asset_changes
    FOR EACH STATEMENT EXECUTE FUNCTION assetmap_notify_changes();
