#!/usr/bin/env bash
# Run a command beside a throwaway PostgreSQL cluster: `with_postgres.sh CMD ARGS...`.
#
# The cluster lives in a temporary folder, listens on 127.0.0.1 only, on a free port, and
# is stopped and deleted when the command ends (whatever its exit status). The command
# sees HARNESS_TEST_PG, the URL of the cluster's maintenance database; the tests create
# and drop their own databases on it. PostgreSQL's server comes from Debian's packages
# (/usr/lib/postgresql/*/bin); where it is missing and we are root, it is installed. With
# CI=true a cluster that cannot be started is an error, not a skip.
set -uo pipefail

fail() {
    echo "with_postgres.sh: $*" >&2
    if [ "${CI:-}" = "true" ]; then exit 2; fi
    echo "with_postgres.sh: running without PostgreSQL (its tests are skipped)" >&2
    exec "$@"
}

bindir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

BIN="$(bindir)"
if [ -z "$BIN" ] && [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    echo "with_postgres.sh: installing Debian's postgresql package" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null 2>&1 || {
        apt-get update -qq >/dev/null 2>&1 &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null 2>&1; }
    BIN="$(bindir)"
fi
if [ -z "$BIN" ]; then
    fail "no PostgreSQL server found (install Debian's postgresql package)" "$@"
fi

DATA="$(mktemp -d "${TMPDIR:-/tmp}/harness-pg.XXXXXX")"
PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
# initdb refuses to run as root: the cluster belongs to the postgres user then
AS=()
if [ "$(id -u)" = "0" ]; then
    id postgres >/dev/null 2>&1 || fail "root, and no postgres user to own the cluster" "$@"
    chown postgres "$DATA"
    AS=(runuser -u postgres --)
fi
cleanup() {
    "${AS[@]}" "$BIN/pg_ctl" -D "$DATA/db" -m fast -w stop >/dev/null 2>&1
    rm -rf "$DATA"
}
trap cleanup EXIT

if ! "${AS[@]}" "$BIN/initdb" -D "$DATA/db" --auth=trust --username=harness -E UTF8 \
        --locale=C >"$DATA/initdb.log" 2>&1; then
    cat "$DATA/initdb.log" >&2
    cleanup; trap - EXIT
    fail "initdb failed" "$@"
fi
if ! "${AS[@]}" "$BIN/pg_ctl" -D "$DATA/db" -l "$DATA/server.log" -w -t 30 \
        -o "-c listen_addresses=127.0.0.1 -p $PORT -k $DATA -c max_connections=200 -c fsync=off" \
        start >/dev/null; then
    cat "$DATA/server.log" >&2
    cleanup; trap - EXIT
    fail "the server did not start" "$@"
fi
echo "with_postgres.sh: PostgreSQL $("$BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PORT" >&2
export HARNESS_TEST_PG="postgresql+psycopg://harness@127.0.0.1:$PORT/postgres"
"$@"
status=$?
exit $status
