-- Account lifecycle: a tenant's reset mode and the settings that go with
-- it live in one JSON object (reset_mode, link_ttl_minutes, office_phone),
-- so that a new setting needs no schema change; a reset sent as a link
-- keeps the keyed hash of its token, the only way the link is found.
ALTER TABLE tenants ADD COLUMN lifecycle TEXT NOT NULL DEFAULT '{}';
ALTER TABLE reset_requests ADD COLUMN link_hash BYTEA;
CREATE UNIQUE INDEX reset_requests_link_hash ON reset_requests(link_hash) WHERE link_hash IS NOT NULL;
