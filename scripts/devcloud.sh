#!/usr/bin/env bash
# The loopback dev cloud: OpenStack Zed from Debian bookworm's packages on 127.0.0.1, as root.
#   Keystone, Neutron (ML2 + linuxbridge agent), RabbitMQ, Glance, Placement, Nova (fake virt driver),
#   Cinder (RBD on a one-OSD Ceph 16; backups to Swift), and two Swift clusters (site 1 and the off-site
#   site 2) with container sync and at-rest encryption; one private PostgreSQL for all of them.
#
#   scripts/devcloud.sh start    install the packages if missing, start everything, write clouds.yaml
#   scripts/devcloud.sh stop     stop exactly the PIDs this script started (never by name)
#   scripts/devcloud.sh status   each service: name, pid, alive, port; exit 0 when all are alive
#   scripts/devcloud.sh env      shell exports for using it: eval "$(scripts/devcloud.sh env)"
#
# Everything lives under $DEVCLOUD_HOME (default: ${WARDCTL_STATE:-.wardctl}/devcloud). `start` is fresh
# every time (old state is removed after stopping what it recorded).
#   DEVCLOUD_SWIFT=0            no Swift (neither site), so no cinder-backup
#   DEVCLOUD_COMPUTE=0          only Keystone + Neutron (+ Swift): no RabbitMQ, Glance, Placement, Nova, Cinder, Ceph
#   DEVCLOUD_CINDER_BACKEND=fake  Cinder's fake driver instead of Ceph (no bytes stored, backups fail)
#   DEVCLOUD_<X>_PORT           every port; see scripts/devcloud/lib.sh (PORT_TABLE) and docs/live.md
set -euo pipefail

# shellcheck source=devcloud/lib.sh
source "$(dirname "$0")/devcloud/lib.sh"
for _piece in postgres keystone neutron swift rabbitmq ceph glance placement nova cinder; do
  # shellcheck source=/dev/null
  source "$(dirname "$0")/devcloud/$_piece.sh"
done

PACKAGES=(keystone neutron-server postgresql python3-psycopg2 uwsgi uwsgi-plugin-python3 curl)
SWIFT_PACKAGES=(swift-proxy swift-account swift-container swift-object)
COMPUTE_PACKAGES=(rabbitmq-server glance-api placement-api nova-api nova-conductor nova-scheduler
  neutron-linuxbridge-agent cinder-api cinder-scheduler cinder-volume cinder-backup python3-rbd python3-rados)
CEPH_PACKAGES=(ceph-common ceph-mon ceph-osd ceph-mgr)

install_packages() {
  local wanted=("${PACKAGES[@]}") missing=() p
  [ "$SWIFT_ON" = 1 ] && wanted+=("${SWIFT_PACKAGES[@]}")
  [ "$COMPUTE_ON" = 1 ] && wanted+=("${COMPUTE_PACKAGES[@]}")
  [ "$COMPUTE_ON" = 1 ] && [ "$CINDER_BACKEND" = ceph ] && wanted+=("${CEPH_PACKAGES[@]}")
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
  { apt-get -o DPkg::Lock::Timeout=600 update -qq && DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends \
      "${missing[@]}"; } > "$HOME_DIR/apt.log" 2>&1 || rc=$?
  [ $guard_added = 1 ] && rm -f /usr/sbin/policy-rc.d
  [ $rc = 0 ] || die "apt-get install failed (see $HOME_DIR/apt.log)"
}

# the ports this configuration uses: "name variable port" lines
ports_in_use() {
  local name var def
  while read -r name var def; do
    [ -n "${name:-}" ] || continue
    case $name in
      swift*) [ "$SWIFT_ON" = 1 ] || continue ;;
      rabbitmq* | glance | placement | nova | cinder) [ "$COMPUTE_ON" = 1 ] || continue ;;
      ceph*) [ "$COMPUTE_ON" = 1 ] && [ "$CINDER_BACKEND" = ceph ] || continue ;;
    esac
    echo "$name DEVCLOUD_$var ${!var}"
  done <<< "$PORT_TABLE"
}

check_ports() {
  local name var port p seen=" " low high
  # a port in the kernel's ephemeral range can be taken by any outgoing connection after this check
  read -r low high < /proc/sys/net/ipv4/ip_local_port_range 2> /dev/null || { low=0; high=-1; }
  while read -r name var port; do
    case "$seen" in *" $port "*) die "port $port is given twice (DEVCLOUD_*_PORT): $var";; esac
    seen="$seen$port "
    if [ "$port" -ge "$low" ] && [ "$port" -le "$high" ]; then
      log "warning: $var=$port is in the ephemeral range $low-$high: a client socket may hold it when the service binds"
    fi
    # anything on our ports would answer our health checks: refuse to start
    port_taken "$port" && die "127.0.0.1:$port ($var, $name) is already in use (another dev cloud? give this one other ports, or stop it with its own DEVCLOUD_HOME)"
    if [ "$name" = ceph-daemons ]; then
      for ((p = port + 1; p <= CEPH_PORT_MAX; p++)); do
        port_busy "$p" && die "127.0.0.1:$p is in use: $var=$port reserves $port..$CEPH_PORT_MAX for Ceph's OSD and mgr"
      done
    fi
  done < <(ports_in_use)
  return 0
}

write_policy_files() {  # empty policies: every service's defaults; another tool writes real rules here
  local svc
  mkdir -p "$POLICY_DIR"
  for svc in keystone neutron nova cinder placement glance; do echo '{}' > "$POLICY_DIR/$svc.yaml"; done
}

write_clouds_yaml() {
  local tmp="$HOME_DIR/.clouds.yaml.tmp" auth
  auth="      auth_url: $KS_URL
      user_domain_name: Default
      project_domain_name: Default"
  {
    cat <<EOC
# written by scripts/devcloud.sh start; a throw-away loopback cloud
clouds:
  wardcloud-dev:
    auth:
$auth
      username: admin
      password: $ADMIN_PASS
      project_name: admin
    region_name: RegionOne
    identity_api_version: 3
    interface: public
  wardcloud-dev-member:
    auth:
$auth
      username: devcloud-member
      password: $ADMIN_PASS
      project_name: devcloud-demo
    region_name: RegionOne
    identity_api_version: 3
    interface: public
EOC
    if [ "$SWIFT_ON" = 1 ]; then cat <<EOC
  wardcloud-dev-offsite:
    auth:
$auth
      username: admin
      password: $ADMIN_PASS
      project_name: admin
    region_name: Offsite
    identity_api_version: 3
    interface: public
EOC
    fi
  } > "$tmp"
  mv "$tmp" "$HOME_DIR/clouds.yaml"
}

# Each recorded process was started with setsid: it leads its own process group, which holds exactly it
# and its children (oslo.service workers, uwsgi workers). SIGTERM the groups, wait, then SIGKILL what is left.
stop() {
  local f pid name left=() i
  [ -d "$PIDS" ] || return 0
  for f in "$PIDS"/*.pid; do
    [ -e "$f" ] || continue
    name="$(basename "$f" .pid)"; pid="$(cat "$f")"
    [ "$name" = postgres ] && continue  # last: the others hold connections to it
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
      left+=("$pid"); log "stopping $name ($pid)"
    fi
    rm -f "$f" "$PIDS/$name.port"
  done
  for ((i = 0; i < 20; i++)); do  # oslo services wait for RPC to drain; 10 s is plenty here
    local alive=()
    for pid in "${left[@]}"; do kill -0 -- "-$pid" 2>/dev/null && alive+=("$pid"); done
    left=("${alive[@]}")
    [ ${#left[@]} -eq 0 ] && break
    sleep 0.5
  done
  for pid in "${left[@]}"; do log "killing process group $pid"; kill -KILL -- "-$pid" 2>/dev/null || true; done
  stop_postgres
}

status() {
  local f ok=0 any=0 name pid port alive
  printf '%-26s %-8s %-6s %s\n' SERVICE PID ALIVE PORT
  for f in "$PIDS"/*.pid; do
    [ -e "$f" ] || continue
    any=1; name="$(basename "$f" .pid)"; pid="$(cat "$f")"; port="$(cat "$PIDS/$name.port" 2>/dev/null || echo -)"
    if kill -0 "$pid" 2>/dev/null; then alive=yes; else alive=NO; ok=1; fi
    printf '%-26s %-8s %-6s %s\n' "$name" "$pid" "$alive" "$port"
  done
  [ $any = 1 ] || { echo "not started (no PIDs under $PIDS)"; return 1; }
  return $ok
}

env_exports() {
  echo "export OS_CLIENT_CONFIG_FILE='$HOME_DIR/clouds.yaml'"
  echo "export WARDCTL_CLOUD=wardcloud-dev"
  echo "export DEVCLOUD_HOME='$HOME_DIR'"
  [ "$COMPUTE_ON" = 1 ] && [ "$CINDER_BACKEND" = ceph ] && echo "export CEPH_CONF='$RUN/ceph/ceph.conf'"
  return 0
}

# run FUNCTIONs in parallel (each in a subshell); fail naming those that failed
parallel() {
  local f pids=() failed=() i=0
  for f in "$@"; do ( "$f" ) & pids+=($!); done
  for f in "$@"; do wait "${pids[$i]}" || failed+=("$f"); i=$((i + 1)); done
  [ ${#failed[@]} -eq 0 ] || die "failed: ${failed[*]} (see the logs under $RUN)"
}

prepare_1() {  # everything that needs only PostgreSQL, at once (2 cores: the database work overlaps)
  local jobs=(start_keystone)
  [ "$SWIFT_ON" = 1 ] && jobs+=(start_swift)
  if [ "$COMPUTE_ON" = 1 ]; then
    jobs+=(rabbit_up glance_db placement_db nova_db cinder_db)
    [ "$CINDER_BACKEND" = ceph ] && jobs+=(ceph_up)
  fi
  jobs+=(neutron_db)
  parallel "${jobs[@]}"
}
rabbit_up() { start_rabbitmq; wait_rabbitmq; }
ceph_up() { start_ceph; wait_ceph; }

catalog_args() {
  local a=(network neutron RegionOne "http://127.0.0.1:$NEUTRON_PORT")
  [ "$SWIFT_ON" = 1 ] && a+=(object-store swift RegionOne "http://127.0.0.1:$SWIFT_PORT/v1/AUTH_%(project_id)s"
    object-store swift Offsite "http://127.0.0.1:$SWIFT2_PORT/v1/AUTH_%(project_id)s")
  [ "$COMPUTE_ON" = 1 ] && a+=(image glance RegionOne "http://127.0.0.1:$GLANCE_PORT"
    placement placement RegionOne "http://127.0.0.1:$PLACEMENT_PORT"
    compute nova RegionOne "http://127.0.0.1:$NOVA_PORT/v2.1"
    volumev3 cinderv3 RegionOne "http://127.0.0.1:$CINDER_PORT/v3/%(project_id)s")
  printf '%s\n' "${a[@]}"
}

wait_apis() {
  wait_neutron
  [ "$SWIFT_ON" = 1 ] && wait_swift
  [ "$COMPUTE_ON" = 1 ] || return 0
  wait_http "http://127.0.0.1:$GLANCE_PORT/" 90 || die "glance did not answer (see $RUN/glance)"
  wait_http "http://127.0.0.1:$PLACEMENT_PORT/" 90 || die "placement did not answer (see $RUN/placement)"
  wait_http "http://127.0.0.1:$NOVA_PORT/" 120 || die "nova-api did not answer (see $RUN/nova)"
  wait_http "http://127.0.0.1:$CINDER_PORT/" 120 || die "cinder-api did not answer (see $RUN/cinder)"
}

# after the APIs answer: the image, flavors, the compute host, cinder's services, the linuxbridge agent
finish_compute() {
  parallel nova_setup cinder_setup image_and_agent
}
image_and_agent() {
  KS_URL="$KS_URL" ADMIN_PASS="$ADMIN_PASS" COMPUTE_HOST="$COMPUTE_HOST" "$SYS_PY" - <<'EOPY'
import os
import time
import openstack
conn = openstack.connect(auth_url=os.environ["KS_URL"], username="admin", password=os.environ["ADMIN_PASS"],
                         project_name="admin", user_domain_name="Default", project_domain_name="Default",
                         region_name="RegionOne")
if not conn.image.find_image("devcloud-tiny"):
    conn.image.create_image(name="devcloud-tiny", data=b"\0" * 1024, disk_format="raw", container_format="bare",
                            visibility="public")
deadline = time.time() + 90
while time.time() < deadline:
    if any(a.is_alive for a in conn.network.agents(host=os.environ["COMPUTE_HOST"])):
        break
    time.sleep(1)
else:
    raise SystemExit("the linuxbridge agent never reported alive")
EOPY
}

start() {
  [ "$(uname -s)" = Linux ] || die "Linux (Debian bookworm) only"
  command -v apt-get > /dev/null || die "needs Debian/Ubuntu apt-get"
  stop
  check_ports
  rm -rf "$RUN" "$HOME_DIR/clouds.yaml" "$HOME_DIR/FAILED" "$PIDS"
  mkdir -p "$RUN"
  local t0=$SECONDS t1
  install_packages
  log "packages ready ($((SECONDS - t0))s)"
  t1=$SECONDS
  FIXED_KEY="$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"  # Nova's and Cinder's fixed key
  export FIXED_KEY
  write_policy_files
  start_postgres;  log "postgres up ($((SECONDS - t1))s)"
  prepare_1;       log "keystone, schemas$([ "$COMPUTE_ON" = 1 ] && echo ", rabbitmq, ceph") up ($((SECONDS - t1))s)"
  # shellcheck disable=SC2046
  keystone_setup $(catalog_args) > "$RUN/keystone/setup.log" 2>&1 \
    || die "registering the catalog failed (see $RUN/keystone/setup.log)"
  start_neutron
  if [ "$COMPUTE_ON" = 1 ]; then start_glance; start_placement; start_nova; start_cinder; fi
  wait_apis;       log "APIs answer ($((SECONDS - t1))s)"
  if [ "$COMPUTE_ON" = 1 ]; then
    ( finish_compute ) > "$RUN/finish.log" 2>&1 || { cat "$RUN/finish.log" >&2; die "compute/volume set-up failed"; }
    log "compute host, volume services, image ready ($((SECONDS - t1))s)"
  fi
  write_clouds_yaml
  log "ready in $((SECONDS - t0))s (services $((SECONDS - t1))s): eval \"\$($0 env)\"  (clouds.yaml: $HOME_DIR/clouds.yaml)"
}

case "${1:-}" in
  start) trap 'rc=$?; [ $rc = 0 ] || { log "start failed; stopping what was started"; stop; }' EXIT; start ;;
  stop) stop ;;
  status) status ;;
  env) env_exports ;;
  *) echo "usage: $0 start|stop|status|env" >&2; exit 2 ;;
esac
