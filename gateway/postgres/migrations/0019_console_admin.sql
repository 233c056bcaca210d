-- The console manages its own admins and tenants: an admin whose password
-- an operator reset must choose their own before anything else works; a
-- tenant can be switched off as a whole; times are shown in the tenant's
-- zone (an IANA name; '' is UTC).
ALTER TABLE admins ADD COLUMN must_change INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tenants ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tenants ADD COLUMN time_zone TEXT NOT NULL DEFAULT '';
-- A person's page draws their resets: found by person, in time order.
CREATE INDEX reset_requests_person ON reset_requests(person_id, created_at);
