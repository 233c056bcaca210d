-- Bulk actions over a selection of personnel: tags to select a crew or a
-- season by, the last successful login to select those who have not been
-- back, and jobs whose items are stored one per person, so that a job
-- goes on after a restart and nobody is started twice.
CREATE TABLE person_tags (
    person_id INTEGER NOT NULL REFERENCES personnel(id) ON DELETE CASCADE,
    tenant_id INTEGER NOT NULL REFERENCES tenants(id),
    tag       TEXT    NOT NULL,
    PRIMARY KEY (person_id, tag)
);
CREATE INDEX person_tags_tag ON person_tags(tenant_id, tag);
ALTER TABLE personnel ADD COLUMN last_login_at INTEGER NOT NULL DEFAULT 0;

CREATE TABLE bulk_jobs (
    id         TEXT    PRIMARY KEY,
    tenant_id  INTEGER NOT NULL REFERENCES tenants(id),
    action     TEXT    NOT NULL,
    filter     TEXT    NOT NULL DEFAULT '{}',
    state      TEXT    NOT NULL CHECK (state IN ('running', 'done', 'cancelled')),
    total      INTEGER NOT NULL,
    actor_id   TEXT    NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX bulk_jobs_tenant ON bulk_jobs(tenant_id, created_at);
CREATE INDEX bulk_jobs_state ON bulk_jobs(state);

CREATE TABLE bulk_items (
    job_id     TEXT    NOT NULL REFERENCES bulk_jobs(id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL,
    person_id  INTEGER NOT NULL,
    state      TEXT    NOT NULL,
    request_id TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (job_id, seq)
);
CREATE INDEX bulk_items_state ON bulk_items(job_id, state, seq);
