#!/usr/bin/env bash
# The loopback dev cloud: a real Keystone + Neutron (Debian bookworm packages, OpenStack Zed) on
# 127.0.0.1, no agents, no message bus; optional Swift. For `wardctl inventory/drift/cost usage` and the
# tests marked `live`.
#
#   scripts/devcloud.sh start    install the packages if missing, start everything, write clouds.yaml
#   scripts/devcloud.sh stop     stop exactly the PIDs this script started (never by name)
#   scripts/devcloud.sh status   which of the recorded processes are alive; exit 0 when all are
#   scripts/devcloud.sh env      shell exports for using it: eval "$(scripts/devcloud.sh env)"
#
# Everything lives under $DEVCLOUD_HOME (default: ${WARDCTL_STATE:-.wardctl}/devcloud). `start` is fresh
# every time (old state is removed after stopping what it recorded). DEVCLOUD_SWIFT=1 adds Swift.
# Ports: PostgreSQL 55432, Keystone 5000, Neutron 9696, Swift 8080 (override with DEVCLOUD_*_PORT).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
HOME_DIR="${DEVCLOUD_HOME:-${WARDCTL_STATE:-$ROOT/.wardctl}/devcloud}"
mkdir -p "$HOME_DIR"
HOME_DIR="$(cd "$HOME_DIR" && pwd)"
RUN="$HOME_DIR/run"
PIDS="$HOME_DIR/pids"
PG_PORT="${DEVCLOUD_PG_PORT:-55432}"
KS_PORT="${DEVCLOUD_KEYSTONE_PORT:-5000}"
NEUTRON_PORT="${DEVCLOUD_NEUTRON_PORT:-9696}"
SWIFT_PORT="${DEVCLOUD_SWIFT_PORT:-8080}"
ADMIN_PASS="${DEVCLOUD_ADMIN_PASSWORD:-secret}"
KS_URL="http://127.0.0.1:$KS_PORT/v3"
PGBIN=/usr/lib/postgresql/15/bin
# The Debian services run on the system python, not a pyenv/venv one that may be first on PATH.
SYS_PY=/usr/bin/python3
PACKAGES=(keystone neutron-server postgresql python3-psycopg2 uwsgi uwsgi-plugin-python3 curl)
SWIFT_PACKAGES=(swift-proxy swift-account swift-container swift-object)

log() { printf '%s devcloud: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

wait_http() {  # URL SECONDS
  local i
  for ((i = 0; i < $2 * 2; i++)); do curl -sf -o /dev/null "$1" && return 0; sleep 0.5; done
  return 1
}

record_pid() {  # NAME PID
  mkdir -p "$PIDS"; echo "$2" > "$PIDS/$1.pid"
}

install_packages() {
  local wanted=("${PACKAGES[@]}") missing=() p
  [ "${DEVCLOUD_SWIFT:-0}" = 1 ] && wanted+=("${SWIFT_PACKAGES[@]}")
  for p in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  [ "$(id -u)" = 0 ] || die "packages missing (${missing[*]}) and not root: install them or run as root"
  log "installing ${missing[*]}"
  # Keep the packages' maintainer scripts from starting system-wide services: we start our own.
  local guard_added=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; guard_added=1
  fi
  local rc=0
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      "${missing[@]}"; } > "$HOME_DIR/apt.log" 2>&1 || rc=$?
  [ $guard_added = 1 ] && rm -f /usr/sbin/policy-rc.d
  [ $rc = 0 ] || die "apt-get install failed (see $HOME_DIR/apt.log)"
}

as_postgres() { su postgres -s /bin/sh -c "$1"; }

start_postgres() {
  local D="$RUN/pg"
  mkdir -p "$D" && chown postgres "$D"
  as_postgres "$PGBIN/initdb -D $D/data -A trust -U postgres --no-sync" > "$D/init.log"
  # fsync off: a throw-away cluster for tests, speed over durability
  as_postgres "$PGBIN/pg_ctl -D $D/data -l $D/log -w start -o '-k $D -p $PG_PORT -c listen_addresses=127.0.0.1 \
    -c fsync=off -c synchronous_commit=off -c full_page_writes=off'" > /dev/null
  record_pid postgres "$(head -1 "$D/data/postmaster.pid")"
  local db
  for db in keystone neutron; do
    psql -q -U postgres -h 127.0.0.1 -p "$PG_PORT" -c "create database $db" > /dev/null
  done
}

start_keystone() {
  local K="$RUN/keystone"
  mkdir -p "$K/fernet-keys" "$K/credential-keys"
  cat > "$K/keystone.conf" <<EOC
[DEFAULT]
log_file = $K/keystone.log
[database]
connection = postgresql+psycopg2://postgres@127.0.0.1:$PG_PORT/keystone
[token]
provider = fernet
[fernet_tokens]
key_repository = $K/fernet-keys
[credential]
key_repository = $K/credential-keys
EOC
  local KM="keystone-manage --config-file $K/keystone.conf"
  # keystone-manage prints eventlet tracebacks at exit; the work is done, hence the log file
  { $KM fernet_setup --keystone-user root --keystone-group root
    $KM credential_setup --keystone-user root --keystone-group root
    $KM db_sync
    $KM bootstrap --bootstrap-password "$ADMIN_PASS" --bootstrap-admin-url "$KS_URL/" \
      --bootstrap-internal-url "$KS_URL/" --bootstrap-public-url "$KS_URL/" --bootstrap-region-id RegionOne
  } > "$K/manage.log" 2>&1 || die "keystone-manage failed (see $K/manage.log)"
  # --http11-socket keeps connections alive: with --http-socket openstacksdk's reused connections drop
  OS_KEYSTONE_CONFIG_FILES="$K/keystone.conf" uwsgi --plugins python3 \
    --http11-socket "127.0.0.1:$KS_PORT" --wsgi-file /usr/bin/keystone-wsgi-public \
    --master --processes 2 --threads 1 --lazy-apps --die-on-term --buffer-size 65535 \
    --env "OS_KEYSTONE_CONFIG_FILES=$K/keystone.conf" \
    --pidfile "$K/uwsgi.pid" --daemonize "$K/uwsgi.log"
  wait_http "$KS_URL" 60 || die "keystone did not answer on $KS_URL (see $K/uwsgi.log)"
  record_pid keystone "$(cat "$K/uwsgi.pid")"
}

catalog() {  # register SERVICE_TYPE NAME URL in Keystone's catalog (idempotent)
  "$SYS_PY" - "$@" <<'EOPY'
import sys
import openstack
service_type, name, url = sys.argv[1:4]
import os
conn = openstack.connect(auth_url=os.environ["KS_URL"], username="admin", password=os.environ["ADMIN_PASS"],
                         project_name="admin", user_domain_name="Default", project_domain_name="Default",
                         region_name="RegionOne")
service = next((s for s in conn.identity.services() if s.type == service_type), None) \
    or conn.identity.create_service(type=service_type, name=name)
have = {e.interface for e in conn.identity.endpoints(service_id=service.id)}
for interface in ("public", "internal", "admin"):
    if interface not in have:
        conn.identity.create_endpoint(service_id=service.id, interface=interface, url=url, region_id="RegionOne")
EOPY
}

reseller_admin() {  # Swift lets the admin read every project's account (per-ward usage) with this role
  "$SYS_PY" - <<'EOPY'
import os
import openstack
conn = openstack.connect(auth_url=os.environ["KS_URL"], username="admin", password=os.environ["ADMIN_PASS"],
                         project_name="admin", user_domain_name="Default", project_domain_name="Default",
                         region_name="RegionOne")
role = conn.identity.find_role("ResellerAdmin") or conn.identity.create_role(name="ResellerAdmin")
user = conn.identity.find_user("admin", domain_id="default")
project = conn.identity.find_project("admin", domain_id="default")
conn.identity.assign_project_role_to_user(project, user, role)
EOPY
}

start_neutron() {
  local N="$RUN/neutron"
  mkdir -p "$N/lock"
  cat > "$N/neutron.conf" <<EOC
[DEFAULT]
core_plugin = ml2
service_plugins = router
auth_strategy = keystone
transport_url = fake:/
bind_host = 127.0.0.1
bind_port = $NEUTRON_PORT
api_workers = 1
rpc_workers = 0
rpc_state_report_workers = 0
allow_overlapping_ips = true
notify_nova_on_port_status_changes = false
notify_nova_on_port_data_changes = false
log_file = $N/neutron.log
[database]
connection = postgresql+psycopg2://postgres@127.0.0.1:$PG_PORT/neutron
[keystone_authtoken]
www_authenticate_uri = http://127.0.0.1:$KS_PORT
auth_url = http://127.0.0.1:$KS_PORT
auth_type = password
project_domain_name = Default
user_domain_name = Default
project_name = admin
username = admin
password = $ADMIN_PASS
[oslo_concurrency]
lock_path = $N/lock
EOC
  cat > "$N/ml2_conf.ini" <<EOC
[ml2]
type_drivers = flat,vlan,vxlan,local
tenant_network_types = vxlan
mechanism_drivers =
extension_drivers = port_security
[ml2_type_vxlan]
vni_ranges = 1:10000
[ml2_type_flat]
flat_networks = *
[ml2_type_vlan]
network_vlan_ranges = physnet1:100:200
EOC
  local CF=(--config-file "$N/neutron.conf" --config-file "$N/ml2_conf.ini")
  neutron-db-manage "${CF[@]}" upgrade heads > "$N/dbm.log" 2>&1 || die "neutron-db-manage failed (see $N/dbm.log)"
  KS_URL="$KS_URL" ADMIN_PASS="$ADMIN_PASS" catalog network neutron "http://127.0.0.1:$NEUTRON_PORT" \
    > "$N/catalog.log" 2>&1 || die "registering the network endpoint failed (see $N/catalog.log)"
  setsid nohup neutron-server "${CF[@]}" > "$N/server.out" 2>&1 < /dev/null &
  record_pid neutron $!
  wait_http "http://127.0.0.1:$NEUTRON_PORT/" 120 || die "neutron did not answer (see $N/neutron.log)"
}

start_swift() {
  local S="$RUN/swift" E="$RUN/swift/etc" n p svc
  mkdir -p "$E" "$S/node/sdb1" "$S/log"
  printf '[swift-hash]\nswift_hash_path_suffix = devcloud\nswift_hash_path_prefix = devcloud\n[storage-policy:0]\nname = Policy-0\ndefault = yes\n' > "$E/swift.conf"
  for svc in account:6202 container:6201 object:6200; do
    n=${svc%%:*}; p=${svc##*:}
    cat > "$E/$n-server.conf" <<EOC
[DEFAULT]
bind_ip = 127.0.0.1
bind_port = $p
workers = 0
devices = $S/node
mount_check = false
swift_dir = $E
log_address = /dev/null
[pipeline:main]
pipeline = $n-server
[app:$n-server]
use = egg:swift#$n
[${n}-replicator]
[${n}-auditor]
[${n}-updater]
EOC
    (cd "$E" && swift-ring-builder "$n.builder" create 8 1 1 && swift-ring-builder "$n.builder" add \
      "r1z1-127.0.0.1:$p/sdb1" 100 && swift-ring-builder "$n.builder" rebalance) > /dev/null 2>&1 || true
  done
  cat > "$E/proxy-server.conf" <<EOC
[DEFAULT]
bind_ip = 127.0.0.1
bind_port = $SWIFT_PORT
workers = 0
swift_dir = $E
[pipeline:main]
pipeline = catch_errors gatekeeper healthcheck proxy-logging listing_formats bulk authtoken keystoneauth copy slo dlo versioned_writes symlink proxy-logging proxy-server
[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true
[filter:authtoken]
paste.filter_factory = keystonemiddleware.auth_token:filter_factory
www_authenticate_uri = http://127.0.0.1:$KS_PORT
auth_url = http://127.0.0.1:$KS_PORT
auth_type = password
project_domain_name = Default
user_domain_name = Default
project_name = admin
username = admin
password = $ADMIN_PASS
delay_auth_decision = True
[filter:keystoneauth]
use = egg:swift#keystoneauth
operator_roles = admin, member
reseller_admin_role = ResellerAdmin
[filter:versioned_writes]
use = egg:swift#versioned_writes
allow_versioned_writes = true
allow_object_versioning = true
[filter:symlink]
use = egg:swift#symlink
[filter:catch_errors]
use = egg:swift#catch_errors
[filter:gatekeeper]
use = egg:swift#gatekeeper
[filter:healthcheck]
use = egg:swift#healthcheck
[filter:proxy-logging]
use = egg:swift#proxy_logging
[filter:listing_formats]
use = egg:swift#listing_formats
[filter:bulk]
use = egg:swift#bulk
[filter:copy]
use = egg:swift#copy
[filter:slo]
use = egg:swift#slo
[filter:dlo]
use = egg:swift#dlo
EOC
  for n in account container object proxy; do
    setsid nohup "swift-$n-server" "$E/$n-server.conf" > "$S/log/$n.out" 2>&1 < /dev/null &
    record_pid "swift-$n" $!
  done
  KS_URL="$KS_URL" ADMIN_PASS="$ADMIN_PASS" catalog object-store swift \
    "http://127.0.0.1:$SWIFT_PORT/v1/AUTH_%(project_id)s" > "$S/catalog.log" 2>&1 \
    || die "registering the object-store endpoint failed (see $S/catalog.log)"
  KS_URL="$KS_URL" ADMIN_PASS="$ADMIN_PASS" reseller_admin >> "$S/catalog.log" 2>&1 \
    || die "granting ResellerAdmin failed (see $S/catalog.log)"
  wait_http "http://127.0.0.1:$SWIFT_PORT/healthcheck" 30 || die "swift did not answer (see $S/log)"
}

write_clouds_yaml() {
  local tmp="$HOME_DIR/.clouds.yaml.tmp"
  cat > "$tmp" <<EOC
# written by scripts/devcloud.sh start; the admin of a throw-away loopback cloud
clouds:
  wardcloud-dev:
    auth:
      auth_url: $KS_URL
      username: admin
      password: $ADMIN_PASS
      project_name: admin
      user_domain_name: Default
      project_domain_name: Default
    region_name: RegionOne
    identity_api_version: 3
    interface: public
EOC
  mv "$tmp" "$HOME_DIR/clouds.yaml"
}

stop() {
  local f pid name
  [ -d "$PIDS" ] || return 0
  for f in "$PIDS"/*.pid; do
    [ -e "$f" ] || continue
    name="$(basename "$f" .pid)"; pid="$(cat "$f")"
    [ "$name" = postgres ] && continue  # last: the others hold connections to it
    if kill -0 "$pid" 2>/dev/null; then kill "$pid" 2>/dev/null || true; log "stopped $name ($pid)"; fi
    rm -f "$f"
  done
  sleep 1
  if [ -f "$PIDS/postgres.pid" ]; then
    if kill -0 "$(cat "$PIDS/postgres.pid")" 2>/dev/null && [ -d "$RUN/pg/data" ]; then
      as_postgres "$PGBIN/pg_ctl -D $RUN/pg/data -m fast -w stop" > /dev/null 2>&1 || kill "$(cat "$PIDS/postgres.pid")"
      log "stopped postgres"
    fi
    rm -f "$PIDS/postgres.pid"
  fi
}

status() {
  local f ok=0 any=0
  for f in "$PIDS"/*.pid; do
    [ -e "$f" ] || continue
    any=1
    if kill -0 "$(cat "$f")" 2>/dev/null; then echo "$(basename "$f" .pid) running pid $(cat "$f")"
    else echo "$(basename "$f" .pid) DEAD pid $(cat "$f")"; ok=1; fi
  done
  [ $any = 1 ] || { echo "not started (no PIDs under $PIDS)"; return 1; }
  return $ok
}

env_exports() {
  echo "export OS_CLIENT_CONFIG_FILE='$HOME_DIR/clouds.yaml'"
  echo "export WARDCTL_CLOUD=wardcloud-dev"
}

start() {
  [ "$(uname -s)" = Linux ] || die "Linux (Debian bookworm) only"
  command -v apt-get > /dev/null || die "needs Debian/Ubuntu apt-get"
  stop
  local port
  for port in "$PG_PORT" "$KS_PORT" "$NEUTRON_PORT"; do
    # another dev cloud (or anything) on our ports would answer our health checks: refuse to start
    if (exec 3<> "/dev/tcp/127.0.0.1/$port") 2> /dev/null; then
      die "127.0.0.1:$port is already in use (another dev cloud? stop it with its own DEVCLOUD_HOME)"
    fi
  done
  rm -rf "$RUN" "$HOME_DIR/clouds.yaml"
  mkdir -p "$RUN"
  local t0=$SECONDS
  install_packages
  log "packages ready ($((SECONDS - t0))s)"
  start_postgres;  log "postgres up ($((SECONDS - t0))s)"
  start_keystone;  log "keystone up on $KS_URL ($((SECONDS - t0))s)"
  start_neutron;   log "neutron up on http://127.0.0.1:$NEUTRON_PORT ($((SECONDS - t0))s)"
  if [ "${DEVCLOUD_SWIFT:-0}" = 1 ]; then start_swift; log "swift up ($((SECONDS - t0))s)"; fi
  write_clouds_yaml
  log "ready: eval \"\$($0 env)\"  (clouds.yaml entry wardcloud-dev in $HOME_DIR/clouds.yaml)"
}

case "${1:-}" in
  start) trap 'rc=$?; [ $rc = 0 ] || { log "start failed; stopping what was started"; stop; }' EXIT; start ;;
  stop) stop ;;
  status) status ;;
  env) env_exports ;;
  *) echo "usage: $0 start|stop|status|env" >&2; exit 2 ;;
esac
