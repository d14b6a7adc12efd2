#!/usr/bin/env bash
# The e2e tier as `make e2e` and CI run it. With the cluster's pieces in the toolchain cache (etcd,
# kube-apiserver, kube-controller-manager, the harness's virtualenv) it runs the tests and prints their
# wall time: the cluster acceptance tests run, and the engine tests run too when the cache also has
# Pulumi and its plugins, else each skips and says what it lacks. Without the cluster's pieces it prints
# one line saying why it skipped and succeeds. With AIRFLOW_REQUIRE_TIERS set (.ci/run sets it, after
# building the toolchain) an incomplete cache is a failure instead. It never builds the toolchain
# (`make toolchain` and .ci/run do). Extra arguments go to pytest.
set -euo pipefail
# shellcheck source=e2e/cache.sh
. "$(dirname "${BASH_SOURCE[0]}")/cache.sh"

cluster_missing=$(missing_pieces "${CLUSTER_PIECES[@]}")
engine_missing=$(missing_pieces)
if [ -n "$engine_missing" ] && [ -n "${AIRFLOW_REQUIRE_TIERS:-}" ]; then
  echo "e2e: FAILED: the toolchain cache $E2E_CACHE lacks $engine_missing, and AIRFLOW_REQUIRE_TIERS is set" >&2
  exit 1
fi
if [ -n "$cluster_missing" ]; then
  echo "e2e: skipped: the toolchain cache $E2E_CACHE lacks: $cluster_missing (build it with \`make toolchain\`)"
  exit 0
fi
if [ -n "$engine_missing" ]; then
  echo "e2e: the cache lacks $engine_missing: the engine tests skip, the cluster acceptance tests run" \
    "(build it with \`make toolchain\`)"
fi
cd "$e2e_dir/.."
# The CRD sets the harness installs into the cluster, the ones the unit tier validates against.
.venv/bin/python -m tools.crd_schemas
export AIRFLOW_E2E_BIN=$E2E_BIN PYTHONDONTWRITEBYTECODE=1
start=$SECONDS
status=0
"$E2E_CACHE/venv/bin/python" -m pytest -c e2e/pytest.ini e2e "$@" || status=$?
echo "e2e: pytest ran for $((SECONDS - start)) s"
exit "$status"
