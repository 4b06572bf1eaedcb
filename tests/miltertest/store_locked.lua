-- config: Mode reject
-- config: DatabaseTimeout 300
-- setup: locked
-- The store is locked by another process past DatabaseTimeout: promotional
-- mail is tempfailed, transactional mail still flows.
dofile(common)
local conn = open_connection()
send(conn, {"<yes@example.com>"}, NEWSLETTER, NEWSLETTER_BODY)
expect(tempfailed(conn), "tempfail 451 4.3.0 while locked")
send(conn, {"<yes@example.com>"}, ORDER, ORDER_BODY)
expect(mt.getreply(conn) == SMFIR_ACCEPT, "transactional mail needs no lookup")
mt.disconnect(conn)
