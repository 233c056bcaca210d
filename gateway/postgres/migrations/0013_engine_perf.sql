-- What waits in each lane, counted by route and tenant from the index
-- alone (the routes API and route health ask for it).
CREATE INDEX deliveries_pending_lane ON deliveries(route, tenant_id) WHERE status = 'pending';
