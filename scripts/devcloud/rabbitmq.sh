# shellcheck shell=bash
# RabbitMQ, the message bus of Nova, Cinder and the linuxbridge agent: its own node name, ports, epmd and
# Erlang cookie (HOME) under $DEVCLOUD_HOME, so a second dev cloud runs its own beside it.
rabbit_env() {
  local R="$RUN/rabbitmq"
  export HOME="$R" ERL_EPMD_PORT="$RABBITMQ_EPMD_PORT" ERL_EPMD_ADDRESS=127.0.0.1 \
    RABBITMQ_NODENAME="devcloud$DC_ID@localhost" RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 \
    RABBITMQ_NODE_PORT="$RABBITMQ_PORT" RABBITMQ_DIST_PORT="$RABBITMQ_DIST_PORT" \
    RABBITMQ_CONFIG_FILE="$R/rabbitmq.conf" RABBITMQ_ENABLED_PLUGINS_FILE="$R/enabled_plugins" \
    RABBITMQ_MNESIA_BASE="$R/mnesia" RABBITMQ_LOG_BASE="$R/log" RABBITMQ_PID_FILE="$R/rabbit.pid" \
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-start_epmd false -kernel inet_dist_use_interface {127,0,0,1}" RUNNING_UNDER_SYSTEMD=true
}

start_rabbitmq() {
  local R="$RUN/rabbitmq"
  mkdir -p "$R/mnesia" "$R/log"
  cat > "$R/rabbitmq.conf" <<EOC
listeners.tcp.default = 127.0.0.1:$RABBITMQ_PORT
default_user = devcloud
default_pass = devcloud
loopback_users = none
disk_free_limit.absolute = 50MB
EOC
  echo '[].' > "$R/enabled_plugins"
  (
    rabbit_env
    head -c 20 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$R/.erlang.cookie"; chmod 400 "$R/.erlang.cookie"
    # our own epmd on our own port (not the shared system one), recorded, stopped with the rest
    spawn rabbitmq-epmd "$RABBITMQ_EPMD_PORT" "$R/epmd.out" epmd -port "$RABBITMQ_EPMD_PORT" -address 127.0.0.1
    sleep 0.3
    spawn rabbitmq "$RABBITMQ_PORT" "$R/server.out" /usr/lib/rabbitmq/bin/rabbitmq-server
  )
}

wait_rabbitmq() {
  local i
  for ((i = 0; i < 120; i++)); do port_busy "$RABBITMQ_PORT" && return 0; sleep 0.5; done
  die "rabbitmq did not listen on $RABBITMQ_PORT (see $RUN/rabbitmq/server.out and log/)"
}
