-- What the gateway does after a provider accepted a text: it asks once
-- for the status of a message whose final report never came (polled_at),
-- and it erases the body at the provider once the provider is done with
-- it (redaction: '' not yet, 'done', 'failed', 'skipped' while the
-- provider still had it in flight when polled).
ALTER TABLE deliveries ADD COLUMN polled_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE deliveries ADD COLUMN redaction TEXT NOT NULL DEFAULT '';

CREATE INDEX deliveries_unconfirmed ON deliveries(route, updated_at)
    WHERE status = 'sent' AND polled_at = 0 AND provider_id <> '';
CREATE INDEX deliveries_unredacted ON deliveries(route, id)
    WHERE provider_id <> '' AND redaction IN ('', 'skipped');
