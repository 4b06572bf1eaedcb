-- config: Mode reject
-- A withdrawal recorded with consentctl while the milter runs applies to
-- the next message, with no reload. The runner records it between the two
-- messages when the script echoes WITHDRAW-NOW and waits.
dofile(common)
local conn = open_connection()
send(conn, {"<live@example.com>"}, NEWSLETTER, NEWSLETTER_BODY)
expect(mt.getreply(conn) == SMFIR_ACCEPT, "consented: accepted")
mt.disconnect(conn)
os.execute(withdraw_cmd)
conn = open_connection()
send(conn, {"<live@example.com>"}, NEWSLETTER, NEWSLETTER_BODY)
expect(rejected(conn), "withdrawn: rejected")
mt.disconnect(conn)
