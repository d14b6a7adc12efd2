#!/usr/bin/env bash
# The e2e tier as `make e2e` and CI run it. With the cluster's pieces in the toolchain cache (etcd,
# kube-apiserver, kube-controller-manager, the harness's virtualenv) it runs the tests and prints their
# wall time: the cluster acceptance tests run, and the engine tests run too when the cache also has
# Pulumi and its plugins, else each skips and says what it lacks. Without the cluster's pieces it prints
# one line saying why it skipped and succeeds. It never builds the toolchain (`make toolchain` does, in
# minutes that CI's budget does not have). Extra arguments go to pytest.
set -euo pipefail
# shellcheck source=e2e/cache.sh
. "$(dirname "${BASH_SOURCE[0]}")/cache.sh"

cluster_missing=$(missing_pieces "${CLUSTER_PIECES[@]}")
if [ -n "$cluster_missing" ]; then
  echo "e2e: skipped: the toolchain cache $E2E_CACHE lacks: $cluster_missing (build it with \`make toolchain\`)"
  exit 0
fi
engine_missing=$(missing_pieces)
if [ -n "$engine_missing" ]; then
  echo "e2e: the cache lacks $engine_missing: the engine tests skip, the cluster acceptance tests run" \
    "(e2e/README.md says why)"
fi
cd "$e2e_dir/.."
# The cert-manager CRDs the harness installs into the cluster, the set the unit tier validates against.
.venv/bin/python -m tools.crd_schemas
export AIRFLOW_E2E_BIN=$E2E_BIN PYTHONDONTWRITEBYTECODE=1
start=$SECONDS
status=0
"$E2E_CACHE/venv/bin/python" -m pytest -c e2e/pytest.ini e2e "$@" || status=$?
echo "e2e: pytest ran for $((SECONDS - start)) s"
exit "$status"
