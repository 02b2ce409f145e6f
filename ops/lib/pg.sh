#!/usr/bin/env bash
# A throw-away PostgreSQL cluster: Debian's server, initdb + pg_ctl in a temp dir, loopback only.
# Source this file, call `balmer_pg_start`; it exports BALMER_DATABASE_URL and registers nothing:
# the caller stops it with `balmer_pg_stop` (ops/test and ops/demo do so in an EXIT trap).

balmer_pg_bindir() {
    local dir
    dir=$(pg_config --bindir 2>/dev/null)
    if [ -x "$dir/initdb" ]; then echo "$dir"; return; fi
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    [ -x "$dir/initdb" ] && echo "$dir"
}

# Runs a command as the cluster's owner (PostgreSQL refuses to run as root).
balmer_pg_as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

balmer_pg_free_port() {
    python3 - <<'PY'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
PY
}

balmer_pg_start() {
    local bindir
    bindir=$(balmer_pg_bindir) || true
    if [ -z "$bindir" ]; then
        echo "balmer: PostgreSQL server binaries not found (install the postgresql package)" >&2
        return 1
    fi
    BALMER_PG_DIR=$(mktemp -d /tmp/balmer-pg.XXXXXX)
    chmod 755 "$BALMER_PG_DIR"
    [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$BALMER_PG_DIR"
    BALMER_PG_PORT=$(balmer_pg_free_port)
    balmer_pg_as_owner "$bindir/initdb" -D "$BALMER_PG_DIR/data" -U postgres --auth=trust \
        --encoding=UTF8 --locale=C.UTF-8 >"$BALMER_PG_DIR/initdb.log" 2>&1 || {
        cat "$BALMER_PG_DIR/initdb.log" >&2; return 1; }
    balmer_pg_as_owner "$bindir/pg_ctl" -D "$BALMER_PG_DIR/data" -l "$BALMER_PG_DIR/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $BALMER_PG_PORT -k $BALMER_PG_DIR -c fsync=off -c max_connections=200" \
        start >/dev/null || { cat "$BALMER_PG_DIR/server.log" >&2; return 1; }
    BALMER_PG_BINDIR=$bindir
    "$bindir/psql" -q -h 127.0.0.1 -p "$BALMER_PG_PORT" -U postgres -d postgres \
        -c "CREATE DATABASE balmer" >/dev/null
    export BALMER_PG_DIR BALMER_PG_PORT BALMER_PG_BINDIR
    export BALMER_DATABASE_URL="postgresql://postgres@127.0.0.1:$BALMER_PG_PORT/balmer"
    echo "balmer: PostgreSQL up at $BALMER_DATABASE_URL (data in $BALMER_PG_DIR)" >&2
}

balmer_pg_stop() {
    [ -n "${BALMER_PG_DIR:-}" ] && [ -d "$BALMER_PG_DIR/data" ] || return 0
    balmer_pg_as_owner "$BALMER_PG_BINDIR/pg_ctl" -D "$BALMER_PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$BALMER_PG_DIR"
    unset BALMER_PG_DIR
}
