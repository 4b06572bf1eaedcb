-- config: Mode reject
-- setup: missing
-- No consent store at all: tempfail for promotional mail.
dofile(common)
local conn = open_connection()
send(conn, {"<yes@example.com>"}, NEWSLETTER, NEWSLETTER_BODY)
expect(tempfailed(conn), "tempfail 451 4.3.0")
mt.disconnect(conn)
