-- config: Mode reject
-- config: MixedRecipients reject
-- With MixedRecipients reject one recipient without consent stops it all.
dofile(common)
local conn = open_connection()
send(conn, {"<yes@example.com>", "<no@example.com>"}, NEWSLETTER, NEWSLETTER_BODY)
expect(rejected(conn), "whole message rejected")
mt.disconnect(conn)
