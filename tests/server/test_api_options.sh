#!/bin/bash
# otasuke-server's command line: --help, --version, -T (prints the keys),
# configuration errors with FILE:LINE, bad values refused before anything is
# created, a data folder that is a file, a port already taken.
set -u
OT_SRC=${OT_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
OT_BIN=${OT_BIN:-$OT_SRC/build/bin}
SRV=$OT_BIN/otasuke-server
if [ ! -x "$SRV" ]; then
    echo "skip: $SRV is not built"
    exit 77
fi
TMP=$(mktemp -d /tmp/ot-api-opt.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
fail=0
ok() { echo "ok   $1"; }
bad() { echo "FAIL $1"; fail=1; }
# expect STATUS PATTERN DESCRIPTION -- command...
expect() {
    local want=$1 pat=$2 what=$3
    shift 4
    local out rc
    out=$("$@" 2>&1)
    rc=$?
    if [ "$rc" = "$want" ] && grep -q -- "$pat" <<<"$out"; then
        ok "$what"
    else
        bad "$what (exit $rc): $out"
    fi
}

expect 0 "usage: otasuke-server" "--help" -- "$SRV" --help
expect 0 "^otasuke-server [0-9]" "--version" -- "$SRV" --version
expect 2 "usage" "unknown option" -- "$SRV" --bogus
expect 2 "unexpected argument" "stray argument" -- "$SRV" extra
expect 0 "ingest.max-body *= 8388608" "-T prints the defaults" -- "$SRV" -T
expect 0 "store *= sqlite:$TMP/d/otasuke.db" "-T shows the store in the data folder" -- "$SRV" -T --data "$TMP/d"
[ ! -e "$TMP/d" ] && ok "-T creates nothing" || bad "-T created the data folder"

cat >"$TMP/good.conf" <<'CONF'
# comment
listen = "127.0.0.1:9443"   # quoted, trailing comment
ingest.max-body = 2M
ingest.rate = 2.5
san = a.example.jp, 192.0.2.1
CONF
expect 0 "ingest.max-body *= 2097152" "file values" -- "$SRV" -c "$TMP/good.conf" -T
expect 0 "listen *= 127.0.0.1:7000" "options win over the file" -- "$SRV" -c "$TMP/good.conf" --listen 127.0.0.1:7000 -T
expect 0 "san *= a.example.jp,192.0.2.1,b.example.jp" "--san adds to the file's names" -- "$SRV" -c "$TMP/good.conf" --san b.example.jp -T
printf 'threads = 2\nnot a pair\n' >"$TMP/bad1.conf"
expect 1 "bad1.conf:2: expected key = value" "FILE:LINE for a malformed line" -- "$SRV" -c "$TMP/bad1.conf" -T
printf '\n\ningest.max-lines = lots\n' >"$TMP/bad2.conf"
expect 1 "bad2.conf:3: ingest.max-lines" "FILE:LINE for a bad value" -- "$SRV" -c "$TMP/bad2.conf" -T
printf 'listen = "unterminated\n' >"$TMP/bad3.conf"
expect 1 "bad3.conf:1: unterminated" "FILE:LINE for an open quote" -- "$SRV" -c "$TMP/bad3.conf" -T
expect 1 "No such file" "missing -c file" -- "$SRV" -c "$TMP/none.conf" -T
expect 1 "san: DNS:x is not" "a --san that would smuggle a name" -- "$SRV" --san 'a,DNS:x' -T
expect 1 "threads" "threads 0" -- "$SRV" --threads 0 -T
expect 1 "listen" "listen without a port" -- "$SRV" --listen 127.0.0.1 -T
expect 1 "unknown key" "-s unknown key" -- "$SRV" -s nope=1 -T
expect 0 "owner.time-zone *= JST" "owner texts in JST by default" -- "$SRV" -T
expect 0 "owner.time-zone *= +05:30" "an offset for owner texts" -- "$SRV" -s owner.time-zone=+05:30 -T
expect 1 "owner.time-zone: Asia/Tokyo is not JST, UTC or" "a zone name we do not know" -- "$SRV" -s owner.time-zone=Asia/Tokyo -T
expect 1 "not ADDR:PORT" "listen on a host name" -- "$SRV" --data "$TMP/d1" --listen localhost:1
touch "$TMP/file"
expect 1 "not a folder" "data folder is a file" -- "$SRV" --data "$TMP/file"
# a port already taken: the second server says so and exits 1
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$SRV" --data "$TMP/d2" --listen "127.0.0.1:$port" >"$TMP/first.log" 2>&1 &
pid=$!
for _ in $(seq 1 50); do grep -q "^listening:" "$TMP/first.log" && break; sleep 0.1; done
expect 1 "cannot listen on 127.0.0.1:$port" "port in use" -- "$SRV" --data "$TMP/d2" --listen "127.0.0.1:$port"
kill -TERM $pid
wait $pid && ok "first server stopped with 0" || bad "first server exit status"
exit $fail
