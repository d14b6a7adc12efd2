#!/usr/bin/env bash
# The e2e tier as `make e2e` and CI run it: when the toolchain cache is complete, runs the tests and
# prints their wall time; otherwise prints why it skipped and succeeds. It never builds the toolchain
# (`make toolchain` does, in minutes that CI's budget does not have). Extra arguments go to pytest.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/cache.sh"

missing=$(missing_pieces)
if [ -n "$missing" ]; then
  echo "e2e: skipped: the toolchain cache $E2E_CACHE lacks: $missing (build it with \`make toolchain\`)"
  exit 0
fi
cd "$e2e_dir/.."
export AIRFLOW_E2E_BIN=$E2E_BIN PYTHONDONTWRITEBYTECODE=1
start=$SECONDS
status=0
"$E2E_CACHE/venv/bin/python" -m pytest -c e2e/pytest.ini e2e "$@" || status=$?
echo "e2e: pytest ran for $((SECONDS - start)) s"
exit "$status"
