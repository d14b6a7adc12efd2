# shellcheck shell=bash
# Sourced by build-toolchain.sh and run.sh so that both agree on where the toolchain cache is and
# on when it is complete.
e2e_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=e2e/versions.env
. "$e2e_dir/versions.env"
E2E_CACHE=${AIRFLOW_E2E_CACHE:-$HOME/.cache/airflow-e2e}
# shellcheck disable=SC2034  # read by the scripts that source this file
E2E_BIN=$E2E_CACHE/bin
E2E_PIECES=(etcd kubernetes pulumi resource-kubernetes resource-random venv)
# What the cluster acceptance tier needs (the loopback control plane and the harness's virtualenv); the rest
# is the Pulumi engine's, for the engine tier only.
# shellcheck disable=SC2034  # read by run.sh
CLUSTER_PIECES=(etcd kubernetes venv)

piece_version() {
  case $1 in
    etcd) echo "$ETCD_VERSION" ;;
    kubernetes) echo "$KUBERNETES_VERSION" ;;
    pulumi) echo "$PULUMI_VERSION" ;;
    resource-kubernetes) echo "$KUBERNETES_PROVIDER_VERSION" ;;
    resource-random) echo "$RANDOM_PLUGIN_VERSION" ;;
    venv) sha256sum "$e2e_dir/requirements.txt" | cut -c1-16 ;;
    *) echo "unknown toolchain piece: $1" >&2; return 1 ;;
  esac
}

# A piece is ready when its stamp, written after its last binary was built, names the version
# versions.env pins now: a half-finished build leaves no stamp and a bump invalidates it.
piece_ready() {
  [ "$(cat "$E2E_CACHE/stamps/$1" 2>/dev/null)" = "$(piece_version "$1")" ]
}

missing_pieces() { # [piece...] (default: every piece)
  local p missing=()
  [ $# -gt 0 ] || set -- "${E2E_PIECES[@]}"
  for p in "$@"; do piece_ready "$p" || missing+=("$p"); done
  echo "${missing[*]}"
}
