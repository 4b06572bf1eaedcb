-- config: Mode dry-run
-- The milter, consentctl classify and consent-milter -t give every mail of
-- the fixture corpus (tests/fixtures/mail, tests/fixtures/holdout) the same
-- category: the milter as an MTA hands a message over (each header as name
-- and value, CRLF line ends, the body in chunks of at most 65535 bytes),
-- the two offline tools on the file itself, all with the same
-- configuration. Also a file padded past the header bound (generated into
-- the work directory): it is promotional in all three.
dofile(common)

local function lines_of(cmd)
  local p = assert(io.popen(cmd))
  local out = {}
  for line in p:lines() do out[#out + 1] = line end
  p:close()
  return out
end

local function read_file(path)
  local f = assert(io.open(path, "rb"))
  local data = f:read("a")
  f:close()
  return data
end

-- Splits a message file into headers (name, value as the MTA passes them:
-- leading blanks of the value dropped, folded lines kept) and the body.
local function split(data)
  local head, body = data:match("^(.-)\r?\n\r?\n(.*)$")
  if head == nil then head, body = data, "" end
  local headers = {}
  for line in (head .. "\n"):gmatch("(.-)\r?\n") do
    if line:match("^[ \t]") and #headers > 0 then
      headers[#headers][2] = headers[#headers][2] .. "\r\n" .. line
    else
      local name, value = line:match("^([^:]+):[ \t]*(.*)$")
      if name then headers[#headers + 1] = {name, value} end
    end
  end
  body = body:gsub("\r?\n", "\r\n")
  return headers, body
end

local padded = workdir .. "/padded-order.eml"
do
  local f = assert(io.open(padded, "wb"))
  f:write("From: Shop <service@example.de>\n")
  for i = 1, 10000 do f:write(string.format("X-Filler-%05d: aaaaaaaaaaaaaaaa\n", i)) end
  f:write("Subject: Ihre Bestellbestaetigung 4711\n\n", ORDER_BODY:gsub("\r\n", "\n"))
  f:close()
end

local files = lines_of("ls " .. fixtures .. "/mail/*/*.eml " .. fixtures .. "/holdout/*/*.eml")
files[#files + 1] = padded
expect(#files > 100, #files .. " files")

local conn = open_connection()
for i, path in ipairs(files) do
  local headers, body = split(read_file(path))
  local qid = string.format("QAGREE%04d", i)
  mt.macro(conn, SMFIC_MAIL, "i", qid)
  if mt.mailfrom(conn, "<shop@example.de>") ~= nil then error("mailfrom: " .. path) end
  if mt.rcptto(conn, "<yes@example.com>") ~= nil then error("rcptto: " .. path) end
  for _, h in ipairs(headers) do
    if mt.header(conn, h[1], h[2]) ~= nil then error("header: " .. path) end
  end
  if mt.eoh(conn) ~= nil then error("eoh: " .. path) end
  for at = 1, #body, 65535 do
    if mt.bodystring(conn, body:sub(at, at + 65534)) ~= nil then error("body: " .. path) end
    if mt.getreply(conn) == SMFIR_SKIP then break end
  end
  if mt.eom(conn) ~= nil then error("eom: " .. path) end
  mt.getreply(conn)
end
mt.disconnect(conn)

local milter_says = {}
for _, line in ipairs(lines_of("cat " .. workdir .. "/milter.log")) do
  local n, cat = line:match("QAGREE(%d+): category=(%S+)")
  if n then milter_says[files[tonumber(n)]] = cat end
end
local list = table.concat(files, " ")
local ctl_says, test_says = {}, {}
for _, line in ipairs(lines_of(ctl_cmd .. " classify --json " .. list)) do
  local f, cat = line:match('^{"file":"(.-)","category":"(.-)"')
  if f then ctl_says[f] = cat end
end
for _, line in ipairs(lines_of(milter_cmd .. " -r '<yes@example.com>' -t " .. list)) do
  local f, cat = line:match("^(%S.-): (%S+) %(")
  if f then test_says[f] = cat end
end

local differ = 0
for _, path in ipairs(files) do
  local m, c, t = milter_says[path], ctl_says[path], test_says[path]
  if m == nil or m ~= c or m ~= t then
    differ = differ + 1
    mt.echo(string.format("DIFFER %s: milter %s, consentctl %s, -t %s", path,
                          tostring(m), tostring(c), tostring(t)))
  end
end
expect(differ == 0, "milter, consentctl classify and -t agree on all " .. #files .. " files")
expect(milter_says[padded] == "promotional", "the padded order is promotional")
