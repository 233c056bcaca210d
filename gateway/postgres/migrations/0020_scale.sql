-- Lanes' pace shared by every instance: a lane's next free send slot
-- (Unix nanoseconds), moved forward by one atomic upsert per send. The
-- lane is a digest of the lane's key, never the key (a webhook URL may
-- carry a token).
CREATE TABLE lane_slots (
    lane    TEXT   PRIMARY KEY,
    next_at BIGINT NOT NULL
);
