#!/usr/bin/env bash
# Ingest benchmark of otasuke-server: starts a server on a temporary data
# folder (SQLite), runs bench/bench_ingest as fast as the server answers and
# then at a fixed rate (half the 30,000 events/s target), then does the same
# on a throw-away PostgreSQL (tests/support/pg-tmp.sh), and prints a table.
# Not part of the test suite.
#
#   scripts/bench-server.sh [BUILD_DIR] [--duration S] [--devices N] [--rate R]
#                           [--threads T] [--only sqlite|postgresql]
#
# BUILD_DIR (default build) must hold bin/otasuke-server and bench/bench_ingest
# (cmake --build BUILD_DIR --target otasuke-server bench_ingest).
set -uo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=$src/build
duration=15 devices=8 rate=15000 threads=4 only=""
while [ $# -gt 0 ]; do
    case $1 in
    --duration) duration=$2; shift 2 ;;
    --devices) devices=$2; shift 2 ;;
    --rate) rate=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    -h | --help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "bench-server: unknown option $1" >&2; exit 2 ;;
    *) build=$(cd "$1" && pwd); shift ;;
    esac
done
server=$build/bin/otasuke-server
bench=$build/bench/bench_ingest
for f in "$server" "$bench"; do
    [ -x "$f" ] || { echo "bench-server: $f is missing (cmake --build $build --target otasuke-server bench_ingest)" >&2; exit 1; }
done

work=$(mktemp -d /tmp/ot-bench-server-XXXXXX)
chmod 755 "$work"
pids=() pgdir=""
cleanup() {
    local p
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
    [ -n "$pgdir" ] && bash "$src/tests/support/pg-tmp.sh" stop "$pgdir" >/dev/null 2>&1
    rm -rf "$work"
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# run_store NAME [STORE_URL]: one server, the two modes; appends rows to $work/rows.
run_store() {
    local name=$1 store=${2:-} data=$work/$1 port i
    port=$(free_port)
    local args=(--data "$data" --listen "127.0.0.1:$port" --threads "$threads")
    [ -n "$store" ] && args+=(--store "$store")
    "$server" "${args[@]}" >"$work/$name.log" 2>&1 &
    local pid=$!
    pids+=("$pid")
    for i in $(seq 1 300); do
        [ -f "$data/ca.pem" ] && curl -sf --cacert "$data/ca.pem" "https://127.0.0.1:$port/api/v1/health" >/dev/null 2>&1 && break
        sleep 0.1
    done
    local url=https://127.0.0.1:$port
    echo "== $name: max rate for $duration s, $devices devices" >&2
    "$bench" --server "$url" --data "$data" --devices "$devices" --duration "$duration" \
        --save-creds "$work/$name.creds" | tee "$work/$name.max" >&2
    echo "== $name: $rate events/s for $duration s" >&2
    "$bench" --server "$url" --data "$data" --devices "$devices" --duration "$duration" \
        --creds "$work/$name.creds" --rate "$rate" | tee "$work/$name.rate" >&2
    local m
    for m in max rate; do
        grep '^RESULT' "$work/$name.$m" | sed "s/^RESULT/store=$name/" >>"$work/rows"
    done
    kill "$pid" && wait "$pid" 2>/dev/null
}

: >"$work/rows"
if [ -z "$only" ] || [ "$only" = sqlite ]; then
    run_store sqlite
fi
if [ -z "$only" ] || [ "$only" = postgresql ]; then
    pgdir=$work/pg
    if url=$(bash "$src/tests/support/pg-tmp.sh" start "$pgdir" 2>"$work/pg.err"); then
        run_store postgresql "$url"
    else
        echo "bench-server: no PostgreSQL run: $(cat "$work/pg.err")" >&2
        pgdir=""
    fi
fi

echo
python3 - "$work/rows" "$rate" <<'EOF'
import sys
rows = [dict(kv.split("=", 1) for kv in l.split()) for l in open(sys.argv[1]) if l.strip()]
head = ["store", "mode", "devices", "asked ev/s", "events/s", "p50 ms", "p90 ms", "p99 ms", "max ms", "errors", "target"]
out = []
for r in rows:
    if r["mode"] == "max":
        tgt = ">= 30000 ev/s: " + ("met" if float(r["events_per_s"]) >= 30000 else "NOT MET")
        asked = "-"
    else:
        tgt = "p99 < 200 ms: " + ("met" if float(r["p99_ms"]) < 200 else "NOT MET")
        asked = r["rate"]
    out.append([r["store"], r["mode"], r["devices"], asked, r["events_per_s"], r["p50_ms"],
                r["p90_ms"], r["p99_ms"], r["max_ms"], r["errors"], tgt])
w = [max(len(str(x)) for x in col) for col in zip(head, *out)]
for row in [head] + out:
    print("  ".join(str(x).rjust(w[i]) if 2 <= i <= 9 else str(x).ljust(w[i]) for i, x in enumerate(row)).rstrip())
print("\ntargets: >= 30,000 events/s with triage on; p99 batch latency < 200 ms at half that rate (%s events/s asked)" % sys.argv[2])
EOF
