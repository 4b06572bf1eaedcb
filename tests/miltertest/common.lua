-- common.lua: helpers shared by the miltertest scripts (loaded with dofile).
-- The runner defines `socket` (the milter's socket) with -D.

function open_connection(ip)
  local conn = mt.connect(socket, 40, 0.25)
  if conn == nil then error("cannot connect to " .. socket) end
  if mt.conninfo(conn, "client.example.net", ip or "127.0.0.1") ~= nil then
    error("conninfo failed")
  end
  if mt.getreply(conn) ~= SMFIR_CONTINUE then error("conninfo: unexpected reply") end
  return conn
end

-- Sends one message up to and including its body, not its end. headers:
-- list of {name, value}; macros: table of MAIL-stage macros (e.g.
-- {auth_authen}); qid: the queue id macro (default QID4711).
function begin_message(conn, rcpts, headers, body, macros, qid)
  mt.macro(conn, SMFIC_MAIL, "i", qid or "QID4711")
  if macros then
    for name, value in pairs(macros) do mt.macro(conn, SMFIC_MAIL, name, value) end
  end
  if mt.mailfrom(conn, "<shop@example.de>") ~= nil then error("mailfrom failed") end
  for _, r in ipairs(rcpts) do
    if mt.rcptto(conn, r) ~= nil then error("rcptto failed: " .. r) end
  end
  for _, h in ipairs(headers) do
    if mt.header(conn, h[1], h[2]) ~= nil then error("header failed: " .. h[1]) end
  end
  if mt.eoh(conn) ~= nil then error("eoh failed") end
  if mt.bodystring(conn, body) ~= nil then error("body failed") end
end

-- Sends one message; returns after end of message.
function send(conn, rcpts, headers, body, macros)
  begin_message(conn, rcpts, headers, body, macros)
  if mt.eom(conn) ~= nil then error("eom failed") end
end

function expect(cond, what)
  if not cond then mt.echo("FAILED: " .. what); error("FAILED: " .. what) end
  mt.echo("ok: " .. what)
end

NEWSLETTER = {
  {"From", "Shop <news@example.de>"},
  {"Subject", "Neu im Sortiment: die Herbstkollektion"},
  {"Message-ID", "<n1@example.de>"},
  {"X-Mail-Category", "newsletter"},
}
NEWSLETTER_BODY = "Jetzt entdecken: unsere neue Kollektion. Mit dem Code HERBST20 sparen Sie 20%.\r\n"

ORDER = {
  {"From", "Shop <service@example.de>"},
  {"Subject", "Ihre Bestellbestaetigung 4711"},
  {"Message-ID", "<o1@example.de>"},
  {"X-Mail-Category", "transactional"},
}
ORDER_BODY = "Vielen Dank fuer Ihre Bestellung. Bestellnummer: 4711. Rechnung anbei.\r\n"

-- miltertest 2.11 matches an SMTP reply only with code, enhanced code and
-- text all given.
REJECT_TEXT = "Promotional message refused: no consent on record for the recipient (UWG 7(2), GDPR Art. 21)"
TEMPFAIL_TEXT = "consent store unavailable, try again later"

function rejected(conn)
  return mt.getreply(conn) == SMFIR_REPLYCODE and
         mt.eom_check(conn, MT_SMTPREPLY, "550", "5.7.1", REJECT_TEXT)
end

function tempfailed(conn)
  return mt.getreply(conn) == SMFIR_REPLYCODE and
         mt.eom_check(conn, MT_SMTPREPLY, "451", "4.3.0", TEMPFAIL_TEXT)
end
