-- config: Mode reject
-- log: structure:header-block-over-262144-bytes
-- audit: structure:header-block-over-262144-bytes
-- Ten thousand filler headers push the Subject and the list headers of a
-- newsletter past the header block the milter keeps; what is left reads
-- like an order. The milter must not decide on the part it kept: the
-- message is promotional, the objected recipient removed, the overflow
-- named in the evidence, the log and the audit. A transactional mail
-- padded the same way is promotional too (nobody without consent gets it),
-- and one just under the bound is decided on its content.
dofile(common)

local function padded(count, tail)
  local h = {{"From", "Shop <service@example.de>"}, {"Message-ID", "<pad@example.de>"}}
  for i = 1, count do
    h[#h + 1] = {string.format("X-Filler-%05d", i), "aaaaaaaaaaaaaaaa"}
  end
  for _, t in ipairs(tail) do h[#h + 1] = t end
  return h
end
local NEWS_TAIL = {
  {"Subject", "Neu im Sortiment: die Herbstkollektion"},
  {"List-Unsubscribe", "<https://shop.example.de/u?x=1>"},
  {"List-Unsubscribe-Post", "List-Unsubscribe=One-Click"},
  {"Precedence", "bulk"},
}
local ORDER_TAIL = {{"Subject", "Ihre Bestellbestaetigung 4711"}}

local conn = open_connection()
send(conn, {"<obj@example.com>"}, padded(10000, NEWS_TAIL), ORDER_BODY)
expect(rejected(conn), "padded newsletter to an objected recipient: 550 5.7.1")
send(conn, {"<who@example.com>"}, padded(10000, ORDER_TAIL), ORDER_BODY)
expect(rejected(conn), "padded order without consent on record: 550 5.7.1")
send(conn, {"<yes@example.com>"}, padded(10000, ORDER_TAIL), ORDER_BODY)
expect(mt.getreply(conn) == SMFIR_ACCEPT, "padded order, consent on record: accepted")
-- 7,000 fillers of 34 bytes: 238,000 bytes, under the bound
send(conn, {"<who@example.com>"}, padded(7000, ORDER_TAIL), ORDER_BODY)
expect(mt.getreply(conn) == SMFIR_ACCEPT, "order under the bound: decided on content")
mt.disconnect(conn)
