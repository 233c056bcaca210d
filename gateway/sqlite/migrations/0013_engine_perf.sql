-- The claim walks deliveries_claim (status, priority DESC, next_attempt_at)
-- in its own order and stops at its limit. deliveries_due served a plan
-- that read and sorted every due row first, so a backlog made each claim
-- slower; nothing else reads it, and every claim, lease renewal and retry
-- paid to keep it up to date.
DROP INDEX IF EXISTS deliveries_due;
-- What waits in each lane, counted by route and tenant from the index
-- alone (the routes API and route health ask for it).
CREATE INDEX deliveries_pending_lane ON deliveries(route, tenant_id) WHERE status = 'pending';
