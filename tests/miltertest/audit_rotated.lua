-- config: Mode reject
-- log: was removed or replaced while open
-- The audit store is rotated (moved away) and then deleted while the
-- milter runs. Rows must never go into a file nobody can read any more:
-- the milter notices the file at AuditDatabase is another one (or none),
-- opens the path afresh and records there, and logs it; where the path
-- cannot be opened, the message is deferred, not delivered unaudited.
dofile(common)
local audit_db = workdir .. "/audit.db"

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

local conn = open_connection()
newsletter(conn, "QROT1")
expect(rejected(conn), "refused, audited")
expect(audited(audit_db, "QROT1"), "the first row is in the store")

os.execute("mv " .. audit_db .. " " .. audit_db .. ".1")
newsletter(conn, "QROT2")
expect(rejected(conn), "after rotation: refused")
expect(audited(audit_db, "QROT2"), "after rotation the row is in a new store at the path")
expect(audited(audit_db .. ".1", "QROT1"), "the rotated file keeps the old row")
expect(not audited(audit_db .. ".1", "QROT2"), "and not the new one")

os.execute("rm -f " .. audit_db .. " " .. audit_db .. "-wal " .. audit_db .. "-shm " ..
           audit_db .. "-journal")
newsletter(conn, "QROT3")
expect(rejected(conn), "after deletion: refused")
expect(audited(audit_db, "QROT3"), "after deletion the row is in a new store at the path")

-- the path cannot be opened (a directory stands there): deferred
os.execute("rm -f " .. audit_db .. "*; mkdir " .. audit_db)
newsletter(conn, "QROT4")
expect(mt.getreply(conn) == SMFIR_REPLYCODE and
       mt.eom_check(conn, MT_SMTPREPLY, "451", "4.3.0", "consent audit unavailable, try again later"),
       "audit store cannot be opened: 451 4.3.0, not delivered")
os.execute("rmdir " .. audit_db)
newsletter(conn, "QROT5")
expect(rejected(conn), "once the path is usable again: refused and audited")
expect(audited(audit_db, "QROT5"), "the row is in the store again")
mt.disconnect(conn)
