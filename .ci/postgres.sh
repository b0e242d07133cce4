#!/usr/bin/env bash
# Throwaway PostgreSQL server for the db test layer (DESIGN.md §6).
#
#   eval "$(.ci/postgres.sh start)"   # installs PostgreSQL if needed, starts it on 127.0.0.1,
#                                     # prints: export TRADER_TEST_PG_URL=postgresql://...
#   .ci/postgres.sh stop              # stops the server and deletes its data directory
#   .ci/postgres.sh status            # exit 0 if the server this script started is up
#
# or, from another bash script:  source .ci/postgres.sh; trader_pg_start; ...; trader_pg_stop
# (trader_pg_start exports TRADER_TEST_PG_URL in the calling shell). A trap works too:
#   trap trader_pg_stop EXIT
#
# Human-readable progress goes to stderr; stdout carries only the export line. Every failure
# prints "postgres.sh: ERROR: ..." and returns non-zero. The cluster lives in a temp dir owned
# by the `postgres` OS user when run as root (initdb refuses root), listens on 127.0.0.1 only on a
# free port, and is recorded in $TRADER_PG_STATE (default /tmp/trader-ci-postgres.state).

TRADER_PG_STATE="${TRADER_PG_STATE:-${TMPDIR:-/tmp}/trader-ci-postgres.state}"
TRADER_PG_ROLE="${TRADER_PG_ROLE:-trader_test}"
TRADER_PG_DB="${TRADER_PG_DB:-trader_test}"

_pg_log() { echo "postgres.sh: $*" >&2; }
_pg_die() { echo "postgres.sh: ERROR: $*" >&2; return 1; }

# Directory holding initdb/pg_ctl: the newest /usr/lib/postgresql/<ver>/bin, else the PATH.
_pg_find_bindir() {
    local dir best="" best_ver=-1 ver
    for dir in /usr/lib/postgresql/*/bin; do
        [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ] || continue
        ver="${dir#/usr/lib/postgresql/}"
        ver="${ver%%/*}"
        ver="${ver%%.*}"
        case "$ver" in '' | *[!0-9]*) continue ;; esac
        if [ "$ver" -gt "$best_ver" ]; then best_ver="$ver"; best="$dir"; fi
    done
    if [ -z "$best" ] && command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
        best="$(dirname "$(readlink -f "$(command -v pg_ctl)")")"
    fi
    [ -z "$best" ] || echo "$best"
}

_pg_install() {
    _pg_log "PostgreSQL server binaries not found; installing the Debian package 'postgresql'"
    if [ "$(id -u)" -ne 0 ]; then
        _pg_die "cannot install PostgreSQL: not root (install the 'postgresql' package first)"
        return 1
    fi
    command -v apt-get >/dev/null 2>&1 \
        || { _pg_die "cannot install PostgreSQL: apt-get not found (not Debian/Ubuntu?)"; return 1; }
    # Debian's postinst would create and start a 'main' cluster on port 5432; we do not need it.
    mkdir -p /etc/postgresql-common/createcluster.d \
        && echo "create_main_cluster = false" \
            >/etc/postgresql-common/createcluster.d/trader-ci.conf
    DEBIAN_FRONTEND=noninteractive apt-get update -q >&2 \
        || { _pg_die "apt-get update failed"; return 1; }
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends postgresql >&2 \
        || { _pg_die "apt-get install postgresql failed"; return 1; }
}

# Run a command as the cluster owner: `postgres` when we are root, else ourselves.
_pg_as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        if command -v runuser >/dev/null 2>&1; then
            runuser -u postgres -- "$@"
        else
            su -s /bin/sh postgres -c "$(printf '%q ' "$@")"
        fi
    else
        "$@"
    fi
}

_pg_ensure_os_user() {
    [ "$(id -u)" -eq 0 ] || return 0
    id -u postgres >/dev/null 2>&1 && return 0
    _pg_log "creating the 'postgres' OS user"
    useradd --system --user-group --home-dir /var/lib/postgresql --no-create-home \
        --shell /bin/sh postgres \
        || { _pg_die "could not create the 'postgres' OS user"; return 1; }
}

_pg_free_port() {
    local port
    if command -v python3 >/dev/null 2>&1; then
        python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' \
            && return 0
    fi
    for _ in $(seq 1 50); do
        port=$((20000 + RANDOM % 40000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return 0; fi
    done
    return 1
}

trader_pg_start() {
    if [ -f "$TRADER_PG_STATE" ]; then
        _pg_die "a server is already recorded in $TRADER_PG_STATE; run '.ci/postgres.sh stop' first"
        return 1
    fi
    local rc=0
    _trader_pg_start || rc=$?
    if [ "$rc" -ne 0 ] && [ -f "$TRADER_PG_STATE" ]; then
        _pg_log "cleaning up the half-started server"
        trader_pg_stop || true
    fi
    return "$rc"
}

_trader_pg_start() {
    local name
    for name in "$TRADER_PG_ROLE" "$TRADER_PG_DB"; do
        [[ "$name" =~ ^[a-z_][a-z0-9_]*$ ]] \
            || { _pg_die "role/database name '$name' must match [a-z_][a-z0-9_]*"; return 1; }
    done
    local bindir
    bindir="$(_pg_find_bindir)"
    if [ -z "$bindir" ]; then
        _pg_install || return 1
        bindir="$(_pg_find_bindir)"
        [ -n "$bindir" ] || { _pg_die "installed postgresql but found no initdb/pg_ctl"; return 1; }
    fi
    _pg_ensure_os_user || return 1
    _pg_log "using $("$bindir/postgres" --version 2>/dev/null || echo "$bindir")"

    local base data port password url attempt started=""
    base="$(mktemp -d "${TMPDIR:-/tmp}/trader-pg.XXXXXX")" || { _pg_die "mktemp failed"; return 1; }
    data="$base/data"
    if [ "$(id -u)" -eq 0 ]; then
        chown postgres: "$base" || { _pg_die "could not chown $base to postgres"; return 1; }
    fi
    chmod 700 "$base"
    # Record the state first so `stop` can clean up a half-started server.
    printf 'PG_BASE=%q\nPG_BINDIR=%q\n' "$base" "$bindir" >"$TRADER_PG_STATE"

    # cd: the owner may not be able to read the caller's working directory.
    if ! (cd "$base" && _pg_as_owner "$bindir/initdb" -D "$data" -U postgres -E UTF8 \
            --no-locale --auth-local=trust --auth-host=scram-sha-256 >"$base/initdb.log" 2>&1); then
        cat "$base/initdb.log" >&2
        _pg_die "initdb failed (log above)"
        return 1
    fi

    for attempt in 1 2 3; do
        port="$(_pg_free_port)" || { _pg_die "no free TCP port found"; return 1; }
        if (cd "$base" && _pg_as_owner "$bindir/pg_ctl" -D "$data" -l "$base/server.log" -w -t 60 \
                -o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$base \
-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
                start >&2); then
            started=1
            break
        fi
        _pg_log "start on port $port failed (attempt $attempt)"
    done
    if [ -z "$started" ]; then
        tail -n 30 "$base/server.log" >&2 2>/dev/null
        _pg_die "PostgreSQL did not start (server log above)"
        return 1
    fi
    printf 'PG_PORT=%q\n' "$port" >>"$TRADER_PG_STATE"

    local ready=""
    for _ in $(seq 1 60); do
        if "$bindir/pg_isready" -q -h 127.0.0.1 -p "$port"; then ready=1; break; fi
        sleep 0.5
    done
    [ -n "$ready" ] || { _pg_die "PostgreSQL on 127.0.0.1:$port is not ready after 30 s"; return 1; }

    password="$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
    if ! (cd "$base" && _pg_as_owner "$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h "$base" -p "$port" \
            -U postgres -d postgres \
            -c "CREATE ROLE $TRADER_PG_ROLE LOGIN CREATEDB PASSWORD '$password'" \
            -c "CREATE DATABASE $TRADER_PG_DB OWNER $TRADER_PG_ROLE" >&2); then
        _pg_die "could not create role/database $TRADER_PG_ROLE/$TRADER_PG_DB"
        return 1
    fi
    url="postgresql://$TRADER_PG_ROLE:$password@127.0.0.1:$port/$TRADER_PG_DB"
    # Prove the URL works over TCP with the password before handing it out.
    if ! PGPASSWORD="$password" "$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" \
            -U "$TRADER_PG_ROLE" -d "$TRADER_PG_DB" -c "SELECT 1" >/dev/null; then
        _pg_die "cannot log in as $TRADER_PG_ROLE over TCP"
        return 1
    fi
    printf 'TRADER_TEST_PG_URL=%q\n' "$url" >>"$TRADER_PG_STATE"
    export TRADER_TEST_PG_URL="$url"
    _pg_log "ready: postgresql://$TRADER_PG_ROLE:***@127.0.0.1:$port/$TRADER_PG_DB (data in $base)"
    echo "export TRADER_TEST_PG_URL=$url"
}

trader_pg_stop() {
    if [ ! -f "$TRADER_PG_STATE" ]; then
        _pg_log "nothing to stop ($TRADER_PG_STATE not found)"
        return 0
    fi
    # local: reading the state file must not change the caller's TRADER_TEST_PG_URL
    local PG_BASE="" PG_BINDIR="" PG_PORT="" TRADER_TEST_PG_URL=""
    # shellcheck disable=SC1090
    . "$TRADER_PG_STATE" || { _pg_die "cannot read $TRADER_PG_STATE"; return 1; }
    local rc=0
    if [ -n "$PG_BASE" ] && [ -f "$PG_BASE/data/postmaster.pid" ]; then
        (cd "$PG_BASE" && _pg_as_owner "$PG_BINDIR/pg_ctl" -D "$PG_BASE/data" -m fast -w -t 60 \
            stop >&2) || { _pg_die "pg_ctl stop failed"; rc=1; }
    fi
    if [ "$rc" -eq 0 ]; then
        case "$PG_BASE" in
            */trader-pg.*) rm -rf -- "$PG_BASE" ;;
        esac
        rm -f -- "$TRADER_PG_STATE"
        _pg_log "stopped"
    fi
    return "$rc"
}

trader_pg_status() {
    [ -f "$TRADER_PG_STATE" ] || { _pg_log "not started"; return 1; }
    local PG_BASE="" PG_BINDIR="" PG_PORT="" TRADER_TEST_PG_URL=""
    # shellcheck disable=SC1090
    . "$TRADER_PG_STATE"
    "$PG_BINDIR/pg_isready" -h 127.0.0.1 -p "$PG_PORT" >&2
}

# Executed (not sourced): dispatch the subcommand.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    set -u
    case "${1:-}" in
        start) trader_pg_start ;;
        stop) trader_pg_stop ;;
        status) trader_pg_status ;;
        *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
    esac
    exit $?
fi
