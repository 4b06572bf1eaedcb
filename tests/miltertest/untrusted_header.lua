-- config: Mode reject
-- config: TrustedHeaderFrom auth, 192.0.2.0/24
-- A category header from a sender that is not trusted is ignored: a bland
-- mail labelled transactional then counts as promotional (fail safe); the
-- same from a trusted network or an authenticated sender passes.
dofile(common)
local bland = {{"From", "a@example.de"}, {"Subject", "Info"}, {"X-Mail-Category", "transactional"}}
local conn = open_connection("203.0.113.9")
send(conn, {"<who@example.com>"}, bland, "Hallo.\r\n")
expect(rejected(conn), "untrusted label ignored: rejected")
mt.disconnect(conn)
conn = open_connection("192.0.2.10")
send(conn, {"<who@example.com>"}, bland, "Hallo.\r\n")
expect(mt.getreply(conn) == SMFIR_ACCEPT, "trusted network: label believed")
mt.disconnect(conn)
conn = open_connection("203.0.113.9")
send(conn, {"<who@example.com>"}, bland, "Hallo.\r\n", {["{auth_authen}"] = "shopapp"})
expect(mt.getreply(conn) == SMFIR_ACCEPT, "authenticated sender: label believed")
mt.disconnect(conn)
