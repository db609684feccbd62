-- assetmap schema, version 3: source records, so that a re-import of a council's data source can
-- tell new, changed, unchanged, gone and locally edited records apart.
--
-- One row per record an import brought in, keyed by the source (a mapping file's id_prefix,
-- or the name given with --source) and the asset the record became. It holds what the next
-- import compares against: a digest of the record as the source last gave it (fingerprint),
-- the asset version that import wrote or found (imported_version: a stored asset with a later
-- version was edited since, through the API), when the source last had it, and when an import
-- first found it missing from the source (gone_since; NULL while the source has it).
--
-- Rows are written only by an import run (AssetStore::apply_import), in the same transaction as
-- its assets and change-feed rows, so they are there exactly when the import's writes are.
-- There is deliberately no foreign key to assets: deleting an asset keeps its record, so that
-- the next import sees that it was deleted here rather than taking it for a new record.

CREATE TABLE source_records (
    -- Both COLLATE "C", like assets.id, so "asset id order" is byte order as in the
    -- GeoPackage store, whatever the database's default collation.
    source           text COLLATE "C",
    asset_id         text COLLATE "C",
    -- Hex digest of the record as the source gave it; opaque to the store.
    fingerprint      text NOT NULL,
    imported_version bigint NOT NULL,
    imported_at      timestamptz NOT NULL,
    gone_since       timestamptz,
    -- Also the index that lists one source's records in asset id order.
    PRIMARY KEY (source, asset_id)
);
