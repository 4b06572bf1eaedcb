-- config: Mode reject
-- A newsletter nobody may receive is rejected 550 5.7.1; then, on the same
-- connection, an order confirmation to the same people passes untouched.
dofile(common)
local conn = open_connection()
send(conn, {"<no@example.com>", "<who@example.com>"}, NEWSLETTER, NEWSLETTER_BODY)
expect(rejected(conn), "550 5.7.1")
send(conn, {"<no@example.com>", "<obj@example.com>", "<who@example.com>"}, ORDER, ORDER_BODY)
expect(mt.getreply(conn) == SMFIR_ACCEPT, "transactional mail accepted")
expect(not mt.eom_check(conn, MT_RCPTDELETE, "<no@example.com>"), "nobody removed (withdrawn)")
expect(not mt.eom_check(conn, MT_RCPTDELETE, "<obj@example.com>"), "nobody removed (objected)")
expect(mt.eom_check(conn, MT_HDRDELETE, "X-Mail-Category"), "category header stripped")
mt.disconnect(conn)
