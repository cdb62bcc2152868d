#!/usr/bin/env bash
# Start the loopback dev cloud (Keystone, Neutron, Nova, Cinder on Ceph, both Swift sites) for the tests
# marked `live`. A start that fails is tried once more from scratch. When it still fails, the reason is kept
# in $DEVCLOUD_HOME/FAILED (the start's output and the newest service logs): under CI=true, .ci/run then
# fails with it instead of letting the live tests skip; elsewhere they skip with the reason.
# ci: background (.ci/run starts it beside the install; the tests wait for it)
set -uo pipefail
cd "$(dirname "$0")/../.."
export DEVCLOUD_HOME="${DEVCLOUD_HOME:-$PWD/.wardctl/devcloud}"
mkdir -p "$DEVCLOUD_HOME"
rm -f "$DEVCLOUD_HOME/FAILED"
out="$DEVCLOUD_HOME/start.out"
for attempt in 1 2; do
  if scripts/devcloud.sh start > "$out" 2>&1; then
    tail -n 3 "$out"
    exit 0
  fi
  echo "!! dev cloud start $attempt failed:"; tail -n 20 "$out"
  scripts/devcloud.sh stop > /dev/null 2>&1 || true
done
{
  echo "scripts/devcloud.sh start failed twice; its output:"
  tail -n 40 "$out"
  echo "--- newest service logs:"
  find "$DEVCLOUD_HOME/run" -name '*.log' -o -name '*.out' 2>/dev/null | xargs -r ls -t 2>/dev/null | head -n 3 |
    while read -r log; do echo "== $log"; tail -n 20 "$log"; done
} > "$DEVCLOUD_HOME/FAILED" 2>&1
exit 1
