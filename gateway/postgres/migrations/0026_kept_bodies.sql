-- A reset's text keeps its sealed body after its provider took it, until
-- the provider's final report or the end of the late-failover window, so
-- that a late failure can send it on the next route of the chain. These
-- find the bodies to wipe when the window ends, and the ring epochs they
-- still need. Kept alike in both stores.
CREATE INDEX deliveries_kept_bodies ON deliveries(updated_at) WHERE status = 'sent' AND body IS NOT NULL;
CREATE INDEX deliveries_kept_sealed_by ON deliveries(sealed_by, sealed_epoch) WHERE status = 'sent' AND body IS NOT NULL;
