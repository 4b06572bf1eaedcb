-- config: Mode reject
-- A newsletter labelled transactional by a trusted sender is still
-- promotional: content makes the verdict stricter.
dofile(common)
local labelled = {{"From", "news@example.de"}, {"Subject", "Unsere Wochenangebote"},
                  {"X-Mail-Category", "transactional"}}
local conn = open_connection()
send(conn, {"<who@example.com>", "<yes@example.com>"}, labelled,
     "Nur heute: 30% auf alles! Gutscheincode WOCHE30 im Warenkorb einloesen.\r\n")
expect(mt.eom_check(conn, MT_RCPTDELETE, "<who@example.com>"), "no-consent recipient removed")
expect(not mt.eom_check(conn, MT_RCPTDELETE, "<yes@example.com>"), "consented recipient kept")
mt.disconnect(conn)
