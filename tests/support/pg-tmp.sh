#!/bin/bash
# A throw-away PostgreSQL cluster for tests.
#
#   pg-tmp.sh start DIR   initdb in DIR (first time), start it, print its URL
#   pg-tmp.sh halt DIR    stop it, keep DIR (start again later: same port, same data)
#   pg-tmp.sh stop DIR    stop it and remove DIR
#
# Listens on a unix socket in DIR and on 127.0.0.1 at a free port, trust
# authentication, fsync=on (tests check durability).  As root the server runs
# as the `postgres` user (runuser) and DIR is given to it; otherwise as the
# caller.  Exit 3 when the PostgreSQL server binaries are not installed.
set -euo pipefail

usage() {
    echo "usage: $0 start|halt|stop DIR" >&2
    exit 2
}
[ $# -eq 2 ] || usage
cmd=$1
dir=$2

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
    echo "pg-tmp: no PostgreSQL server in /usr/lib/postgresql/*/bin (apt-get install postgresql)" >&2
    exit 3
fi

as_pg() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

running() {
    [ -f "$dir/data/postmaster.pid" ] && as_pg "$bindir/pg_ctl" -D "$dir/data" status >/dev/null 2>&1
}

halt() {
    if running; then
        as_pg "$bindir/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null
    fi
}

# A port nothing listens on (a connect that fails); pg_ctl start is retried if it was taken.
free_port() {
    local p
    for _ in $(seq 1 50); do
        p=$((20000 + RANDOM % 40000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            echo "$p"
            return 0
        fi
    done
    echo "pg-tmp: no free port found" >&2
    return 1
}

start() {
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    if [ "$(id -u)" = 0 ]; then
        chown postgres: "$dir"
        if ! runuser -u postgres -- test -w "$dir"; then
            echo "pg-tmp: user postgres cannot reach $dir (a parent folder is closed to it)" >&2
            return 1
        fi
    fi
    if [ ${#dir} -gt 80 ]; then
        echo "pg-tmp: $dir is too long for a unix socket path" >&2
        return 1
    fi
    local fresh=0
    if [ ! -f "$dir/data/PG_VERSION" ]; then
        fresh=1
        as_pg "$bindir/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --no-locale \
            >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; return 1; }
    fi
    local port tries=0
    while :; do
        if [ -f "$dir/port" ] && [ $fresh = 0 ]; then
            port=$(cat "$dir/port")
        else
            port=$(free_port)
        fi
        as_pg sh -c "cat > '$dir/data/postgresql.auto.conf'" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
fsync = on
synchronous_commit = on
full_page_writes = on
max_connections = 60
shared_buffers = 64MB
log_min_messages = warning
CONF
        if as_pg "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null; then
            break
        fi
        tries=$((tries + 1))
        if [ $tries -ge 3 ] || { [ $fresh = 0 ] && [ -f "$dir/port" ]; }; then
            tail -n 20 "$dir/server.log" >&2 || true
            return 1
        fi
    done
    echo "$port" | as_pg sh -c "cat > '$dir/port'"
    if [ $fresh = 1 ]; then
        as_pg "$bindir/psql" -h "$dir" -p "$port" -U postgres -d postgres -qAt \
            -c "CREATE DATABASE otasuke_test" >/dev/null
    fi
    echo "postgresql://postgres@127.0.0.1:$port/otasuke_test"
}

case $cmd in
start) start ;;
halt) halt ;;
stop)
    halt
    rm -rf "$dir"
    ;;
*) usage ;;
esac
