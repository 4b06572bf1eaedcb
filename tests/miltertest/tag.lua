-- config: Mode tag
-- config: VerdictHeader X-Consent-Verdict
-- Tag mode delivers unchanged but for the verdict header.
dofile(common)
local conn = open_connection()
send(conn, {"<yes@example.com>", "<no@example.com>"}, NEWSLETTER, NEWSLETTER_BODY)
expect(mt.getreply(conn) == SMFIR_ACCEPT, "accepted")
expect(not mt.eom_check(conn, MT_RCPTDELETE, "<no@example.com>"), "no recipient removed")
expect(mt.eom_check(conn, MT_HDRADD, "X-Consent-Verdict"), "verdict header added")
local v = mt.getheader(conn, "X-Consent-Verdict", 0)
expect(v ~= nil and string.find(v, "promotional") ~= nil, "verdict names the category: " .. tostring(v))
expect(string.find(v, "example.com") == nil, "verdict names no recipient")
mt.disconnect(conn)
