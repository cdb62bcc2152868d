#!/usr/bin/env bash
# Build .venv-focus: the FinOps Foundation's focus-validator 1.0.0 in a virtualenv of its own.
#
# It pins old pandas/pandera that clash with the project's dependencies, so it can be neither in the dev
# extra nor in .venv. tests/cost_allocation/test_focus_validator.py runs it from here (or from
# $FOCUS_VALIDATOR_VENV) and is skipped, with this script named, when it is not built. Idempotent:
# a working .venv-focus is left as it is. Run from anywhere: scripts/focus-validator-venv.sh [DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
target="${1:-${FOCUS_VALIDATOR_VENV:-.venv-focus}}"
# pandera 0.17 (pinned by focus-validator 1.0.0) imports multimethod.overload, gone from multimethod 2
requirements=("focus-validator==1.0.0" "multimethod<1.11")
if [ -x "$target/bin/python" ] && "$target/bin/python" -c "import focus_validator.main" 2>/dev/null; then
  echo "focus-validator ready in $target"
  exit 0
fi
rm -rf "$target"
python3 -m venv "$target"
"$target/bin/python" -m pip install -q "${requirements[@]}"
"$target/bin/python" -c "import focus_validator.main"
echo "focus-validator installed in $target"
