# shellcheck shell=bash
# Cinder: api (eventlet), scheduler, volume (RBD on the dev cloud's Ceph, or the fake driver), and backup
# (Swift driver into the caller's project account on site 1, container `volumebackups`).
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
backup_swift_object_size = 4194304
backup_swift_block_size = 32768
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

start_cinder() {
  local CI="$RUN/cinder" svc
  spawn cinder-api "$CINDER_PORT" "$CI/api.out" cinder-api --config-file "$CI/cinder.conf" --log-file "$CI/cinder-api.log"
  for svc in scheduler volume; do
    spawn "cinder-$svc" - "$CI/$svc.out" "cinder-$svc" --config-file "$CI/cinder.conf" --log-file "$CI/cinder-$svc.log"
  done
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
