#!/usr/bin/env bash
# A private PostgreSQL 15 cluster for Wharf's tests: initdb in a temporary directory, listening only on 127.0.0.1 at
# a free port, trust authentication (nothing but this machine's loopback reaches it).
#   scripts/postgresql-test-cluster.sh start DIR   prints the connection string of the cluster's superuser
#   scripts/postgresql-test-cluster.sh stop DIR    stops it (the caller removes DIR)
# As root the cluster belongs to the postgres user (PostgreSQL refuses to run as root).
set -euo pipefail

command_dir=$(ls -d /usr/lib/postgresql/15/bin 2>/dev/null || true)
for tool in initdb pg_ctl; do
  if [ -n "$command_dir" ] && [ -x "$command_dir/$tool" ]; then continue; fi
  command -v "$tool" >/dev/null 2>&1 || { echo "PostgreSQL 15 is missing ($tool not found): install Debian's postgresql (scripts/install-test-tools.sh)" >&2; exit 1; }
done
bin() { if [ -n "$command_dir" ]; then echo "$command_dir/$1"; else command -v "$1"; fi; }

action=${1:?start or stop}; dir=${2:?directory}
owner=$(id -un)
as_owner() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" -eq 0 ] && owner=postgres

case "$action" in
  start)
    mkdir -p "$dir"
    [ "$(id -u)" -eq 0 ] && chown postgres "$dir"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    as_owner "$(bin initdb)" -D "$dir/data" -U "$owner" --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
    # fsync off: test databases are thrown away, and the suite should not wait on the disk.
    as_owner "$(bin pg_ctl)" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=400" start >/dev/null \
      || { cat "$dir/server.log" >&2; exit 1; }
    echo "Host=127.0.0.1;Port=$port;Username=$owner;Database=postgres"
    ;;
  stop)
    [ -d "$dir/data" ] && as_owner "$(bin pg_ctl)" -D "$dir/data" -m fast -w stop >/dev/null || true
    ;;
  *) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
