-- config: Mode reject
-- config: MaxScanBytes 4096
-- Past MaxScanBytes the milter asks the MTA to skip the rest of the body
-- (SMFIS_SKIP), and still decides on what it read.
dofile(common)
local conn = open_connection()
begin_message(conn, {"<who@example.com>"}, NEWSLETTER,
              NEWSLETTER_BODY .. string.rep("x", 6000) .. "\r\n", nil, "QIDSKIP")
expect(mt.getreply(conn) == SMFIR_SKIP, "the rest of the body is skipped")
if mt.eom(conn) ~= nil then error("eom") end
expect(rejected(conn), "decided on what was read: 550 5.7.1")
mt.disconnect(conn)
