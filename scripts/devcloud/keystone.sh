# shellcheck shell=bash
# Keystone under uwsgi; bootstrap makes admin/member/reader (admin implies member implies reader).
start_keystone() {
  local K="$RUN/keystone"
  mkdir -p "$K/fernet-keys" "$K/credential-keys"
  cat > "$K/keystone.conf" <<EOC
[DEFAULT]
log_file = $K/keystone.log
[identity]
# bcrypt's fewest rounds: a throw-away cloud's passwords need no cost, and every token issued checks one
# (12 rounds, the default, cost 0.3-3 s a token on 2 busy cores; the suite asks for hundreds)
password_hash_rounds = 4
[database]
connection = $PG_URL/keystone
[token]
provider = fernet
[fernet_tokens]
key_repository = $K/fernet-keys
[credential]
key_repository = $K/credential-keys
$(oslo_policy keystone)
EOC
  local KM="keystone-manage --config-file $K/keystone.conf"
  # keystone-manage prints eventlet tracebacks at exit; the work is done, hence the log file
  { $KM fernet_setup --keystone-user root --keystone-group root
    $KM credential_setup --keystone-user root --keystone-group root
    $KM db_sync
    $KM bootstrap --bootstrap-password "$ADMIN_PASS" --bootstrap-admin-url "$KS_URL/" \
      --bootstrap-internal-url "$KS_URL/" --bootstrap-public-url "$KS_URL/" --bootstrap-region-id RegionOne
  } > "$K/manage.log" 2>&1 || die "keystone-manage failed (see $K/manage.log)"
  # Keep-alive through uwsgi's HTTP router (--http --http-keepalive): with --http-socket openstacksdk's reused
  # connections drop, and with --http11-socket every idle kept-alive client holds one of the two workers for
  # socket-timeout (4 s), so a third caller (a service validating a token) waited 4 s: the first call of
  # every new token to Cinder, Nova, Swift ... took 4 s. The router holds idle connections; workers stay free.
  OS_KEYSTONE_CONFIG_FILES="$K/keystone.conf" uwsgi --plugins corerouter,http,python3 \
    --http "127.0.0.1:$KEYSTONE_PORT" --http-keepalive --http-auto-chunked --wsgi-file /usr/bin/keystone-wsgi-public \
    --master --processes 2 --threads 1 --lazy-apps --die-on-term --buffer-size 65535 \
    --env "OS_KEYSTONE_CONFIG_FILES=$K/keystone.conf" \
    --pidfile "$K/uwsgi.pid" --daemonize "$K/uwsgi.log"
  wait_http "$KS_URL" 60 || die "keystone did not answer on $KS_URL (see $K/uwsgi.log)"
  record_pid keystone "$(cat "$K/uwsgi.pid")" "$KEYSTONE_PORT"
}

# The catalog, the member/reader users and ResellerAdmin, in one python run (each run costs ~2 s).
# Args: TYPE NAME REGION URL ... (four per endpoint).
keystone_setup() {
  KS_URL="$KS_URL" ADMIN_PASS="$ADMIN_PASS" SWIFT_ON="$SWIFT_ON" "$SYS_PY" - "$@" <<'EOPY'
import os
import sys
import openstack
conn = openstack.connect(auth_url=os.environ["KS_URL"], username="admin", password=os.environ["ADMIN_PASS"],
                         project_name="admin", user_domain_name="Default", project_domain_name="Default",
                         region_name="RegionOne")
ident = conn.identity
args = sys.argv[1:]
for i in range(0, len(args), 4):
    service_type, name, region, url = args[i:i + 4]
    if not any(r.id == region for r in ident.regions()):
        ident.create_region(id=region)
    # one service per type, endpoints per region (the off-site Swift is the object-store of region Offsite)
    service = next((s for s in ident.services() if s.type == service_type), None) \
        or ident.create_service(type=service_type, name=name)
    have = {(e.interface, e.region_id) for e in ident.endpoints(service_id=service.id)}
    for interface in ("public", "internal", "admin"):
        if (interface, region) not in have:
            ident.create_endpoint(service_id=service.id, interface=interface, url=url, region_id=region)
if os.environ["SWIFT_ON"] == "1":  # Swift lets the admin read every project's account with this role
    role = ident.find_role("ResellerAdmin") or ident.create_role(name="ResellerAdmin")
    ident.assign_project_role_to_user(ident.find_project("admin", domain_id="default"),
                                      ident.find_user("admin", domain_id="default"), role)
# the `service` role on the admin, whom the services act as: Cinder (with the CVE-2023-2088 fix) lets Nova
# detach a volume only with a service token whose user holds it (nova.conf [service_user])
role = ident.find_role("service") or ident.create_role(name="service")
ident.assign_project_role_to_user(ident.find_project("admin", domain_id="default"),
                                  ident.find_user("admin", domain_id="default"), role)
# a plain member and a reader of a demo project (roles as Zed's keystone-manage bootstrap made them)
project = ident.find_project("devcloud-demo", domain_id="default") \
    or ident.create_project(name="devcloud-demo", domain_id="default")
for user_name, role_name in (("devcloud-member", "member"), ("devcloud-reader", "reader")):
    user = ident.find_user(user_name, domain_id="default") \
        or ident.create_user(name=user_name, password=os.environ["ADMIN_PASS"], domain_id="default")
    ident.assign_project_role_to_user(project, user, ident.find_role(role_name))
EOPY
}
