-- Delivery engine: per-tenant SMS pacing and validity, a priority so that
-- resets go ahead of notifications and bulk sends in the same lane, and
-- what a claim needs to tell a possible resend from a first send.
ALTER TABLE tenants ADD COLUMN sms_rate_per_second REAL NOT NULL DEFAULT 0;
ALTER TABLE tenants ADD COLUMN sms_validity_seconds INTEGER NOT NULL DEFAULT 600;
-- 3 reset, 2 notification, 1 bulk (gateway.Priority).
ALTER TABLE deliveries ADD COLUMN priority INTEGER NOT NULL DEFAULT 3;
-- 1 while a worker holds the delivery and has not recorded an outcome: a
-- claim that finds it still 1 knows an earlier send may have gone out.
ALTER TABLE deliveries ADD COLUMN claimed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE deliveries ADD COLUMN first_attempt_at INTEGER NOT NULL DEFAULT 0;
CREATE INDEX deliveries_claim ON deliveries(status, priority DESC, next_attempt_at);
