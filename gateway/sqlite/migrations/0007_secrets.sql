-- Outbox bodies are sealed under a data key of their own, kept (wrapped by
-- the master key) beside the body; wiping a body sets both to NULL, and a
-- copy of the body that survives somewhere cannot be opened without it.
-- Rows written before have body_key NULL and stay readable under the
-- outbox key.
ALTER TABLE deliveries ADD COLUMN body_key BLOB;
