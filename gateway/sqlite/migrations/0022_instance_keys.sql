-- Outbox bodies sealed under one instance's in-memory keys name that
-- instance and the key's epoch; NULL is the master key's envelope (what
-- SQLite's single process uses). Kept alike in both stores.
ALTER TABLE deliveries ADD COLUMN sealed_by TEXT;
ALTER TABLE deliveries ADD COLUMN sealed_epoch INTEGER NOT NULL DEFAULT 0;
CREATE INDEX deliveries_sealed_by ON deliveries(sealed_by, sealed_epoch) WHERE status = 'pending';
CREATE TABLE instances (
    id          TEXT    PRIMARY KEY,
    alive_until INTEGER NOT NULL
);
