#!/usr/bin/env bash
# Start the loopback dev cloud for the tests marked `live`. Best-effort: when the packages cannot be
# installed or a service does not come up, the live tests skip with the reason — except that under CI
# (CI=true) a failed start leaves $DEVCLOUD_HOME/FAILED with the tail of the dev cloud's logs, for CI to
# fail on.
set -uo pipefail
cd "$(dirname "$0")/../.."
export DEVCLOUD_HOME="${DEVCLOUD_HOME:-$PWD/.wardctl/devcloud}"
mkdir -p "$DEVCLOUD_HOME"
rm -f "$DEVCLOUD_HOME/FAILED"
# with Swift (both sites): `cost usage` reads per-ward bytes from it, cinder-backup writes into it
DEVCLOUD_SWIFT="${DEVCLOUD_SWIFT:-1}" scripts/devcloud.sh start 2>&1 | tee "$DEVCLOUD_HOME/start.log"
rc=${PIPESTATUS[0]}
if [ "$rc" != 0 ] && [ "${CI:-}" = true ]; then
  {
    echo "scripts/devcloud.sh start failed (exit $rc) in $DEVCLOUD_HOME"
    echo "== start output"
    tail -n 20 "$DEVCLOUD_HOME/start.log"
    # the most recently written logs of the services: where a failure shows first
    echo "== service logs (newest last)"
    find "$DEVCLOUD_HOME/run" -type f \( -name '*.log' -o -name '*.out' \) -size +0 -printf '%T@ %p\n' 2>/dev/null \
      | sort -n | tail -n 3 | cut -d' ' -f2- | while read -r f; do echo "-- $f"; tail -n 12 "$f"; done
  } 2>&1 | tail -n 60 > "$DEVCLOUD_HOME/FAILED.tmp"
  mv "$DEVCLOUD_HOME/FAILED.tmp" "$DEVCLOUD_HOME/FAILED"
  echo "dev cloud did not come up: $DEVCLOUD_HOME/FAILED" >&2
fi
exit "$rc"
