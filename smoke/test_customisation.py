"""The smoke tier's customisation: a team's Airflow options and connections, as the program renders them, read back
by the real Airflow.

The program is rendered with a plain `airflowConfig` option, an encrypted one (which then reaches the pods through
the `airflow-config-overrides` Secret by `secretKeyRef`, as every option does once one is encrypted) and a connection
(the `airflow-connections` Secret). The real `airflow config get-value` and `airflow connections get`, run with the
worker container's environment as rendered and translated by test_smoke.py, return them.
"""

# The fixtures imported from test_smoke.py are parameters of this module's fixtures and tests by design.
# ruff: noqa: F811

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from typing import Any

import pytest
from test_smoke import (  # noqa: F401  (fixtures: pytest finds them by name in this module)
    AIRFLOW,
    REPO,
    Container,
    Database,
    Rendered,
    api_port,
    broker,
    containers,
    database,
    explain,
    pytestmark,
    render,
    run,
)

PARALLELISM = "48"
BACKEND_KWARGS = '{"token": "smoke-vault-token-7Hq"}'
CONNECTION_URI = "postgres://reporting:pw%40x@reports.acme-corp.io:5433/reports"


@pytest.fixture(scope="module")
def rendered(database: Database, broker: str) -> Rendered:
    """This module's render, which replaces test_smoke's: the team's options and a connection set."""
    # render_env.py passes its KEY=VALUE settings in plain text; the secret ones go in through the secrets arguments.
    options = {"core": {"parallelism": int(PARALLELISM)}, "secrets": {"backend_kwargs": BACKEND_KWARGS}}
    return render(
        database,
        broker,
        f"secret:airflowConfig={json.dumps(options)}",
        f"secret:airflowConnections={json.dumps({'reporting': CONNECTION_URI})}",
    )


@pytest.fixture(scope="module")
def worker(containers: Any) -> Container:
    return containers(("StatefulSet", "airflow-worker"), "worker")


def airflow(container: Container, *args: str) -> subprocess.CompletedProcess[str]:
    return run(container, [str(AIRFLOW), *args])


def test_should_keep_the_options_out_of_the_pod_spec(rendered: Rendered) -> None:
    spec = json.dumps(rendered.pod_spec("StatefulSet", "airflow-worker"))
    assert "smoke-vault-token-7Hq" not in spec
    assert CONNECTION_URI not in spec


@pytest.mark.parametrize(
    ("section", "option", "expected"), [("core", "parallelism", PARALLELISM), ("secrets", "backend_kwargs", BACKEND_KWARGS)]
)
def test_should_read_the_teams_option_back_from_the_real_airflow(
    worker: Container, section: str, option: str, expected: str
) -> None:
    result = airflow(worker, "config", "get-value", section, option)
    assert result.returncode == 0, explain(result)
    assert result.stdout.strip().splitlines()[-1] == expected, explain(result)


def test_should_read_the_connection_back_from_the_real_airflow(worker: Container) -> None:
    result = airflow(worker, "connections", "get", "reporting", "--output", "json")
    assert result.returncode == 0, explain(result)
    listing = [line for line in result.stdout.splitlines() if line.startswith("[")]
    assert listing, explain(result)
    (connection,) = json.loads(listing[-1])
    assert (connection["conn_type"], connection["host"], connection["port"], connection["login"], connection["password"]) == (
        "postgres", "reports.acme-corp.io", "5433", "reporting", "pw@x",
    )  # fmt: skip


def test_should_ship_the_options_of_the_airflow_it_deploys() -> None:
    """The list the settings check `airflowConfig` against is this Airflow's (smoke/airflow_options.py)."""
    home = tempfile.mkdtemp(prefix="airflow-options-")
    result = subprocess.run(
        [sys.executable, str(REPO / "smoke" / "airflow_options.py")],
        capture_output=True, text=True, timeout=300, env={**os.environ, "AIRFLOW_HOME": home},
    )  # fmt: skip
    stale = f"components/settings/airflow_options.json is stale: run {sys.executable} smoke/airflow_options.py --write"
    assert result.returncode == 0, f"{stale}\n{explain(result)}"
