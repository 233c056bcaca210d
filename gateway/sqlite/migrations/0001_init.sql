-- Every row belongs to a tenant: a single-company install simply has one.
CREATE TABLE tenants (
    id                  INTEGER PRIMARY KEY,
    slug                TEXT    NOT NULL UNIQUE,
    name                TEXT    NOT NULL,
    allow_mobile_reset  INTEGER NOT NULL DEFAULT 1,
    keep_original       INTEGER NOT NULL DEFAULT 1,
    must_change         INTEGER NOT NULL DEFAULT 0,
    reset_ttl_seconds   INTEGER NOT NULL DEFAULT 86400,
    sms_countries       TEXT    NOT NULL DEFAULT 'US,CA',
    min_password_length INTEGER NOT NULL DEFAULT 12,
    smtp_sealed         BLOB,
    twilio_sealed       BLOB,
    -- The tenant's Twilio number in the clear, to find the tenant of an
    -- inbound text; the account's secrets stay sealed.
    twilio_from         TEXT    NOT NULL DEFAULT '',
    created_at          INTEGER NOT NULL
);

CREATE TABLE personnel (
    id                 INTEGER PRIMARY KEY,
    tenant_id          INTEGER NOT NULL REFERENCES tenants(id),
    name               TEXT    NOT NULL,
    email              TEXT    NOT NULL,
    status             TEXT    NOT NULL CHECK (status IN ('active', 'inactive')),
    mobile_access      INTEGER NOT NULL,
    allow_mobile_reset INTEGER NOT NULL,
    password_hash      TEXT    NOT NULL DEFAULT '',
    must_change        INTEGER NOT NULL DEFAULT 0,
    locale             TEXT    NOT NULL DEFAULT 'en',
    pending_request    TEXT    NOT NULL DEFAULT '',
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    UNIQUE (tenant_id, email)
);

-- A number is unique across tenants: an inbound text names no tenant.
CREATE TABLE phones (
    id        INTEGER PRIMARY KEY,
    tenant_id INTEGER NOT NULL REFERENCES tenants(id),
    person_id INTEGER NOT NULL REFERENCES personnel(id) ON DELETE CASCADE,
    number    TEXT    NOT NULL UNIQUE,
    type      TEXT    NOT NULL CHECK (type IN ('sms', 'mobile', 'home', 'work')),
    carrier   TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX phones_person ON phones(person_id);

-- STOP belongs to the number, not to the record: it outlives edits.
CREATE TABLE opt_outs (
    number     TEXT PRIMARY KEY,
    created_at INTEGER NOT NULL
);

CREATE TABLE carriers (
    slug          TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    country       TEXT NOT NULL DEFAULT '',
    sms_domain    TEXT NOT NULL DEFAULT '',
    mms_domain    TEXT NOT NULL DEFAULT '',
    number_format TEXT NOT NULL DEFAULT 'national10',
    status        TEXT NOT NULL CHECK (status IN ('active', 'retiring', 'retired', 'unverified')),
    retired_on    TEXT NOT NULL DEFAULT '',
    note          TEXT NOT NULL DEFAULT ''
);

CREATE TABLE reset_requests (
    id          TEXT PRIMARY KEY,
    tenant_id   INTEGER REFERENCES tenants(id),
    tenant_slug TEXT    NOT NULL DEFAULT '',
    email       TEXT    NOT NULL DEFAULT '',
    phone       TEXT    NOT NULL DEFAULT '',
    source      TEXT    NOT NULL,
    ip          TEXT    NOT NULL DEFAULT '',
    state       TEXT    NOT NULL,
    reason      TEXT    NOT NULL DEFAULT '',
    person_id   INTEGER,
    temp_hash   BLOB,
    expires_at  INTEGER NOT NULL DEFAULT 0,
    used_at     INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX reset_requests_state ON reset_requests(state, created_at);
CREATE INDEX reset_requests_tenant ON reset_requests(tenant_id, created_at);

-- The outbox. body is sealed (AES-GCM) and set to NULL once delivery ends.
CREATE TABLE deliveries (
    id              INTEGER PRIMARY KEY,
    request_id      TEXT    REFERENCES reset_requests(id),
    tenant_id       INTEGER NOT NULL REFERENCES tenants(id),
    channel         TEXT    NOT NULL,
    route           TEXT    NOT NULL,
    recipient       TEXT    NOT NULL,
    body            BLOB,
    locale          TEXT    NOT NULL DEFAULT 'en',
    status          TEXT    NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    provider_id     TEXT    NOT NULL DEFAULT '',
    error_code      TEXT    NOT NULL DEFAULT '',
    error_detail    TEXT    NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX deliveries_due ON deliveries(status, next_attempt_at);
CREATE INDEX deliveries_request ON deliveries(request_id);
CREATE INDEX deliveries_provider ON deliveries(provider_id) WHERE provider_id <> '';

CREATE TABLE events (
    id          INTEGER PRIMARY KEY,
    tenant_id   INTEGER NOT NULL DEFAULT 0,
    at          INTEGER NOT NULL,
    actor       TEXT    NOT NULL,
    actor_id    TEXT    NOT NULL DEFAULT '',
    ip          TEXT    NOT NULL DEFAULT '',
    type        TEXT    NOT NULL,
    request_id  TEXT    NOT NULL DEFAULT '',
    person_id   INTEGER NOT NULL DEFAULT 0,
    channel     TEXT    NOT NULL DEFAULT '',
    provider_id TEXT    NOT NULL DEFAULT '',
    code        TEXT    NOT NULL DEFAULT '',
    detail      TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX events_tenant_at ON events(tenant_id, at);
CREATE INDEX events_request ON events(request_id) WHERE request_id <> '';

-- The log is append-only: the database itself refuses edits.
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;

-- Fixed-window counters for rate limits, in the store so that they
-- survive a restart.
CREATE TABLE rate_hits (
    key          TEXT    NOT NULL,
    window_start INTEGER NOT NULL,
    count        INTEGER NOT NULL,
    PRIMARY KEY (key, window_start)
) WITHOUT ROWID;
