-- The hand-over mark: the attempt (its count of recorded attempts) whose
-- message was handed to an SMTP relay, committed before the final dot.
-- A claim after a crash finds the mark equal to the attempts when the
-- relay may have the mail, and then never sends it again. -1: none.
ALTER TABLE deliveries ADD COLUMN handed_attempt INTEGER NOT NULL DEFAULT -1;
-- A claim left by a version without marks may have handed its message
-- over: count it as handed over rather than risk a second mail.
UPDATE deliveries SET handed_attempt = attempts WHERE claimed = 1 AND status = 'pending';
