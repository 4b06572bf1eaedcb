-- config: Mode reject
-- config: MaxScanBytes 4096
-- setup: local
-- Over a UNIX socket the milter answers nothing before the end of a
-- message (no SMFIS_SKIP either: past MaxScanBytes the body is read and
-- dropped, but counted), and still decides every message; one whose body
-- went past MaxScanBytes is promotional, whatever the part read says.
dofile(common)
local conn = open_connection()
send(conn, {"<yes@example.com>", "<no@example.com>"}, NEWSLETTER, NEWSLETTER_BODY)
expect(mt.eom_check(conn, MT_RCPTDELETE, "<no@example.com>"), "withdrawn recipient removed")
expect(not mt.eom_check(conn, MT_RCPTDELETE, "<yes@example.com>"), "consented recipient kept")
-- the same connection, a long newsletter: refused
send(conn, {"<who@example.com>"}, NEWSLETTER, NEWSLETTER_BODY .. string.rep("x", 9000) .. "\r\n")
expect(rejected(conn), "long newsletter, unknown recipient: 550 5.7.1")
-- an order longer than MaxScanBytes counts as promotional (fail safe)
send(conn, {"<who@example.com>"}, ORDER, ORDER_BODY .. string.rep("y", 9000) .. "\r\n")
expect(rejected(conn), "long order confirmation, no consent on record: 550 5.7.1")
send(conn, {"<yes@example.com>"}, ORDER, ORDER_BODY .. string.rep("y", 9000) .. "\r\n")
expect(mt.getreply(conn) == SMFIR_ACCEPT, "long order confirmation, consent on record: accepted")
mt.disconnect(conn)
