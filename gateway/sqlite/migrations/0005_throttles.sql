-- When a counter last moved, so that a throttle can ask for a growing
-- pause between attempts and not only cap their number.
ALTER TABLE rate_hits ADD COLUMN last_at INTEGER NOT NULL DEFAULT 0;

-- Requests refused at the door (a flood over a limit) are kept as one row
-- per limit key and window with a counter, not one row and two events
-- each: a flood must not grow the database. The id handed out for such a
-- request names this row (sealed), so it can still be looked up.
CREATE TABLE reset_rejects (
    id           INTEGER PRIMARY KEY,
    key          TEXT    NOT NULL,
    window_start INTEGER NOT NULL,
    reason       TEXT    NOT NULL,
    ip           TEXT    NOT NULL DEFAULT '',
    count        INTEGER NOT NULL,
    first_at     INTEGER NOT NULL,
    last_at      INTEGER NOT NULL,
    UNIQUE (key, window_start)
);
CREATE INDEX reset_rejects_window ON reset_rejects(window_start);
