-- The folded name and email a personnel search matches (accents and case
-- aside). SQLite cannot fold accents itself: the store fills the rows left
-- '' here in Go when it opens (backfillSearchKeys), and every write keeps it.
ALTER TABLE personnel ADD COLUMN search_key TEXT NOT NULL DEFAULT '';
