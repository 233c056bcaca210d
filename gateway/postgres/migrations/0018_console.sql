-- The folded name and email a personnel search matches (accents and case
-- aside). Folded in Go like SQLite's (unaccent is an extension not every
-- server has): the store fills the rows left '' here when it opens
-- (backfillSearchKeys), and every write keeps it.
ALTER TABLE personnel ADD COLUMN search_key TEXT NOT NULL DEFAULT '';
