-- Outbox bodies sealed under one instance's in-memory keys name that
-- instance and the key's epoch; NULL is the master key's envelope. The
-- instances' liveness says whose rows others may take over.
ALTER TABLE deliveries ADD COLUMN sealed_by TEXT;
ALTER TABLE deliveries ADD COLUMN sealed_epoch BIGINT NOT NULL DEFAULT 0;
CREATE INDEX deliveries_sealed_by ON deliveries(sealed_by, sealed_epoch) WHERE status = 'pending';
CREATE TABLE instances (
    id          TEXT   PRIMARY KEY,
    alive_until BIGINT NOT NULL
);
