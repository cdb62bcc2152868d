# shellcheck shell=bash
# Glance (API only) with a file store; start uploads a tiny raw image `devcloud-tiny` for the fake driver.
glance_db() {
  local G="$RUN/glance"
  mkdir -p "$G/images" "$G/lock"
  cat > "$G/glance-api.conf" <<EOC
[DEFAULT]
bind_host = 127.0.0.1
bind_port = $GLANCE_PORT
workers = 1
log_file = $G/glance-api.log
enabled_import_methods = []
[database]
connection = $PG_URL/glance
$(authtoken)
$(oslo_policy glance)
[paste_deploy]
flavor = keystone
config_file = /etc/glance/glance-api-paste.ini
[glance_store]
stores = file
default_store = file
filesystem_store_datadir = $G/images
[oslo_concurrency]
lock_path = $G/lock
EOC
  glance-manage --config-file "$G/glance-api.conf" db_sync > "$G/db.log" 2>&1 || die "glance-manage failed (see $G/db.log)"
}

start_glance() {
  local G="$RUN/glance"
  spawn glance "$GLANCE_PORT" "$G/api.out" glance-api --config-file "$G/glance-api.conf"
}
