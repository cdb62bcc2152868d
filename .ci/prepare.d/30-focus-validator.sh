#!/usr/bin/env bash
# focus-validator in its own virtualenv (.venv-focus) for tests/cost_allocation/test_focus_validator.py.
# Best-effort: without it that test is skipped with the reason.
set -uo pipefail
cd "$(dirname "$0")/../.."
bash scripts/focus-validator-venv.sh
