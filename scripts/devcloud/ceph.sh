# shellcheck shell=bash
# Ceph 16 (Debian) for Cinder: one mon, one mgr, one OSD on memstore (RAM; a throw-away cluster), auth none,
# msgr v1 only, pool size 1. RBD stores real bytes; cinder-backup reads RBD volumes through librbd (no
# kernel attach). Clients: CEPH_CONF=$RUN/ceph/ceph.conf rbd -p volumes ls
start_ceph() {
  local C="$RUN/ceph" fsid osd_uuid
  fsid="$(cat /proc/sys/kernel/random/uuid)"; osd_uuid="$(cat /proc/sys/kernel/random/uuid)"
  mkdir -p "$C/mon" "$C/osd" "$C/mgr" "$C/log" "$C/run"
  cat > "$C/ceph.conf" <<EOC
[global]
fsid = $fsid
mon host = v1:127.0.0.1:$CEPH_MON_PORT
public network = 127.0.0.0/8
auth cluster required = none
auth service required = none
auth client required = none
ms bind msgr2 = false
ms bind port min = $CEPH_PORT
ms bind port max = $CEPH_PORT_MAX
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
mon osd min down reporters = 1
osd crush chooseleaf type = 0
run dir = $C/run
admin socket = $C/run/\$name.asok
log file = $C/log/\$name.log
mon cluster log file = default=$C/log/\$cluster.\$channel.log cluster=$C/log/\$cluster.log
mgr initial modules = iostat
[client]
admin socket = $C/run/\$name.\$pid.\$cctid.asok
[mon.a]
mon data = $C/mon
[osd.0]
osd data = $C/osd
osd objectstore = memstore
memstore device bytes = 4294967296
osd journal size = 100
[mgr.x]
mgr data = $C/mgr
EOC
  monmaptool --create --fsid "$fsid" --addv a "[v1:127.0.0.1:$CEPH_MON_PORT]" "$C/monmap" > "$C/log/setup.log" 2>&1
  ceph-authtool --create-keyring "$C/mon.keyring" --gen-key -n mon. --cap mon 'allow *' >> "$C/log/setup.log" 2>&1
  ceph-mon -c "$C/ceph.conf" --mkfs -i a --monmap "$C/monmap" --keyring "$C/mon.keyring" >> "$C/log/setup.log" 2>&1 \
    || die "ceph-mon --mkfs failed (see $C/log/setup.log)"
  spawn ceph-mon "$CEPH_MON_PORT" "$C/log/mon.out" ceph-mon -c "$C/ceph.conf" -i a -f
  local CEPH=(ceph -c "$C/ceph.conf" --connect-timeout 30)
  "${CEPH[@]}" osd new "$osd_uuid" 0 >> "$C/log/setup.log" 2>&1 || die "ceph osd new failed"
  ceph-osd -c "$C/ceph.conf" -i 0 --mkfs --osd-uuid "$osd_uuid" >> "$C/log/setup.log" 2>&1 || die "ceph-osd --mkfs failed (see $C/log/setup.log)"
  spawn_osd
  spawn ceph-mgr - "$C/log/mgr.out" ceph-mgr -c "$C/ceph.conf" -i x -f
  "${CEPH[@]}" osd pool create volumes 8 8 >> "$C/log/setup.log" 2>&1 || die "ceph pool create failed"
  "${CEPH[@]}" osd pool set volumes size 1 --yes-i-really-mean-it >> "$C/log/setup.log" 2>&1 || true
  "${CEPH[@]}" osd pool application enable volumes rbd >> "$C/log/setup.log" 2>&1 || true
}

spawn_osd() {
  spawn ceph-osd "$CEPH_PORT" "$RUN/ceph/log/osd.out" ceph-osd -c "$RUN/ceph/ceph.conf" -i 0 -f
}

wait_ceph() {  # the OSD up and the pool's PGs active: rbd create/remove answers
  local C="$RUN/ceph" deadline=$((SECONDS + 180)) respawned=0
  while ((SECONDS < deadline)); do
    # A daemon that died never comes back: the probes would hang on it until the deadline. Ceph 16's OSD
    # sometimes exits at its first boot on a loaded host: its first mon command goes out before its
    # MonClient holds the cluster's fsid (all zeros; the mon answers EPERM "wrong fsid", osd.out says
    # "init unable to update_crush_device_class"). The cluster is new and empty: start the OSD again.
    kill -0 "$(cat "$PIDS/ceph-mon.pid")" 2> /dev/null || die "ceph-mon exited during start (see $C/log/)"
    if ! kill -0 "$(cat "$PIDS/ceph-osd.pid")" 2> /dev/null; then
      ((respawned < 3)) || die "ceph-osd exited during start, 4 times (see $C/log/osd.out)"
      respawned=$((respawned + 1))
      log "ceph-osd exited during start ($(tail -n 1 "$C/log/osd.out" | cut -c1-160)); starting it again"
      spawn_osd
    fi
    if timeout 10 rbd -c "$C/ceph.conf" -p volumes create --size 1 devcloud-probe > /dev/null 2>&1; then
      rbd -c "$C/ceph.conf" -p volumes rm devcloud-probe > /dev/null 2>&1
      return 0
    fi
    sleep 1
  done
  die "ceph did not become usable in 180 s (see $C/log/ and \`ceph -c $C/ceph.conf -s\`)"
}
