#!/usr/bin/env bash
# Builds the smoke tier's cache once, outside the repository, then reuses it: a virtualenv with the real Airflow
# (the version the program deploys), Debian's PostgreSQL, Redis and PgBouncer, and the statsd-exporter built from the Go
# module proxy. Niced: a cold build resolves and
# installs a few hundred packages. Prints each step's time.
set -euo pipefail
# shellcheck source=smoke/cache.sh
. "$(dirname "${BASH_SOURCE[0]}")/cache.sh"

step() { # name command...
  local name=$1 start=$SECONDS
  shift
  "$@"
  echo "smoke setup: $name took $((SECONDS - start)) s"
}

install_servers() {
  local packages=()
  smoke_pg_bin >/dev/null || packages+=(postgresql)
  command -v redis-server >/dev/null || command -v valkey-server >/dev/null || packages+=(redis-server)
  smoke_pgbouncer >/dev/null || packages+=(pgbouncer)
  [ ${#packages[@]} -eq 0 ] && return 0
  # Only the binaries are wanted: the tests start their own throwaway servers, so the packaged services stay off.
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive nice -n 19 apt-get install -y -q --no-install-recommends "${packages[@]}"
  for service in postgresql redis-server pgbouncer; do
    service "$service" stop >/dev/null 2>&1 || true
  done
}

build_venv() {
  if [ "$(cat "$SMOKE_CACHE/stamp" 2>/dev/null)" = "$(smoke_stamp)" ]; then
    echo "smoke setup: $SMOKE_CACHE/venv is current (apache-airflow $AIRFLOW_VERSION)"
    return 0
  fi
  rm -rf "$SMOKE_CACHE/venv" "$SMOKE_CACHE/stamp"
  mkdir -p "$SMOKE_CACHE"
  "$(smoke_python)" -m venv "$SMOKE_CACHE/venv"
  # Airflow publishes its constraints files only in its git repository, which this machine cannot reach: pip
  # resolves freely but for constraints.txt's pins, and what it chose is recorded beside the venv (resolved.txt).
  nice -n 19 "$SMOKE_CACHE/venv/bin/pip" install -q -c "$smoke_dir/constraints.txt" \
    "apache-airflow[$AIRFLOW_EXTRAS]==$AIRFLOW_VERSION" "pytest==$PYTEST_VERSION"
  "$SMOKE_CACHE/venv/bin/pip" freeze >"$SMOKE_CACHE/resolved.txt"
  smoke_stamp >"$SMOKE_CACHE/stamp"
}

build_statsd_exporter() {
  if smoke_statsd_exporter_current; then
    echo "smoke setup: $SMOKE_CACHE/bin/statsd_exporter is current ($STATSD_EXPORTER_VERSION)"
    return 0
  fi
  rm -f "$SMOKE_CACHE/bin/statsd_exporter" "$SMOKE_CACHE/bin/statsd_exporter.stamp"
  mkdir -p "$SMOKE_CACHE/bin"
  # The module proxy serves the release's source, checked against the checksum database; go install builds it.
  GOBIN=$SMOKE_CACHE/bin nice -n 19 go install "$STATSD_EXPORTER_MODULE@$STATSD_EXPORTER_VERSION"
  smoke_statsd_exporter_stamp >"$SMOKE_CACHE/bin/statsd_exporter.stamp"
}

step "PostgreSQL, Redis and PgBouncer binaries" install_servers
step "Airflow virtualenv" build_venv
step "statsd_exporter" build_statsd_exporter
