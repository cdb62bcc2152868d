# shellcheck shell=bash
# A private PostgreSQL 15 cluster under $DEVCLOUD_HOME, shared by every service of this dev cloud.
start_postgres() {
  local D="$RUN/pg"
  mkdir -p "$D" && chown postgres "$D"
  su postgres -s /bin/sh -c "$PGBIN/initdb -D $D/data -A trust -U postgres --no-sync" > "$D/init.log"
  # fsync off: a throw-away cluster for tests, speed over durability; a dozen services hold pools
  su postgres -s /bin/sh -c "$PGBIN/pg_ctl -D $D/data -l $D/log -w start -o '-k $D -p $PG_PORT \
    -c listen_addresses=127.0.0.1 -c max_connections=400 -c fsync=off -c synchronous_commit=off \
    -c full_page_writes=off'" > /dev/null
  record_pid postgres "$(head -1 "$D/data/postmaster.pid")" "$PG_PORT"
  pg_createdb keystone neutron
  if [ "$COMPUTE_ON" = 1 ]; then
    pg_createdb glance placement nova_api nova nova_cell0 cinder
  fi
}

stop_postgres() {
  [ -f "$PIDS/postgres.pid" ] || return 0
  if kill -0 "$(cat "$PIDS/postgres.pid")" 2>/dev/null && [ -d "$RUN/pg/data" ]; then
    su postgres -s /bin/sh -c "$PGBIN/pg_ctl -D $RUN/pg/data -m fast -w stop" > /dev/null 2>&1 \
      || kill "$(cat "$PIDS/postgres.pid")"
    log "stopped postgres"
  fi
  rm -f "$PIDS/postgres.pid" "$PIDS/postgres.port"
}
