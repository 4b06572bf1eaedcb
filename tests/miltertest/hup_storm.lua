-- config: Mode reject
-- log: configuration reloaded
-- A storm of SIGHUPs while mail flows: bursts of 50 back to back, then
-- HUPs at random intervals, about 600 in all. Every HUP must reload, none
-- may stop the milter, every message in the meantime must be decided as
-- usual; afterwards the milter still runs, and one more HUP still takes a
-- changed configuration. (libmilter's own signal thread takes a HUP as a
-- stop; one that arrived during a reload once stopped the daemon, exit 0.)
dofile(common)

local function alive()
  return os.execute("kill -0 " .. milter_pid .. " 2>/dev/null") == true
end
local function file_exists(path)
  local f = io.open(path, "r")
  if f then f:close() end
  return f ~= nil
end

local done = workdir .. "/storm.done"
os.execute("python3 - " .. milter_pid .. " " .. done .. [[ <<'PY' >/dev/null 2>&1 &
import os, random, signal, sys, time
pid, done = int(sys.argv[1]), sys.argv[2]
random.seed(10)
try:
    for burst in range(6):
        for _ in range(50):
            os.kill(pid, signal.SIGHUP)
        time.sleep(random.uniform(0, 0.3))
    for _ in range(300):
        os.kill(pid, signal.SIGHUP)
        time.sleep(random.choice([0, 0, 0.0005, 0.002, 0.01, 0.03]))
finally:
    open(done, "w").close()
PY]])

local conn = open_connection()
local sent = 0
local deadline = os.time() + 40
while not file_exists(done) and os.time() < deadline do
  send(conn, {"<yes@example.com>"}, NEWSLETTER, NEWSLETTER_BODY)
  local r = mt.getreply(conn)
  if r ~= SMFIR_ACCEPT then expect(false, "newsletter to a consenting recipient accepted (" .. sent .. ")") end
  send(conn, {"<obj@example.com>"}, NEWSLETTER, NEWSLETTER_BODY)
  if not rejected(conn) then expect(false, "newsletter to an objected recipient refused (" .. sent .. ")") end
  send(conn, {"<obj@example.com>"}, ORDER, ORDER_BODY)
  if mt.getreply(conn) ~= SMFIR_ACCEPT then expect(false, "order accepted (" .. sent .. ")") end
  sent = sent + 3
end
mt.disconnect(conn)
expect(file_exists(done), "the storm ended within 40 s")
expect(sent >= 30, sent .. " messages decided during the storm")
os.execute("sleep 1")
expect(alive(), "the milter still runs after the storm")

-- the last HUP still reloads: dry-run now lets the newsletter through
os.execute("sed -i 's/^Mode reject/Mode dry-run/' " .. workdir .. "/consent-milter.conf")
os.execute("kill -HUP " .. milter_pid)
local ok = false
for _ = 1, 50 do
  os.execute("sleep 0.1")
  local c = open_connection()
  send(c, {"<obj@example.com>"}, NEWSLETTER, NEWSLETTER_BODY)
  local r = mt.getreply(c)
  mt.disconnect(c)
  if r == SMFIR_ACCEPT then ok = true; break end
end
expect(ok, "a HUP after the storm takes the changed configuration")
expect(alive(), "the milter still runs")
