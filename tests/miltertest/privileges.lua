-- config: Mode reject
-- setup: privileges
-- Over a UNIX socket, as user nobody after binding, with a pid file (the
-- runner checks the process owner, the pid file and the socket's mode).
dofile(common)
local conn = open_connection()
send(conn, {"<yes@example.com>", "<no@example.com>"}, NEWSLETTER, NEWSLETTER_BODY)
expect(mt.eom_check(conn, MT_RCPTDELETE, "<no@example.com>"), "withdrawn recipient removed")
expect(not mt.eom_check(conn, MT_RCPTDELETE, "<yes@example.com>"), "consented recipient kept")
mt.disconnect(conn)
