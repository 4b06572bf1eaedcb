-- config: Mode reject
-- config: OnDatabaseError accept
-- setup: missing
-- OnDatabaseError accept: the administrator's choice to let it through.
dofile(common)
local conn = open_connection()
send(conn, {"<yes@example.com>"}, NEWSLETTER, NEWSLETTER_BODY)
expect(mt.getreply(conn) == SMFIR_ACCEPT, "accepted unchecked")
mt.disconnect(conn)
