-- Opt-outs belong to the tenant and to the number or channel that
-- received them: a STOP to one company's number does not silence
-- another's texts to the same phone. channel is 'twilio:<From or MG SID>',
-- 'carrier' (email-to-SMS gateways) or '*' (every channel of the tenant).
-- tenant_id 0 means every tenant: the rows kept from before opt-outs were
-- per tenant, so that no number that said STOP gets texts it did not get
-- before; a START from that number clears them.
CREATE TABLE opt_outs_by_channel (
    tenant_id  INTEGER NOT NULL,
    channel    TEXT    NOT NULL,
    number     TEXT    NOT NULL,
    source     TEXT    NOT NULL CHECK (source IN ('twilio_webhook', 'twilio_21610', 'mail', 'admin', 'legacy')),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, channel, number)
) WITHOUT ROWID;
INSERT INTO opt_outs_by_channel (tenant_id, channel, number, source, created_at)
    SELECT 0, '*', number, 'legacy', created_at * 1000000000 FROM opt_outs;
DROP TABLE opt_outs;
ALTER TABLE opt_outs_by_channel RENAME TO opt_outs;
CREATE INDEX opt_outs_number ON opt_outs(number);

-- Texts by mail are spoofable: STOP/START by mail is only a request the
-- admin sees, unless the tenant trusts them.
ALTER TABLE tenants ADD COLUMN trust_mail_keywords INTEGER NOT NULL DEFAULT 0;

-- A Twilio sender belongs to one tenant: whoever holds a number receives
-- its webhooks and signs them. Where two tenants already share a number,
-- the older keeps it for inbound texts (as the lookup did before) and the
-- newer must pick another at its next save.
ALTER TABLE tenants ADD COLUMN twilio_service_sid TEXT NOT NULL DEFAULT '';
UPDATE tenants SET twilio_from = '' WHERE twilio_from != '' AND id NOT IN
    (SELECT min(id) FROM tenants WHERE twilio_from != '' GROUP BY twilio_from);
CREATE UNIQUE INDEX tenants_twilio_from ON tenants(twilio_from) WHERE twilio_from != '';
CREATE UNIQUE INDEX tenants_twilio_service ON tenants(twilio_service_sid) WHERE twilio_service_sid != '';

-- Provider message ids seen (Twilio's MessageSid), kept for a rolling
-- period so that a replayed webhook is acted on once.
CREATE TABLE seen_messages (
    scope   TEXT    NOT NULL,
    id      TEXT    NOT NULL,
    seen_at INTEGER NOT NULL,
    PRIMARY KEY (scope, id)
) WITHOUT ROWID;
CREATE INDEX seen_messages_at ON seen_messages(seen_at);
