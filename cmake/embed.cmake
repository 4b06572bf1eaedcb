# embed.cmake — writes INPUT's bytes into OUTPUT as a NUL-terminated C array
# named SYMBOL. Run with cmake -P at build time, so an edit to INPUT rebuilds.
file(READ "${INPUT}" content HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${content}")
file(WRITE "${OUTPUT}.tmp"
  "/* Generated from ${INPUT} by cmake/embed.cmake. Do not edit. */\n"
  "extern const char ${SYMBOL}[];\n"
  "const char ${SYMBOL}[] = {${bytes} 0x00};\n")
file(RENAME "${OUTPUT}.tmp" "${OUTPUT}")
