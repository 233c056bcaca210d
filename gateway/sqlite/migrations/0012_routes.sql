-- SMS routes: a tenant's ordered chain of routes is one sealed JSON list
-- (a webhook route carries its signing secret); a delivery remembers which
-- link of its tenant's chain it is on, and every attempt on any route is
-- a row of its own, so an admin sees where a text went and why it moved.
ALTER TABLE tenants ADD COLUMN sms_routes_sealed BLOB;
ALTER TABLE deliveries ADD COLUMN route_index INTEGER NOT NULL DEFAULT 0;
CREATE TABLE delivery_attempts (
    id          INTEGER PRIMARY KEY,
    delivery_id INTEGER NOT NULL REFERENCES deliveries(id) ON DELETE CASCADE,
    route       TEXT    NOT NULL,
    status      TEXT    NOT NULL,
    provider_id TEXT    NOT NULL DEFAULT '',
    error       TEXT    NOT NULL DEFAULT '',
    at          INTEGER NOT NULL
);
CREATE INDEX delivery_attempts_delivery ON delivery_attempts(delivery_id, id);
