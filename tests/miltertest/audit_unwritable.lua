-- config: Mode reject
-- log: reload refused
-- log: AuditDatabase
-- No state of the audit or consent store files may crash the milter
-- (a mapped file made immutable or truncated under it raised SIGBUS):
-- immutable audit store or journal, truncated or immutable -shm of the
-- consent store: an error, a tempfail, a log line, and the milter runs on.
-- A reload whose new AuditDatabase cannot be written is refused like any
-- bad configuration: the old one goes on auditing.
dofile(common)
local audit_db = workdir .. "/audit.db"
local consent_db = workdir .. "/consent.db"
local conf = workdir .. "/consent-milter.conf"

local function sh(cmd) return os.execute(cmd) == true end
local function alive() return sh("kill -0 " .. milter_pid .. " 2>/dev/null") end
local function audited(db, qid)
  local p = assert(io.popen(ctl_cmd .. " audit --audit-db " .. db .. " --format csv 2>/dev/null"))
  local all = p:read("a")
  p:close()
  return all:find(qid, 1, true) ~= nil
end
local function newsletter(conn, qid)
  begin_message(conn, {"<obj@example.com>"}, NEWSLETTER, NEWSLETTER_BODY, nil, qid)
  if mt.eom(conn) ~= nil then error("eom") end
end
local function audit_deferred(conn)
  return mt.getreply(conn) == SMFIR_REPLYCODE and
         mt.eom_check(conn, MT_SMTPREPLY, "451", "4.3.0", "consent audit unavailable, try again later")
end

expect(sh("chattr -i " .. workdir .. " 2>/dev/null; lsattr -d " .. workdir .. " >/dev/null 2>&1"),
       "chattr works on the test filesystem")
local conn = open_connection()
newsletter(conn, "QRO1")
expect(rejected(conn), "refused and audited")

for _, f in ipairs({audit_db, audit_db .. "-journal"}) do
  sh("touch " .. f .. " && chattr +i " .. f)
  newsletter(conn, "QRO2")
  expect(audit_deferred(conn), "immutable " .. f:match("[^/]+$") .. ": deferred, 451 4.3.0")
  expect(alive(), "the milter runs on")
  sh("chattr -i " .. f)
end
newsletter(conn, "QRO3")
expect(rejected(conn), "writable again: refused and audited")
expect(audited(audit_db, "QRO3"), "the row is there")

-- the consent store's WAL index (mapped by SQLite) truncated, then immutable
for _, how in ipairs({"truncate -s 0 ", "chattr +i "}) do
  newsletter(conn, "QRO4")
  expect(rejected(conn) or tempfailed(conn), "before: decided")
  sh(how .. consent_db .. "-shm")
  for _, r in ipairs({"<obj@example.com>", "<yes@example.com>"}) do
    begin_message(conn, {r}, NEWSLETTER, NEWSLETTER_BODY, nil, "QRO5")
    if mt.eom(conn) ~= nil then error("eom after " .. how) end
    local reply = mt.getreply(conn)
    expect(reply == SMFIR_REPLYCODE or reply == SMFIR_ACCEPT, how .. "-shm: an answer for " .. r)
  end
  expect(alive(), how .. "consent.db-shm: the milter runs on")
  sh("chattr -i " .. consent_db .. "-shm")
end
mt.disconnect(conn)

-- a reload to an audit store that cannot be written is refused
sh("cp " .. audit_db .. " " .. workdir .. "/ro.db && chattr +i " .. workdir .. "/ro.db")
sh("sed -i 's|^AuditDatabase .*|AuditDatabase " .. workdir .. "/ro.db|' " .. conf)
sh("kill -HUP " .. milter_pid .. "; sleep 1")
conn = open_connection()
newsletter(conn, "QRO6")
expect(rejected(conn), "after the refused reload: refused")
expect(audited(audit_db, "QRO6"), "and audited in the old store")
mt.disconnect(conn)
sh("chattr -i " .. workdir .. "/ro.db")
expect(alive(), "the milter runs on")
