# Shared helpers of the end-to-end tests (sourced, not run).
#
# The tests drive the real programs: otasuke-server on a temporary data
# folder and a free port (SQLite, or PostgreSQL from tests/support/pg-tmp.sh),
# the admin CLI `otasuke`, otasuke-sensor, and tests/e2e/ingest-client.py (a
# sender that records which events the server acknowledged).
#
# Contract assumed from docs/server/design.md: otasuke-server --data DIR
# --listen 127.0.0.1:PORT [--store URL]; the data folder gets ca.pem and
# admin.key on first start; GET /api/v1/health answers when it is ready.
#
# Exit codes: 0 pass, 1 fail, 77 skipped (the reason is printed).

set -uo pipefail
BIN=${OT_BIN:?OT_BIN not set}
SRC=${OT_SRC:?OT_SRC not set}
E2E=$SRC/tests/e2e
CLIENT=$E2E/ingest-client.py
work=$(mktemp -d /tmp/ot-e2e-XXXXXX)
chmod 755 "$work" # pg-tmp.sh runs PostgreSQL as user postgres inside it
fails=0 passes=0
server_pids=()
pg_dirs=()

ok() { echo "ok   $1"; passes=$((passes + 1)); }
bad() { echo "FAIL $1"; fails=$((fails + 1)); }
check() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }
skip() {
    echo "SKIP: $1"
    exit 77
}

cleanup() {
    local p d
    for p in "${server_pids[@]}"; do
        kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
    done
    for d in "${pg_dirs[@]}"; do
        bash "$SRC/tests/support/pg-tmp.sh" stop "$d" >/dev/null 2>&1
    done
    if [ "$fails" -eq 0 ] || [ -z "${OT_E2E_KEEP:-}" ]; then
        rm -rf "$work"
    else
        echo "kept $work"
    fi
}
trap cleanup EXIT

# Ends the test with its verdict.
finish() {
    echo "$passes passed, $fails failed"
    [ "$fails" -eq 0 ]
    exit $?
}

need_server() {
    [ -x "$BIN/otasuke-server" ] || skip "otasuke-server is not built yet ($BIN/otasuke-server)"
    [ -x "$BIN/otasuke" ] || skip "the admin CLI otasuke is not built ($BIN/otasuke)"
    command -v curl >/dev/null || skip "curl (the command) is not installed"
    command -v python3 >/dev/null || skip "python3 is not installed"
}

# True when the sensor can enrol and send to a server (the --server mode).
sensor_can_send() {
    [ -x "$BIN/otasuke-sensor" ] && "$BIN/otasuke-sensor" --help 2>&1 | grep -q "enroll"
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# pg_start NAME: a throw-away PostgreSQL, its URL in PG_URL, or skips the test.
# Not to be called in $(...): the cluster must be registered for cleanup in
# this shell (cleanup stops it).
pg_start() {
    local d=$work/$1 rc
    pg_dirs+=("$d") # before starting: a half-started cluster is stopped too
    PG_URL=$(bash "$SRC/tests/support/pg-tmp.sh" start "$d" 2>"$work/$1.err")
    rc=$?
    if [ $rc -eq 3 ]; then
        skip "no PostgreSQL server installed: $(cat "$work/$1.err")"
    elif [ $rc -ne 0 ]; then
        echo "pg-tmp.sh start failed:" >&2
        cat "$work/$1.err" >&2
        exit 1
    fi
}

# start_server DATA PORT [STORE_URL]: starts otasuke-server in the background and
# waits until /api/v1/health answers; sets SERVER_PID (the last started) and
# appends it to server_pids.  Fails the test when it does not come up in 30 s.
start_server() {
    local data=$1 port=$2 store=${3:-} i
    local args=(--data "$data" --listen "127.0.0.1:$port")
    [ -n "$store" ] && args+=(--store "$store")
    "$BIN/otasuke-server" "${args[@]}" >>"$data.log" 2>&1 &
    SERVER_PID=$!
    server_pids+=("$SERVER_PID")
    for i in $(seq 1 300); do
        if [ -f "$data/ca.pem" ] &&
            curl -sf --cacert "$data/ca.pem" "https://127.0.0.1:$port/api/v1/health" >/dev/null 2>&1; then
            return 0
        fi
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then
            echo "otasuke-server exited at start:" >&2
            tail -n 30 "$data.log" >&2
            return 1
        fi
        sleep 0.1
    done
    echo "otasuke-server did not answer /api/v1/health in 30 s" >&2
    tail -n 30 "$data.log" >&2
    return 1
}

# stop_server PID [SIGNAL]: TERM (or the signal given) and wait for it.
stop_server() {
    kill "-${2:-TERM}" "$1" 2>/dev/null
    wait "$1" 2>/dev/null
    local keep=() p
    for p in "${server_pids[@]}"; do [ "$p" != "$1" ] && keep+=("$p"); done
    server_pids=("${keep[@]+"${keep[@]}"}")
}

# ota DATA PORT ARGS...: the admin CLI against that server.
ota() {
    local data=$1 port=$2
    shift 2
    "$BIN/otasuke" --server "https://127.0.0.1:$port" --data "$data" "$@"
}

# api DATA PORT PATH: GET with the admin key, the JSON answer on stdout.
api() {
    curl -sf --cacert "$1/ca.pem" -H "Authorization: Bearer $(cat "$1/admin.key")" \
        "https://127.0.0.1:$2$3"
}

# jq-like extraction with python: json_get 'expr on d' < json
json_get() {
    python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"
}

# store_count DATA STORE_URL SQL: one number from the store (SQLite file or PostgreSQL).
store_query() {
    local data=$1 store=$2 sql=$3
    if [ -n "$store" ]; then
        psql -qAt "$store" -c "$sql"
    else
        sqlite3 "$data/otasuke.db" "$sql"
    fi
}
