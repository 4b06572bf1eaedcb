-- config: Mode reject
-- A newsletter to consented, withdrawn, objected and unknown recipients:
-- only the consented one keeps it; the internal header is stripped.
dofile(common)
local conn = open_connection()
send(conn, {"<yes@example.com>", "<no@example.com>", "<obj@example.com>", "<who@example.com>"},
     NEWSLETTER, NEWSLETTER_BODY)
expect(mt.getreply(conn) == SMFIR_ACCEPT, "message accepted for the consented recipient")
expect(not mt.eom_check(conn, MT_RCPTDELETE, "<yes@example.com>"), "consented recipient kept")
expect(mt.eom_check(conn, MT_RCPTDELETE, "<no@example.com>"), "withdrawn recipient removed")
expect(mt.eom_check(conn, MT_RCPTDELETE, "<obj@example.com>"), "objected recipient removed")
expect(mt.eom_check(conn, MT_RCPTDELETE, "<who@example.com>"), "unknown recipient removed")
expect(mt.eom_check(conn, MT_HDRDELETE, "X-Mail-Category"), "category header stripped")
mt.disconnect(conn)
