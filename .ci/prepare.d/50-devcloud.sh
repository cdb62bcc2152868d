#!/usr/bin/env bash
# Start the loopback dev cloud (Keystone + Neutron) for the tests marked `live`. Best-effort: when the
# packages cannot be installed or a service does not come up, the live tests skip with the reason.
set -euo pipefail
cd "$(dirname "$0")/../.."
export DEVCLOUD_HOME="${DEVCLOUD_HOME:-$PWD/.wardctl/devcloud}"
# with Swift: `cost usage` reads per-ward bytes from it
DEVCLOUD_SWIFT="${DEVCLOUD_SWIFT:-1}" scripts/devcloud.sh start
