# shellcheck shell=bash
# Placement under uwsgi (like Keystone).
placement_db() {
  local P="$RUN/placement"
  mkdir -p "$P"
  cat > "$P/placement.conf" <<EOC
[DEFAULT]
log_file = $P/placement.log
[api]
auth_strategy = keystone
[placement_database]
connection = $PG_URL/placement
$(authtoken)
$(oslo_policy placement)
EOC
  placement-manage --config-file "$P/placement.conf" db sync > "$P/db.log" 2>&1 || die "placement-manage failed (see $P/db.log)"
}

start_placement() {
  local P="$RUN/placement"
  OS_PLACEMENT_CONFIG_DIR="$P" uwsgi --plugins python3 --http11-socket "127.0.0.1:$PLACEMENT_PORT" \
    --wsgi-file /usr/bin/placement-api --master --processes 1 --threads 2 --lazy-apps --die-on-term \
    --buffer-size 65535 --env "OS_PLACEMENT_CONFIG_DIR=$P" --pidfile "$P/uwsgi.pid" --daemonize "$P/uwsgi.log"
  local i=0
  while [ ! -s "$P/uwsgi.pid" ] && [ $i -lt 40 ]; do sleep 0.25; i=$((i + 1)); done
  record_pid placement "$(cat "$P/uwsgi.pid")" "$PLACEMENT_PORT"
}
