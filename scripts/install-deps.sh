#!/bin/sh
# install-deps.sh — install everything consent-milter needs to build, run its
# demo and run its test suite on Debian 12 (bookworm). Run as root.
#
# Idempotent: packages already present are left alone, and nothing is
# printed on success. Postfix is installed with "No configuration" so that
# the package never starts a system-wide mail server or asks a question; the
# tests and the demo run private Postfix instances of their own.
#
# The Sendmail e2e tests need Sendmail itself too, but sendmail-bin
# conflicts with postfix: tests/e2e/sendmail_fetch.sh fetches its packages
# with apt-get download and unpacks them into a cache instead. Only what
# that copy needs is installed here: m4 for its configuration, the
# libraries it links against that nothing else pulls in (liblockfile1,
# libwrap0), unshare and mount (util-linux) for its namespace.
set -eu

PACKAGES="build-essential cmake pkg-config clang libclang-rt-14-dev valgrind \
libmilter-dev libgmime-3.0-dev libglib2.0-dev libsqlite3-dev sqlite3 check \
postfix swaks miltertest python3 python3-milter \
m4 liblockfile1 libwrap0 util-linux"

missing=""
for p in $PACKAGES; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps.sh: missing packages:$missing; run as root to install them" >&2
    exit 1
fi

log=$(mktemp /tmp/consent-milter-deps.XXXXXX)
trap 'rm -f "$log"' EXIT
export DEBIAN_FRONTEND=noninteractive
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
echo "postfix postfix/mailname string localhost" | debconf-set-selections
if ! { apt-get update -q && apt-get install -y -q --no-install-recommends $missing; } >"$log" 2>&1; then
    cat "$log" >&2
    echo "install-deps.sh: apt-get failed installing:$missing" >&2
    exit 1
fi
# Debian starts the packaged Postfix only when it has a configuration; make
# sure no system instance is left running that could take port 25.
if command -v postfix >/dev/null 2>&1 && postfix status >/dev/null 2>&1; then
    postfix stop >/dev/null 2>&1 || true
fi
exit 0
