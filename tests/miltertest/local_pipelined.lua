-- config: Mode reject
-- config: MaxScanBytes 4096
-- setup: local
-- Over a UNIX socket the milter answers nothing before the end of a
-- message (no SMFIS_SKIP either: past MaxScanBytes the body is read and
-- dropped), and still decides every message on what it read.
dofile(common)
local conn = open_connection()
send(conn, {"<yes@example.com>", "<no@example.com>"}, NEWSLETTER, NEWSLETTER_BODY)
expect(mt.eom_check(conn, MT_RCPTDELETE, "<no@example.com>"), "withdrawn recipient removed")
expect(not mt.eom_check(conn, MT_RCPTDELETE, "<yes@example.com>"), "consented recipient kept")
-- the same connection, a long newsletter: decided on its first 4096 bytes
send(conn, {"<who@example.com>"}, NEWSLETTER, NEWSLETTER_BODY .. string.rep("x", 9000) .. "\r\n")
expect(rejected(conn), "long newsletter, unknown recipient: 550 5.7.1")
send(conn, {"<who@example.com>"}, ORDER, ORDER_BODY .. string.rep("y", 9000) .. "\r\n")
expect(mt.getreply(conn) == SMFIR_ACCEPT, "long order confirmation: accepted")
mt.disconnect(conn)
