-- config: Mode reject
-- A mail naming its purpose needs consent for that purpose (or marketing):
-- news@ consented to the newsletter only.
dofile(common)
local partner = {{"From", "news@example.de"}, {"Subject", "Angebote unserer Partner"},
                 {"X-Mail-Category", "promotional"}, {"X-Consent-Purpose", "partner"}}
local nl = {{"From", "news@example.de"}, {"Subject", "Newsletter"},
            {"X-Mail-Category", "promotional"}, {"X-Consent-Purpose", "newsletter"}}
local conn = open_connection()
send(conn, {"<news@example.com>", "<yes@example.com>"}, partner, "Partnerangebote.\r\n")
expect(mt.eom_check(conn, MT_RCPTDELETE, "<news@example.com>"), "newsletter consent does not cover partner")
expect(not mt.eom_check(conn, MT_RCPTDELETE, "<yes@example.com>"), "marketing consent covers partner")
send(conn, {"<news@example.com>"}, nl, "Unser Newsletter.\r\n")
expect(mt.getreply(conn) == SMFIR_ACCEPT, "newsletter consent covers the newsletter")
mt.disconnect(conn)
