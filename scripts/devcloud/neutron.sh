# shellcheck shell=bash
# neutron-server (ML2). With compute: RabbitMQ, the linuxbridge mechanism driver and a real
# neutron-linuxbridge-agent on COMPUTE_HOST, so Nova's ports bind (vif_type bridge) instead of ending
# `binding_failed`. The fake virt driver plugs no tap device, so the agent never touches the host's links.
neutron_conf() {
  local N="$RUN/neutron" transport=fake:/ mech=""
  if [ "$COMPUTE_ON" = 1 ]; then transport="$RABBIT_URL"; mech="linuxbridge,l2population"; fi
  mkdir -p "$N/lock"
  cat > "$N/neutron.conf" <<EOC
[DEFAULT]
core_plugin = ml2
service_plugins = router
auth_strategy = keystone
transport_url = $transport
bind_host = 127.0.0.1
bind_port = $NEUTRON_PORT
api_workers = 1
rpc_workers = 0
rpc_state_report_workers = 0
allow_overlapping_ips = true
notify_nova_on_port_status_changes = false
notify_nova_on_port_data_changes = false
log_file = $N/neutron.log
state_path = $N
[database]
connection = $PG_URL/neutron
$(authtoken)
$(oslo_policy neutron)
[oslo_concurrency]
lock_path = $N/lock
[agent]
root_helper =
[experimental]
# Zed marks the linuxbridge driver experimental; it is what binds Nova's ports here
linuxbridge = true
EOC
  cat > "$N/ml2_conf.ini" <<EOC
[ml2]
type_drivers = flat,vlan,vxlan,local
tenant_network_types = vxlan
mechanism_drivers = $mech
extension_drivers = port_security
[ml2_type_vxlan]
vni_ranges = 1:10000
[ml2_type_flat]
flat_networks = *
[ml2_type_vlan]
network_vlan_ranges = physnet1:100:200
EOC
  cat > "$N/linuxbridge_agent.ini" <<EOC
[DEFAULT]
host = $COMPUTE_HOST
log_file = $N/linuxbridge-agent.log
[linux_bridge]
physical_interface_mappings =
[vxlan]
enable_vxlan = true
local_ip = 127.0.0.1
l2_population = true
[securitygroup]
enable_security_group = false
firewall_driver = noop
[agent]
root_helper =
report_interval = 10
[privsep]
helper_command = privsep-helper
EOC
}

# the schema (run while RabbitMQ and the rest come up)
neutron_db() {
  local N="$RUN/neutron"
  neutron_conf
  neutron-db-manage --config-file "$N/neutron.conf" --config-file "$N/ml2_conf.ini" upgrade heads \
    > "$N/dbm.log" 2>&1 || die "neutron-db-manage failed (see $N/dbm.log)"
}

start_neutron() {
  local N="$RUN/neutron"
  spawn neutron "$NEUTRON_PORT" "$N/server.out" \
    neutron-server --config-file "$N/neutron.conf" --config-file "$N/ml2_conf.ini"
  if [ "$COMPUTE_ON" = 1 ]; then
    spawn neutron-linuxbridge-agent - "$N/linuxbridge-agent.out" neutron-linuxbridge-agent \
      --config-file "$N/neutron.conf" --config-file "$N/linuxbridge_agent.ini"
  fi
}

wait_neutron() {
  local N="$RUN/neutron"
  wait_http "http://127.0.0.1:$NEUTRON_PORT/" 120 || die "neutron did not answer (see $N/neutron.log)"
}
