-- Email verification and password age.
-- A person's email counts as verified while it is still the address they
-- proved theirs (verified_email): an admin changing the email leaves the new
-- one unverified even before the domain clears the old proof.
ALTER TABLE personnel ADD COLUMN verified_email TEXT NOT NULL DEFAULT '';
ALTER TABLE personnel ADD COLUMN email_verified_at INTEGER NOT NULL DEFAULT 0;
-- When the current password was set (0: not known), and the set time of the
-- password whose expiry reminder went out, so that each password gets one
-- reminder whatever restarts and instances do.
ALTER TABLE personnel ADD COLUMN password_set_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE personnel ADD COLUMN password_reminded_for INTEGER NOT NULL DEFAULT 0;

-- Passwords set before this column existed keep their real date where the
-- log knows it, else the record's creation (a password given with it).
UPDATE personnel SET password_set_at = x.at
FROM (SELECT tenant_id, person_id, MAX(at) AS at FROM events
      WHERE person_id <> 0 AND type IN ('password_set', 'password_changed', 'reset_password_used', 'reset_link_used')
      GROUP BY tenant_id, person_id) AS x
WHERE x.person_id = personnel.id AND x.tenant_id = personnel.tenant_id AND personnel.password_hash <> '';
UPDATE personnel SET password_set_at = created_at WHERE password_set_at = 0 AND password_hash <> '';

-- A person's one outstanding verification link: only the keyed hash of its
-- token, and the address it was sent to (a link proves only that one).
CREATE TABLE email_verifications (
    person_id  INTEGER NOT NULL PRIMARY KEY REFERENCES personnel(id) ON DELETE CASCADE,
    tenant_id  INTEGER NOT NULL,
    email      TEXT NOT NULL,
    token_hash BLOB NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER NOT NULL DEFAULT 0
);
