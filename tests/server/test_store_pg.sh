#!/bin/bash
# The store's unit tests on PostgreSQL: starts a throw-away cluster
# (tests/support/pg-tmp.sh), runs the PostgreSQL groups of
# $OT_BUILD/tests/test_store and test_triage_store against it (each test in
# its own schema), and stops the cluster.
set -u
: "${OT_BUILD:?}" "${OT_SRC:?}"
bin="$OT_BUILD/tests/test_store"
pgtmp="$OT_SRC/tests/support/pg-tmp.sh"
if [ ! -x "$bin" ]; then
    echo "skipped: $bin is not built"
    exit 77
fi
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    echo "skipped: no PostgreSQL server installed (scripts/setup.sh installs the postgresql package)"
    exit 77
fi
if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
    echo "skipped: running as root and there is no postgres user to run the server"
    exit 77
fi
dir=$(mktemp -d /tmp/ot-pg.XXXXXX)
trap 'bash "$pgtmp" stop "$dir" >/dev/null 2>&1 || true' EXIT
if ! url=$(bash "$pgtmp" start "$dir"); then
    echo "FAIL: cannot start a throw-away PostgreSQL in $dir"
    exit 1
fi
echo "PostgreSQL at $url"
OT_TEST_PG_URL="$url" OT_TEST_PG_CTL="bash $pgtmp" OT_TEST_PG_DIR="$dir" OT_TEST_PG_ONLY=1 "$bin"
rc=$?
# Triage's store tests too (their PostgreSQL group runs only with OT_TEST_PG_URL).
tri="$OT_BUILD/tests/test_triage_store"
if [ -x "$tri" ]; then
    OT_TEST_PG_URL="$url" "$tri" || rc=1
else
    echo "FAIL: $tri is not built"
    rc=1
fi
exit $rc
