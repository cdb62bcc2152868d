#!/usr/bin/env bash
# Stop the dev cloud the prepare hook started (only the PIDs it recorded).
set -euo pipefail
cd "$(dirname "$0")/../.."
export DEVCLOUD_HOME="${DEVCLOUD_HOME:-$PWD/.wardctl/devcloud}"
scripts/devcloud.sh stop
