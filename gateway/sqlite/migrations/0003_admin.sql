-- Console admins. tenant_id 0 is an operator, who sees every tenant; an
-- email is unique across tenants because the login form names none.
CREATE TABLE admins (
    id            INTEGER PRIMARY KEY,
    tenant_id     INTEGER NOT NULL DEFAULT 0,
    email         TEXT    NOT NULL UNIQUE,
    password_hash TEXT    NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0,
    last_login_at INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);

-- Console sessions, keyed by the SHA-256 of the cookie's token: a copy of
-- the database opens no console. Deleting the rows ends the sessions.
CREATE TABLE admin_sessions (
    hash       BLOB    PRIMARY KEY,
    admin_id   INTEGER NOT NULL REFERENCES admins(id) ON DELETE CASCADE,
    ip         TEXT    NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    seen_at    INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX admin_sessions_admin ON admin_sessions(admin_id);

-- The overview counts today's requests and recent deliveries by route.
CREATE INDEX reset_requests_created ON reset_requests(created_at);
CREATE INDEX deliveries_updated ON deliveries(updated_at);
