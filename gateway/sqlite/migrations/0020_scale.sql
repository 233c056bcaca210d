-- Lanes' pace in the store (see the PostgreSQL store, where instances
-- share it): a lane's next free send slot, Unix nanoseconds.
CREATE TABLE lane_slots (
    lane    TEXT    PRIMARY KEY,
    next_at INTEGER NOT NULL
);
