-- config: Mode reject
-- issue 10: whatever an administrator does to the store file while the
-- milter runs, the next message is decided on the new content (as
-- consentctl check reads it), never on what pooled handles had cached:
-- a backup copied over the live file (cp: same inode, same WAL index),
-- renamed onto it (mv), written into it with sqlite3's .restore, and an
-- import. Each backup holds an objection that the live store lacks.
dofile(common)

local function sh(cmd)
    local ok = os.execute(cmd)
    expect(ok == true or ok == 0, "ran: " .. cmd)
end

local function check_says(addr, verdict)
    local p = io.popen(ctl .. " -d " .. db .. " check --category promotional " .. addr)
    local first = p:read("*l") or ""
    p:close()
    expect(first:sub(1, #verdict) == verdict, "consentctl check " .. addr .. ": " .. first)
end

-- consented: the message to addr goes out; objected: it is refused.
local function message(addr, consented)
    local conn = open_connection()
    send(conn, {"<" .. addr .. ">"}, NEWSLETTER, NEWSLETTER_BODY)
    if consented then
        expect(mt.getreply(conn) == SMFIR_ACCEPT, addr .. ": accepted")
    else
        expect(rejected(conn), addr .. ": refused")
    end
    mt.disconnect(conn)
end

-- Each operation twice: with the milter's pooled handles idle since they
-- last read the store (their cached pages must not be used), and after a
-- change recorded while they hold the store open (SQLite cannot checkpoint
-- it at close then; consentctl must, or the replaced file is read through
-- WAL frames of the old content).
local cases = {}
for _, op in ipairs({"cp", "mv", "restore", "import"}) do
    for _, after in ipairs({"idle", "write"}) do
        cases[#cases + 1] = {op = op, after = after, addr = op .. "-" .. after .. "@example.com",
                             backup = dir .. "/backup-" .. op .. "-" .. after .. ".db"}
    end
end
for _, c in ipairs(cases) do
    sh(ctl .. " -d " .. db .. " grant " .. c.addr .. " --evidence DOI >/dev/null")
end
-- The backups, made as an administrator would (sqlite3's .backup of the
-- live store), each with one objection more.
for _, c in ipairs(cases) do
    sh("sqlite3 " .. db .. " '.backup " .. c.backup .. "'")
    sh(ctl .. " -d " .. c.backup .. " object " .. c.addr .. " >/dev/null")
end

for _, c in ipairs(cases) do
    -- the file old enough for handles to be kept between messages, then a
    -- few messages, so that several pooled handles have cached pages
    sh("sleep 1.2")
    for _ = 1, 3 do message(c.addr, true) end
    if c.after == "write" then
        sh(ctl .. " -d " .. db .. " grant other-" .. c.addr .. " >/dev/null")
    end
    if c.op == "cp" then
        sh("cp " .. c.backup .. " " .. db)
    elseif c.op == "mv" then
        sh("mv " .. c.backup .. " " .. db)
    elseif c.op == "restore" then
        sh("sqlite3 " .. db .. " '.restore " .. c.backup .. "'")
    else
        sh("printf 'address,action\\n" .. c.addr .. ",object\\n' >" .. dir .. "/objection.csv")
        sh(ctl .. " -d " .. db .. " import " .. dir .. "/objection.csv >/dev/null")
    end
    check_says(c.addr, "deny objected")
    message(c.addr, false)
    message(c.addr, false)
end
