# shellcheck shell=bash
# Shared by scripts/devcloud.sh and the pieces in scripts/devcloud/: settings, ports, helpers.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HOME_DIR="${DEVCLOUD_HOME:-${WARDCTL_STATE:-$ROOT/.wardctl}/devcloud}"
mkdir -p "$HOME_DIR"
HOME_DIR="$(cd "$HOME_DIR" && pwd)"
RUN="$HOME_DIR/run"
PIDS="$HOME_DIR/pids"
POLICY_DIR="$HOME_DIR/policy"
# a short id of this home: RabbitMQ node name, Ceph fsid seed, compute host name (two clouds side by side)
DC_ID="$(printf '%s' "$HOME_DIR" | cksum | cut -d' ' -f1)"
COMPUTE_HOST="devcloud-$DC_ID"

SWIFT_ON="${DEVCLOUD_SWIFT:-1}"           # Swift, both sites (and cinder-backup, which backs up into it)
COMPUTE_ON="${DEVCLOUD_COMPUTE:-1}"       # RabbitMQ, Glance, Placement, Nova, Cinder (and Ceph)
CINDER_BACKEND="${DEVCLOUD_CINDER_BACKEND:-ceph}"   # ceph (real bytes, RBD) | fake (no bytes, no backups)

# name  variable  default — every port is DEVCLOUD_<X>_PORT; checked free before start
PORT_TABLE="
pg                PG_PORT               15432
keystone          KEYSTONE_PORT         5000
neutron           NEUTRON_PORT          9696
swift             SWIFT_PORT            8080
swift-account     SWIFT_ACCOUNT_PORT    6202
swift-container   SWIFT_CONTAINER_PORT  6201
swift-object      SWIFT_OBJECT_PORT     6200
swift2            SWIFT2_PORT           8081
swift2-account    SWIFT2_ACCOUNT_PORT   6212
swift2-container  SWIFT2_CONTAINER_PORT 6211
swift2-object     SWIFT2_OBJECT_PORT    6210
rabbitmq          RABBITMQ_PORT         5672
rabbitmq-dist     RABBITMQ_DIST_PORT    25672
rabbitmq-epmd     RABBITMQ_EPMD_PORT    4369
glance            GLANCE_PORT           9292
placement         PLACEMENT_PORT        8778
nova              NOVA_PORT             8774
cinder            CINDER_PORT           8776
ceph-mon          CEPH_MON_PORT         6789
ceph-daemons      CEPH_PORT             6800
"
while read -r _name _var _def; do
  [ -n "${_name:-}" ] || continue
  _env="DEVCLOUD_$_var"
  printf -v "$_var" '%s' "${!_env:-$_def}"
done <<< "$PORT_TABLE"
CEPH_PORT_MAX=$((CEPH_PORT + 19))   # the OSD and the mgr bind inside CEPH_PORT..+19

ADMIN_PASS="${DEVCLOUD_ADMIN_PASSWORD:-secret}"
KS_URL="http://127.0.0.1:$KEYSTONE_PORT/v3"
PG_URL="postgresql+psycopg2://postgres@127.0.0.1:$PG_PORT"
RABBIT_URL="rabbit://devcloud:devcloud@127.0.0.1:$RABBITMQ_PORT/"
PGBIN=/usr/lib/postgresql/15/bin
# The Debian services run on the system python, not a pyenv/venv one that may be first on PATH.
SYS_PY=/usr/bin/python3

log() { printf '%s devcloud: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

wait_http() {  # URL SECONDS
  local i
  for ((i = 0; i < $2 * 2; i++)); do curl -s -o /dev/null --max-time 5 "$1" && return 0; sleep 0.5; done
  return 1
}

port_busy() { (exec 3<> "/dev/tcp/127.0.0.1/$1") 2> /dev/null; }
# busy for 5 s on end: a process `stop` just killed may take a moment to let its port go
port_taken() { local i; for ((i = 0; i < 10; i++)); do port_busy "$1" || return 1; sleep 0.5; done; return 0; }

record_pid() {  # NAME PID [PORT]
  mkdir -p "$PIDS"; echo "$2" > "$PIDS/$1.pid"
  if [ -n "${3:-}" ]; then echo "$3" > "$PIDS/$1.port"; else rm -f "$PIDS/$1.port"; fi
}

spawn() {  # NAME PORT|- LOGFILE CMD... : start CMD in its own session, record its PID
  local name=$1 port=$2 out=$3; shift 3
  setsid nohup "$@" > "$out" 2>&1 < /dev/null &
  record_pid "$name" $! "${port#-}"
}

# [keystone_authtoken] for every service: they all act as the dev cloud's admin
authtoken() {
  cat <<EOC
[keystone_authtoken]
www_authenticate_uri = http://127.0.0.1:$KEYSTONE_PORT
auth_url = http://127.0.0.1:$KEYSTONE_PORT
auth_type = password
project_domain_name = Default
user_domain_name = Default
project_name = admin
username = admin
password = $ADMIN_PASS
EOC
}

# [section] with admin credentials (nova's [neutron]/[placement]/[cinder]/[glance], cinder's [nova] …)
service_auth() {  # SECTION
  cat <<EOC
[$1]
auth_url = http://127.0.0.1:$KEYSTONE_PORT
auth_type = password
project_domain_name = Default
user_domain_name = Default
project_name = admin
username = admin
password = $ADMIN_PASS
region_name = RegionOne
EOC
}

# [oslo_policy]: each service reads $DEVCLOUD_HOME/policy/<service>.yaml; legacy rules in it apply as written
oslo_policy() {  # SERVICE
  cat <<EOC
[oslo_policy]
policy_file = $POLICY_DIR/$1.yaml
enforce_scope = false
enforce_new_defaults = false
EOC
}

pg_createdb() {  # NAME...
  local db
  for db in "$@"; do
    psql -q -U postgres -h 127.0.0.1 -p "$PG_PORT" -c "create database $db" > /dev/null
  done
}
