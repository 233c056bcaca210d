-- Outbox bodies are sealed under a data key of their own, kept (wrapped by
-- the master key) beside the body; wiping a body sets both to NULL, and a
-- copy of the body that survives somewhere cannot be opened without it.
-- Rows written before have body_key NULL and stay readable under the
-- outbox key.
ALTER TABLE deliveries ADD COLUMN body_key BLOB;

-- must_change was off for every tenant only because the column's default
-- was 0: a password sent in clear by SMS and email, or set by an admin,
-- should not become permanent. Existing tenants get the new default; a
-- tenant that wants it off turns it off again in its settings.
UPDATE tenants SET must_change = 1;

-- Passwords people choose: 15 characters by default now (NIST SP 800-63B
-- rev. 4, single factor). Tenants still at the old default move with it;
-- a tenant that chose another minimum keeps it.
UPDATE tenants SET min_password_length = 15 WHERE min_password_length = 12;
