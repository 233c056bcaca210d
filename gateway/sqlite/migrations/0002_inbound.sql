-- Inbound texts (RESET, HELP, STOP, START): a tenant's own keywords, as a
-- JSON object of upper-case word -> keyword layered over the defaults;
-- '' means the defaults alone.
ALTER TABLE tenants ADD COLUMN keywords TEXT NOT NULL DEFAULT '';
