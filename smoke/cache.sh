# shellcheck shell=bash
# Sourced by setup.sh and run.sh so that both agree on where the smoke cache is and when it is complete.
smoke_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SMOKE_CACHE=${AIRFLOW_SMOKE_CACHE:-$HOME/.cache/airflow-smoke}
# The Airflow the program deploys (Pulumi.yaml's airflowImageTag default); the image runs Python 3.12.
AIRFLOW_VERSION=3.3.2
PYTEST_VERSION=8.4.2
# statsd: the client the metrics tests need, the one the official image's `statsd` extra installs.
AIRFLOW_EXTRAS=celery,fab,postgres,statsd
# The statsd-exporter release the stack deploys (Pulumi.yaml's metricsExporterImage tag), built from the Go module
# proxy into $SMOKE_CACHE/bin; its stamp names the module and version, so a version bump rebuilds it.
STATSD_EXPORTER_MODULE=github.com/prometheus/statsd_exporter
STATSD_EXPORTER_VERSION=v0.31.0

# Python 3.12, the image's: on PATH, or one pyenv installed (whose shim refuses it unless selected).
smoke_python() {
  local candidate
  for candidate in ${SMOKE_PYTHON:-} python3.12 "$HOME"/.pyenv/versions/3.12*/bin/python3.12; do
    "$candidate" -c 'import sys; assert sys.version_info[:2] == (3, 12)' 2>/dev/null && { echo "$candidate"; return 0; }
  done
  return 1
}

# The stamp is written after the last install succeeded, so a half-built venv or a version bump invalidates it.
smoke_stamp() {
  echo "apache-airflow[$AIRFLOW_EXTRAS]==$AIRFLOW_VERSION pytest==$PYTEST_VERSION constraints=$(sha256sum "$smoke_dir/constraints.txt" | cut -c1-16)"
}

# The directory holding initdb and pg_ctl (Debian keeps them off PATH, under /usr/lib/postgresql/<major>/bin).
smoke_pg_bin() {
  local dir
  for dir in /usr/lib/postgresql/*/bin; do
    [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ] && { echo "$dir"; return 0; }
  done
  return 1
}

smoke_statsd_exporter_stamp() { echo "$STATSD_EXPORTER_MODULE@$STATSD_EXPORTER_VERSION"; }

smoke_statsd_exporter_current() {
  [ -x "$SMOKE_CACHE/bin/statsd_exporter" ] &&
    [ "$(cat "$SMOKE_CACHE/bin/statsd_exporter.stamp" 2>/dev/null)" = "$(smoke_statsd_exporter_stamp)" ]
}

smoke_redis_server() { command -v redis-server || command -v valkey-server; }

# Debian installs PgBouncer off PATH for users other than root.
smoke_pgbouncer() { command -v pgbouncer || { [ -x /usr/sbin/pgbouncer ] && echo /usr/sbin/pgbouncer; }; }

# Why the cache cannot run the tests, or nothing when it can.
smoke_missing() {
  local missing=()
  [ "$(cat "$SMOKE_CACHE/stamp" 2>/dev/null)" = "$(smoke_stamp)" ] || missing+=("the Airflow virtualenv")
  smoke_pg_bin >/dev/null || missing+=("PostgreSQL's initdb/pg_ctl")
  smoke_redis_server >/dev/null || missing+=("redis-server")
  smoke_pgbouncer >/dev/null || missing+=("pgbouncer")
  smoke_statsd_exporter_current || missing+=("statsd_exporter $STATSD_EXPORTER_VERSION")
  echo "${missing[*]}"
}
