#!/usr/bin/env bash
# The smoke tier as `make smoke` runs it: the real Airflow runs the commands and environment the program renders,
# against a throwaway PostgreSQL and Redis on loopback. With a complete cache (smoke/setup.sh) it runs the tests
# and prints their wall time; without one it prints one line saying why it skipped and succeeds, or fails when
# AIRFLOW_REQUIRE_TIERS is set (.ci/run sets it, after building the cache). It never builds the cache. Extra
# arguments go to pytest.
set -euo pipefail
# shellcheck source=smoke/cache.sh
. "$(dirname "${BASH_SOURCE[0]}")/cache.sh"

absent=$(smoke_missing)
if [ -n "$absent" ] && [ -n "${AIRFLOW_REQUIRE_TIERS:-}" ]; then
  echo "smoke: FAILED: missing $absent, and AIRFLOW_REQUIRE_TIERS is set" >&2
  exit 1
fi
if [ -n "$absent" ]; then
  echo "smoke: skipped: missing $absent (build the cache with \`make smoke\` or smoke/setup.sh)"
  exit 0
fi
cd "$smoke_dir/.."
export PYTHONDONTWRITEBYTECODE=1 AIRFLOW_SMOKE_CACHE=$SMOKE_CACHE
start=$SECONDS
status=0
nice -n 10 "$SMOKE_CACHE/venv/bin/python" -m pytest -c smoke/pytest.ini smoke "$@" || status=$?
echo "smoke: pytest ran for $((SECONDS - start)) s"
exit "$status"
