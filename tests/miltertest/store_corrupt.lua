-- config: Mode reject
-- setup: corrupt
-- A damaged consent store: promotional mail is tempfailed (451 4.3.0, the
-- MTA retries), transactional mail still flows.
dofile(common)
local conn = open_connection()
send(conn, {"<yes@example.com>"}, NEWSLETTER, NEWSLETTER_BODY)
expect(tempfailed(conn), "tempfail 451 4.3.0")
send(conn, {"<yes@example.com>"}, ORDER, ORDER_BODY)
expect(mt.getreply(conn) == SMFIR_ACCEPT, "transactional mail needs no lookup")
mt.disconnect(conn)
