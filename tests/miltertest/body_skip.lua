-- config: Mode reject
-- config: MaxScanBytes 4096
-- Past MaxScanBytes the milter asks the MTA to skip the rest of the body
-- (SMFIS_SKIP), and still decides on what it read.
dofile(common)
local conn = open_connection()
mt.macro(conn, SMFIC_MAIL, "i", "QIDSKIP")
if mt.mailfrom(conn, "<shop@example.de>") ~= nil then error("mailfrom") end
if mt.rcptto(conn, "<who@example.com>") ~= nil then error("rcpt") end
for _, h in ipairs(NEWSLETTER) do mt.header(conn, h[1], h[2]) end
mt.eoh(conn)
mt.bodystring(conn, NEWSLETTER_BODY .. string.rep("x", 6000) .. "\r\n")
expect(mt.getreply(conn) == SMFIR_SKIP, "the rest of the body is skipped")
if mt.eom(conn) ~= nil then error("eom") end
expect(rejected(conn), "decided on what was read: 550 5.7.1")
mt.disconnect(conn)
