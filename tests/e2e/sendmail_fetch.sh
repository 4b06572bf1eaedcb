#!/bin/sh
# sendmail_fetch.sh — a copy of Debian's Sendmail for the e2e tests, never
# installed: the packages are fetched with apt-get download into a cache
# and unpacked there with dpkg-deb -x. (sendmail-bin conflicts with the
# postfix package the rest of the suite needs, so dpkg -i is out.)
#
#     sh sendmail_fetch.sh CACHE_DIR
#
# Leaves CACHE_DIR/debs/*.deb and CACHE_DIR/root/ (the unpacked tree:
# usr/libexec/sendmail/sendmail, usr/share/sendmail/cf, usr/sbin/saslpasswd2)
# and prints CACHE_DIR/root. What is already there is used again; nothing
# is fetched then. Exit 1, saying why, when it cannot be had: the tests
# that need it fail on that, they do not skip.
#
# The libraries the binary links against (liblockfile1, libwrap0, ...) and
# m4 for its configuration are ordinary packages without conflicts:
# scripts/install-deps.sh installs them.
set -u

PACKAGES="sendmail-bin sendmail-base sendmail-cf sasl2-bin"
cache=${1:?usage: sendmail_fetch.sh CACHE_DIR}
root=$cache/root
sm=$root/usr/libexec/sendmail/sendmail

die() {
    echo "sendmail_fetch.sh: $*" >&2
    exit 1
}

unpacked() {
    [ -x "$sm" ] && [ -f "$root/usr/share/sendmail/cf/m4/cf.m4" ] &&
        [ -x "$root/usr/sbin/saslpasswd2" ]
}

mkdir -p "$cache/debs" || die "cannot create $cache/debs"
# Two tests may start at once: one fetches, the other waits for it.
exec 9>"$cache/.lock" || die "cannot open $cache/.lock"
flock -w 300 9 || die "another fetch holds $cache/.lock for more than 5 minutes"

if ! unpacked; then
    for p in $PACKAGES; do
        ls "$cache/debs/${p}_"*.deb >/dev/null 2>&1 && continue
        # apt-get download writes into the current directory.
        if ! (cd "$cache/debs" && timeout 300 apt-get download -q "$p") >"$cache/download.log" 2>&1; then
            # An old package list may name a version the mirror no longer has.
            timeout 300 apt-get update -q >>"$cache/download.log" 2>&1
            (cd "$cache/debs" && timeout 300 apt-get download -q "$p") >>"$cache/download.log" 2>&1 ||
                die "apt-get download $p failed: $(tail -n 3 "$cache/download.log")"
        fi
    done
    rm -rf "$root.new"
    mkdir -p "$root.new" || die "cannot create $root.new"
    for deb in "$cache/debs/"*.deb; do
        dpkg-deb -x "$deb" "$root.new" || die "dpkg-deb -x $deb failed"
    done
    rm -rf "$root"
    mv "$root.new" "$root" || die "cannot move $root.new to $root"
    unpacked || die "the unpacked packages lack sendmail, its cf/ or saslpasswd2"
fi

missing=$(ldd "$sm" 2>/dev/null | sed -n 's/^[[:space:]]*\([^ ]*\) => not found.*/\1/p' | tr '\n' ' ')
[ -z "$missing" ] || die "sendmail needs libraries that are not installed ($missing): run scripts/install-deps.sh"
command -v m4 >/dev/null 2>&1 || die "m4 is missing: run scripts/install-deps.sh"
echo "$root"
