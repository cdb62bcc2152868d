# shellcheck shell=bash
# Cinder: api (eventlet), scheduler, volume (RBD on the dev cloud's Ceph, or the fake driver), and backup
# (Swift driver into the caller's project account on site 1, container `volumebackups`). Backup objects are
# Cinder's default 50 MiB (a 1 GiB volume is 21 objects, not the 256 of 4 MiB ones: every object is a PUT,
# a container-sync copy and a DELETE, which on 2 loaded cores cost minutes); hash blocks stay 32 KiB.
cinder_conf() {
  local CI="$RUN/cinder" backend
  mkdir -p "$CI/lock"
  if [ "$CINDER_BACKEND" = ceph ]; then
    backend="volume_driver = cinder.volume.drivers.rbd.RBDDriver
rbd_pool = volumes
rbd_ceph_conf = $RUN/ceph/ceph.conf
rbd_user = admin
rbd_flatten_volume_from_snapshot = false"
  else
    backend="volume_driver = cinder.tests.fake_driver.FakeLoggingVolumeDriver"
  fi
  cat > "$CI/cinder.conf" <<EOC
[DEFAULT]
transport_url = $RABBIT_URL
auth_strategy = keystone
host = $COMPUTE_HOST
my_ip = 127.0.0.1
state_path = $CI
osapi_volume_listen = 127.0.0.1
osapi_volume_listen_port = $CINDER_PORT
osapi_volume_workers = 1
api_paste_config = /etc/cinder/api-paste.ini
enabled_backends = $CINDER_BACKEND
backup_driver = cinder.backup.drivers.swift.SwiftBackupDriver
backup_swift_auth = per_user
backup_swift_catalog_info = object-store:swift:publicURL
backup_swift_container = volumebackups
backup_swift_object_size = 52428800
backup_swift_block_size = 32768
# zstd compresses a mostly empty 1 GB volume in ~0.7 s of CPU where zlib (the default) takes ~3 s; python3-zstd
# comes with python3-cinder
backup_compression_algorithm = zstd
backup_workers = 1
[database]
connection = $PG_URL/cinder
$(authtoken)
$(oslo_policy cinder)
$(service_auth nova)
[oslo_concurrency]
lock_path = $CI/lock
[key_manager]
backend = cinder.keymgr.conf_key_mgr.ConfKeyManager
fixed_key = $FIXED_KEY
[$CINDER_BACKEND]
volume_backend_name = $CINDER_BACKEND
$backend
EOC
}

cinder_db() {
  local CI="$RUN/cinder"
  cinder_conf
  cinder-manage --config-file "$CI/cinder.conf" db sync > "$CI/db.log" 2>&1 || die "cinder-manage failed (see $CI/db.log)"
}

# The RBD driver asks `ceph mon dump` for the mon addresses each time a volume is attached (backup, restore).
# Ceph 16's client sometimes sends that first mon command before its MonClient holds the cluster's fsid: the
# mon refuses it (mon.a.log: "handle_command on fsid 00000000-… != …"; the CLI: "Error EPERM: problem getting
# command descriptions from mon."), and the backup fails. cinder-volume finds this `ceph` first on its PATH:
# it runs the real one again on exactly that refusal (three tries) and notes each in run/cinder/ceph-retries.log.
ceph_cli_retry() {
  local CI="$RUN/cinder"
  mkdir -p "$CI/bin"
  cat > "$CI/bin/ceph" <<EOS
#!/bin/bash
err="\$(mktemp)"; trap 'rm -f "\$err"' EXIT
for attempt in 1 2 3; do
  out="\$(/usr/bin/ceph "\$@" 2> "\$err")"; rc=\$?
  grep -q "problem getting command descriptions\|wrong fsid" "\$err" && [ \$rc != 0 ] || break
  echo "\$(date -u +%FT%T) ceph \$* refused (zero fsid, Ceph 16 MonClient race), try \$attempt: \$(head -c 200 "\$err")" >> "$CI/ceph-retries.log"
  sleep 1
done
printf '%s\n' "\$out"; cat "\$err" >&2; exit \$rc
EOS
  chmod +x "$CI/bin/ceph"
}

start_cinder() {
  local CI="$RUN/cinder"
  spawn cinder-api "$CINDER_PORT" "$CI/api.out" cinder-api --config-file "$CI/cinder.conf" --log-file "$CI/cinder-api.log"
  spawn cinder-scheduler - "$CI/scheduler.out" cinder-scheduler --config-file "$CI/cinder.conf" --log-file "$CI/cinder-scheduler.log"
  ceph_cli_retry
  spawn cinder-volume - "$CI/volume.out" env PATH="$CI/bin:$PATH" \
    cinder-volume --config-file "$CI/cinder.conf" --log-file "$CI/cinder-volume.log"
  if [ "$SWIFT_ON" = 1 ]; then  # backups go to Swift: no Swift, no cinder-backup
    local run=(cinder-backup --config-file "$CI/cinder.conf" --log-file "$CI/cinder-backup.log")
    if [ "$CINDER_BACKEND" = ceph ]; then
      # cinder-backup reads an RBD volume through os-brick, which insists on reading the keyring
      # /etc/ceph/ceph.client.<rbd_user>.keyring (the driver cannot hand it one, OSSN-0085), even with
      # auth none. Not the host's /etc/ceph: cinder-backup gets its own mount namespace, with the dev
      # cloud's run/ceph/etc bind-mounted over /etc/ceph (private propagation: no one else sees it).
      mkdir -p "$RUN/ceph/etc"
      ceph-authtool --create-keyring "$RUN/ceph/etc/ceph.client.admin.keyring" --gen-key -n client.admin \
        > /dev/null 2>&1 || die "ceph-authtool failed (the keyring for cinder-backup)"
      run=(unshare --mount --propagation private sh -c 'mount --bind "$0" /etc/ceph && exec "$@"' \
        "$RUN/ceph/etc" "${run[@]}")
    fi
    spawn cinder-backup - "$CI/backup.out" "${run[@]}"
  fi
}

# the volume service (and backup) up in `openstack volume service list`
cinder_setup() {
  KS_URL="$KS_URL" ADMIN_PASS="$ADMIN_PASS" SWIFT_ON="$SWIFT_ON" "$SYS_PY" - <<'EOPY'
import os
import time
import openstack
conn = openstack.connect(auth_url=os.environ["KS_URL"], username="admin", password=os.environ["ADMIN_PASS"],
                         project_name="admin", user_domain_name="Default", project_domain_name="Default",
                         region_name="RegionOne")
want = {"cinder-scheduler", "cinder-volume"} | ({"cinder-backup"} if os.environ["SWIFT_ON"] == "1" else set())
deadline = time.time() + 120
while time.time() < deadline:
    # Debian's openstacksdk 0.101 has no block_storage.services(): the REST call
    up = {s["binary"] for s in conn.block_storage.get("/os-services").json()["services"] if s["state"] == "up"}
    if want <= up:
        break
    time.sleep(1)
else:
    raise SystemExit(f"cinder services not up: {sorted(want - up)}")
EOPY
}
