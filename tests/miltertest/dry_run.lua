-- config: Mode dry-run
-- Dry-run changes nothing (the audit records "would-reject").
dofile(common)
local conn = open_connection()
send(conn, {"<no@example.com>"}, NEWSLETTER, NEWSLETTER_BODY)
expect(mt.getreply(conn) == SMFIR_ACCEPT, "accepted")
expect(not mt.eom_check(conn, MT_RCPTDELETE, "<no@example.com>"), "no recipient removed")
expect(not mt.eom_check(conn, MT_QUARANTINE), "not quarantined")
mt.disconnect(conn)
