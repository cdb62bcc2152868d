# shellcheck shell=bash
# Nova: api (eventlet, one worker), conductor, scheduler, and compute with nova's fake.FakeDriver
# (8 vCPU, 8000 MB, 500 GB, no real guest) on host COMPUTE_HOST, one cell (cell1) plus cell0.
nova_conf() {
  local NV="$RUN/nova"
  mkdir -p "$NV/instances" "$NV/lock"
  cat > "$NV/nova.conf" <<EOC
[DEFAULT]
transport_url = $RABBIT_URL
compute_driver = fake.FakeDriver
host = $COMPUTE_HOST
my_ip = 127.0.0.1
state_path = $NV
instances_path = $NV/instances
enabled_apis = osapi_compute
osapi_compute_listen = 127.0.0.1
osapi_compute_listen_port = $NOVA_PORT
osapi_compute_workers = 1
[wsgi]
api_paste_config = /etc/nova/api-paste.ini
[api]
auth_strategy = keystone
[api_database]
connection = $PG_URL/nova_api
[database]
connection = $PG_URL/nova
$(authtoken)
$(oslo_policy nova)
$(service_auth neutron)
$(service_auth placement)
$(service_auth cinder)
os_region_name = RegionOne
$(service_auth service_user)
send_service_user_token = true
[glance]
region_name = RegionOne
[scheduler]
discover_hosts_in_cells_interval = 2
workers = 1
[conductor]
workers = 1
[vnc]
enabled = false
[oslo_concurrency]
lock_path = $NV/lock
[key_manager]
backend = nova.keymgr.conf_key_mgr.ConfKeyManager
fixed_key = $FIXED_KEY
EOC
}

nova_db() {
  local NV="$RUN/nova" NM
  nova_conf
  NM="nova-manage --config-file $NV/nova.conf"
  { $NM api_db sync && $NM cell_v2 map_cell0 --database_connection "$PG_URL/nova_cell0" \
      && $NM cell_v2 create_cell --name cell1 && $NM db sync; } > "$NV/db.log" 2>&1 \
    || die "nova-manage failed (see $NV/db.log)"
}

start_nova() {
  local NV="$RUN/nova" svc
  spawn nova-api "$NOVA_PORT" "$NV/api.out" nova-api --config-file "$NV/nova.conf" --log-file "$NV/nova-api.log"
  for svc in conductor scheduler; do
    spawn "nova-$svc" - "$NV/$svc.out" "nova-$svc" --config-file "$NV/nova.conf" --log-file "$NV/nova-$svc.log"
  done
  # Debian's nova-compute package pulls a hypervisor (libvirt/qemu); the fake driver needs only python3-nova
  spawn nova-compute - "$NV/compute.out" "$SYS_PY" -c \
    'import sys; from nova.cmd.compute import main; sys.argv[0] = "nova-compute"; sys.exit(main())' \
    --config-file "$NV/nova.conf" --log-file "$NV/nova-compute.log"
}

# flavors, and wait until the fake compute host is in a cell and reports to Placement
nova_setup() {
  KS_URL="$KS_URL" ADMIN_PASS="$ADMIN_PASS" COMPUTE_HOST="$COMPUTE_HOST" "$SYS_PY" - <<'EOPY'
import os
import time
import openstack
conn = openstack.connect(auth_url=os.environ["KS_URL"], username="admin", password=os.environ["ADMIN_PASS"],
                         project_name="admin", user_domain_name="Default", project_domain_name="Default",
                         region_name="RegionOne")
for name, vcpus, ram, disk in (("m1.tiny", 1, 512, 1), ("m1.small", 2, 2048, 10), ("m1.medium", 4, 4096, 20)):
    if not conn.compute.find_flavor(name):
        conn.compute.create_flavor(name=name, vcpus=vcpus, ram=ram, disk=disk)
deadline = time.time() + 120
while time.time() < deadline:
    hypervisors = [h for h in conn.compute.hypervisors() if h.name == os.environ["COMPUTE_HOST"]]
    services = [s for s in conn.compute.services() if s.binary == "nova-compute" and s.state == "up"]
    if hypervisors and services:
        break
    time.sleep(1)
else:
    raise SystemExit("the fake compute host never showed up as a hypervisor")
EOPY
}
