# shellcheck shell=bash
# Two Swift clusters on loopback: site 1 (region RegionOne, the dev cloud's object-store) and site 2, the
# "off-site" one (region Offsite of the same Keystone), each with its own ring, storage servers, proxy and
# swift.conf. Container sync between them (realm `devcloud`, clusters `site1` and `site2`), a
# swift-container-sync daemon per site every 5 s, and at-rest encryption (keymaster + encryption) on both.
swift_site() {  # SITE PROXY_PORT ACCOUNT_PORT CONTAINER_PORT OBJECT_PORT
  local site=$1 proxy_port=$2 S="$RUN/swift$1" n p svc secret
  local E="$S/etc"
  mkdir -p "$E" "$S/node/sdb1" "$S/log"
  # each cluster its own hash prefix/suffix: they are two clusters, not two views of one
  printf '[swift-hash]\nswift_hash_path_suffix = devcloud-site%s\nswift_hash_path_prefix = devcloud-site%s\n[storage-policy:0]\nname = Policy-0\ndefault = yes\n' \
    "$site" "$site" > "$E/swift.conf"
  cat > "$E/container-sync-realms.conf" <<EOC
[DEFAULT]
mtime_check_interval = 60
[devcloud]
key = devcloud-realm-key
cluster_site1 = http://127.0.0.1:$SWIFT_PORT/v1/
cluster_site2 = http://127.0.0.1:$SWIFT2_PORT/v1/
EOC
  # user = root: with workers = 0 the servers never drop privileges, so they run as root and write root-owned
  # 0600 databases; swift-container-sync (a daemon) does drop them, to `user` (default `swift`), and then
  # cannot lock or read those databases: it synced nothing. Every process here runs as the one user, root.
  # Logs: every process runs with -v (log to stderr too), and its stderr is run/swiftN/log/<name>.out;
  # log_address = /dev/null is no socket, so Swift's syslog copy goes to UDP 127.0.0.1:514 (nothing there).
  for svc in account:$3 container:$4 object:$5; do
    n=${svc%%:*}; p=${svc##*:}
    cat > "$E/$n-server.conf" <<EOC
[DEFAULT]
bind_ip = 127.0.0.1
bind_port = $p
workers = 0
user = root
devices = $S/node
mount_check = false
swift_dir = $E
log_address = /dev/null
log_name = site$site-$n
[pipeline:main]
pipeline = $n-server
[app:$n-server]
use = egg:swift#$n
[${n}-replicator]
[${n}-auditor]
[${n}-updater]
[container-sync]
interval = 5
internal_client_conf_path = $E/internal-client.conf
EOC
    RINGS+=("$E/$n" "$p")
  done
  # at-rest encryption: a root secret per site (base64 of 32 random bytes), kept in the site's etc/
  secret="$(head -c 32 /dev/urandom | base64 -w0)"
  cat > "$E/keymaster.conf" <<EOC
[keymaster]
encryption_root_secret = $secret
EOC
  chmod 600 "$E/keymaster.conf"
  local filters
  filters=$(cat <<EOC
[filter:keymaster]
use = egg:swift#keymaster
keymaster_config_path = $E/keymaster.conf
[filter:encryption]
use = egg:swift#encryption
[filter:container_sync]
use = egg:swift#container_sync
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
[filter:symlink]
use = egg:swift#symlink
[filter:versioned_writes]
use = egg:swift#versioned_writes
allow_versioned_writes = true
allow_object_versioning = true
EOC
)
  cat > "$E/proxy-server.conf" <<EOC
[DEFAULT]
bind_ip = 127.0.0.1
bind_port = $proxy_port
workers = 0
user = root
swift_dir = $E
log_address = /dev/null
log_name = site$site-proxy
[pipeline:main]
pipeline = catch_errors gatekeeper healthcheck proxy-logging listing_formats container_sync bulk authtoken keystoneauth copy slo dlo versioned_writes symlink keymaster encryption proxy-logging proxy-server
[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true
[filter:authtoken]
paste.filter_factory = keystonemiddleware.auth_token:filter_factory
www_authenticate_uri = http://127.0.0.1:$KEYSTONE_PORT
auth_url = http://127.0.0.1:$KEYSTONE_PORT
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
$filters
EOC
  # the container-sync daemon reads local objects through this (decrypting: keymaster + encryption)
  cat > "$E/internal-client.conf" <<EOC
[DEFAULT]
swift_dir = $E
log_address = /dev/null
[pipeline:main]
pipeline = catch_errors proxy-logging symlink keymaster encryption proxy-server
[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true
$filters
EOC
}

swift_spawn() {  # SITE PROXY_PORT ACCOUNT_PORT CONTAINER_PORT OBJECT_PORT
  local site=$1 proxy_port=$2 S="$RUN/swift$1" n
  local E="$S/etc"
  for n in account container object proxy; do
    spawn "swift$site-$n" "$(case $n in account) echo "$3";; container) echo "$4";; object) echo "$5";; proxy) echo "$proxy_port";; esac)" \
      "$S/log/$n.out" "swift-$n-server" "$E/$n-server.conf" -v
  done
  spawn "swift$site-container-sync" - "$S/log/container-sync.out" swift-container-sync "$E/container-server.conf" -v
}

# all six rings (one device each) in one python run: swift-ring-builder costs ~2 s a call on 2 busy cores
build_rings() {  # BASE PORT ...
  "$SYS_PY" - "$@" <<'EOPY'
import sys
from swift.common.ring import RingBuilder
args = sys.argv[1:]
for base, port in zip(args[::2], args[1::2]):
    builder = RingBuilder(8, 1, 1)
    builder.add_dev({"region": 1, "zone": 1, "ip": "127.0.0.1", "port": int(port), "device": "sdb1", "weight": 100})
    builder.rebalance()
    builder.get_ring().save(base + ".ring.gz")
    builder.save(base + ".builder")
EOPY
}

start_swift() {
  local RINGS=() site1=("$SWIFT_PORT" "$SWIFT_ACCOUNT_PORT" "$SWIFT_CONTAINER_PORT" "$SWIFT_OBJECT_PORT")
  local site2=("$SWIFT2_PORT" "$SWIFT2_ACCOUNT_PORT" "$SWIFT2_CONTAINER_PORT" "$SWIFT2_OBJECT_PORT")
  swift_site 1 "${site1[@]}"
  swift_site 2 "${site2[@]}"
  build_rings "${RINGS[@]}" > "$RUN/swift1/log/rings.log" 2>&1 || die "building the swift rings failed (see $RUN/swift1/log/rings.log)"
  swift_spawn 1 "${site1[@]}"
  swift_spawn 2 "${site2[@]}"
}

wait_swift() {
  wait_http "http://127.0.0.1:$SWIFT_PORT/healthcheck" 60 || die "swift site 1 did not answer (see $RUN/swift1/log)"
  wait_http "http://127.0.0.1:$SWIFT2_PORT/healthcheck" 60 || die "swift site 2 did not answer (see $RUN/swift2/log)"
}
