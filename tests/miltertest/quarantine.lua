-- config: Mode quarantine
-- Quarantine mode puts the message in the hold queue instead of deleting.
dofile(common)
local conn = open_connection()
send(conn, {"<yes@example.com>", "<no@example.com>"}, NEWSLETTER, NEWSLETTER_BODY)
expect(mt.getreply(conn) == SMFIR_ACCEPT, "accepted into the hold queue")
expect(mt.eom_check(conn, MT_QUARANTINE), "quarantined")
expect(not mt.eom_check(conn, MT_RCPTDELETE, "<no@example.com>"), "no recipient removed")
send(conn, {"<yes@example.com>"}, NEWSLETTER, NEWSLETTER_BODY)
expect(not mt.eom_check(conn, MT_QUARANTINE), "a message everyone may get is not held")
mt.disconnect(conn)
