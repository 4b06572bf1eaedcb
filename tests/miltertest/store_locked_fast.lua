-- config: Mode reject
-- config: DatabaseTimeout 4000
-- setup: locked
-- The store is locked by another process: transactional mail must pass
-- at once, not after DatabaseTimeout. The milter classifies first and
-- opens the store only for promotional mail (a fresh milter has no open
-- handle, so the first message would otherwise wait for the open).
dofile(common)
local function now_ms()
  local p = io.popen("date +%s%3N")
  local t = tonumber(p:read("l"))
  p:close()
  return t
end

local conn = open_connection()
local t0 = now_ms()
send(conn, {"<who@example.com>"}, ORDER, ORDER_BODY)
expect(mt.getreply(conn) == SMFIR_ACCEPT, "transactional mail accepted")
local took = now_ms() - t0
expect(took < 1500, "without waiting for the lock (" .. took .. " ms)")

send(conn, {"<yes@example.com>"}, NEWSLETTER, NEWSLETTER_BODY)
expect(tempfailed(conn), "promotional mail tempfailed after the timeout")

t0 = now_ms()
send(conn, {"<who@example.com>"}, ORDER, ORDER_BODY)
expect(mt.getreply(conn) == SMFIR_ACCEPT, "transactional mail accepted again")
took = now_ms() - t0
expect(took < 1500, "again without waiting (" .. took .. " ms)")
mt.disconnect(conn)
