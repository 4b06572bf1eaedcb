-- config: Mode reject
-- setup: local
-- Stopping (SIGTERM) with a message in flight, over a UNIX socket where
-- MAIL gets no answer. The message in flight is finished and decided; a
-- message that begins on another connection while the milter is stopping
-- is not lost but deferred at its end with 451 4.3.2, even when it ends
-- after the other: the milter waits for its answer before it exits (the
-- runner checks that it exits, and with 0).
dofile(common)
local first = open_connection()
local second = open_connection()
-- the first message, all but its end
begin_message(first, {"<yes@example.com>"}, NEWSLETTER, NEWSLETTER_BODY, nil, "QIDFIRST")
mt.sleep(0.5)
os.execute(stop_cmd)
mt.sleep(0.5)
-- the second message, begun while stopping, all but its end
begin_message(second, {"<yes@example.com>"}, NEWSLETTER, NEWSLETTER_BODY, nil, "QIDSECOND")
mt.sleep(0.5)
-- the first ends and is decided; the milter must still wait for the second
if mt.eom(first) ~= nil then error("eom") end
expect(mt.getreply(first) == SMFIR_ACCEPT, "in flight when stopping: finished and accepted")
mt.sleep(0.5)
if mt.eom(second) ~= nil then error("eom") end
expect(mt.getreply(second) == SMFIR_REPLYCODE and
       mt.eom_check(second, MT_SMTPREPLY, "451", "4.3.2", "consent check restarting, try again later"),
       "begun while stopping: deferred at its end (451 4.3.2), not lost")
mt.disconnect(second)
mt.disconnect(first)
