#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A throwaway PostgreSQL cluster for one test run.
#
#   pg.sh start PORT [OWNER_PID]   prints the cluster's folder
#   pg.sh createdb DIR NAME        a fresh, empty database
#   pg.sh stop DIR                 stops the cluster and removes DIR
#
# start makes a temporary folder owned by the postgres user (initdb
# refuses root), runs initdb there with trust auth for local clients and
# starts the server with pg_ctl, listening only on 127.0.0.1:PORT and on
# a unix socket in the folder; it waits until the server accepts
# connections. With OWNER_PID a watcher stops the cluster and removes the
# folder when that process ends without calling stop (a test killed by
# its timeout). Clients connect as the superuser "postgres" on
# 127.0.0.1:PORT.
set -euo pipefail

bindir=$(pg_config --bindir 2>/dev/null || true)
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
    bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V |
             tail -n 1)
fi
[ -x "$bindir/initdb" ] ||
    { echo "pg.sh: initdb not found (install postgresql)" >&2; exit 1; }

# Commands run as the postgres user when we are root, else as ourselves.
as_owner() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

stop_cluster() {
    local dir=$1
    [ -d "$dir" ] || return 0
    if [ -f "$dir/watch.pid" ] && [ "${2:-}" != from-watcher ]; then
        kill -- "-$(cat "$dir/watch.pid")" 2>/dev/null || true
    fi
    if [ -f "$dir/data/postmaster.pid" ]; then
        as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -t 60 -w stop \
            >/dev/null 2>&1 ||
        as_owner "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop \
            >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
}

start_cluster() {
    local port=$1 owner=${2:-} dir
    dir=$(mktemp -d /tmp/hookreplay-pg.XXXXXX)
    chmod 755 "$dir"
    if [ "$(id -u)" = 0 ]; then
        chown postgres: "$dir"
    fi
    if ! as_owner "$bindir/initdb" -D "$dir/data" -U postgres -A trust \
            --no-sync -E UTF8 --locale=C >"$dir/initdb.log" 2>&1; then
        cat "$dir/initdb.log" >&2
        rm -rf "$dir"
        return 1
    fi
    if ! as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" \
            -w -t 60 -o "-c listen_addresses=127.0.0.1 -p $port \
                         -c unix_socket_directories=$dir -c fsync=off \
                         -c synchronous_commit=off \
                         -c full_page_writes=off" start >/dev/null; then
        cat "$dir/server.log" >&2 || true
        stop_cluster "$dir"
        return 1
    fi
    echo "$port" > "$dir/port"
    if [ -n "$owner" ]; then
        # In a session of its own, so that stop ends it with its sleep;
        # detached from our stdout, so that the caller's read of the
        # folder name ends when this script does.
        setsid bash "$0" watch "$dir" "$owner" </dev/null >/dev/null 2>&1 &
        echo $! > "$dir/watch.pid"
    fi
    echo "$dir"
}

case "${1:-}" in
start)
    [ $# -ge 2 ] || { echo "usage: pg.sh start PORT [OWNER_PID]" >&2; exit 2; }
    start_cluster "$2" "${3:-}"
    ;;
createdb)
    [ $# -eq 3 ] || { echo "usage: pg.sh createdb DIR NAME" >&2; exit 2; }
    PGOPTIONS='-c client_min_messages=warning' \
        as_owner "$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h "$2" \
        -p "$(cat "$2/port")" -U postgres -d postgres \
        -c "drop database if exists \"$3\"" -c "create database \"$3\""
    ;;
watch)
    while kill -0 "$3" 2>/dev/null && [ -d "$2" ]; do
        sleep 1
    done
    stop_cluster "$2" from-watcher
    ;;
stop)
    [ $# -eq 2 ] || { echo "usage: pg.sh stop DIR" >&2; exit 2; }
    case "$2" in
    /tmp/hookreplay-pg.*) stop_cluster "$2" ;;
    *) echo "pg.sh: $2 is not a folder pg.sh made" >&2; exit 2 ;;
    esac
    ;;
*)
    echo "usage: pg.sh start PORT [OWNER_PID] | createdb DIR NAME |" \
         "stop DIR" >&2
    exit 2
    ;;
esac
