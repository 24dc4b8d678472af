#!/usr/bin/env bash
# A throwaway PostgreSQL server for the store and queue tests (docs/platform.md, "PostgreSQL").
#
#   scripts/pg_test_server.sh start DIR   initdb in DIR/data, start on 127.0.0.1 at a free port
#                                         (unix socket in DIR/sock), create appaudit_test, print
#                                         the libpq URI (also written to DIR/uri)
#   scripts/pg_test_server.sh stop DIR    stop the server and remove DIR
#
# Debian's server binaries (package postgresql; PG_BIN overrides /usr/lib/postgresql/15/bin).
# Trust authentication on loopback and the socket only: the server is for tests, never for data
# (fsync is off). initdb refuses to run as root, so as root the server runs as the `postgres`
# system user, which owns DIR; DIR's parents must be searchable by it (a mktemp -d under /tmp
# is).
set -euo pipefail

cmd=${1:-}
dir=${2:-}
if [ -z "$cmd" ] || [ -z "$dir" ]; then
  echo "usage: $0 start|stop DIR" >&2
  exit 2
fi
bin=${PG_BIN:-/usr/lib/postgresql/15/bin}

as_server_user() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

case "$cmd" in
  start)
    if [ ! -x "$bin/initdb" ]; then
      echo "pg_test_server: no $bin/initdb; install Debian's postgresql package (scripts/setup.sh)" >&2
      exit 1
    fi
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    if [ "$(id -u)" -eq 0 ]; then
      chown postgres "$dir"
      if ! runuser -u postgres -- test -w "$dir"; then
        echo "pg_test_server: user postgres cannot write $dir (are its parents searchable?)" >&2
        exit 1
      fi
    fi
    as_server_user mkdir -p "$dir/sock"
    if [ ! -d "$dir/data" ]; then
      as_server_user "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C \
        --no-sync >"$dir/initdb.log" 2>&1 || {
        cat "$dir/initdb.log" >&2
        exit 1
      }
    fi
    # A free port: bind port 0 and read what the kernel gave; retry if someone takes it first.
    for try in 1 2 3 4 5; do
      port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
      if as_server_user "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
          -o "-c listen_addresses=127.0.0.1 -p $port -k $dir/sock -c fsync=off \
              -c synchronous_commit=off -c full_page_writes=off" start >/dev/null; then
        break
      fi
      if [ "$try" -eq 5 ]; then
        tail -20 "$dir/server.log" >&2
        exit 1
      fi
    done
    "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres appaudit_test
    uri="postgresql://postgres@127.0.0.1:$port/appaudit_test"
    echo "$uri" >"$dir/uri"
    echo "$uri"
    ;;
  stop)
    if [ -d "$dir/data" ]; then
      as_server_user "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    ;;
  *)
    echo "usage: $0 start|stop DIR" >&2
    exit 2
    ;;
esac
