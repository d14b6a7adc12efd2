"""The smoke tier's worker autoscaling: the rendered scaler's query and login against the real PostgreSQL.

The database is migrated by the rendered migration Job's script (Airflow's real schema), then task instances are
written in every state a worker's demand could be confused with. The program is rendered again with
`workerAutoscaling=true` and, as its external database, a login of its own whose password holds a space, a quote, a
backslash and '=' (what a keyword/value connection string must quote). The rendered Secret's connection string opens
a libpq connection (KEDA's client, pgx, follows libpq's quoting rules), and the ScaledObject's query, run through it,
must count exactly the queued and running task instances; divided by the rendered target, rounded up as the HPA
does, that is the worker count KEDA would ask for.

The task instances are written directly (their required columns filled by type, foreign keys not checked in that
one transaction): the query reads only `state`, and a real DAG run's rows are the backups' business (test_data.py).
"""

# The fixtures imported from test_smoke.py are parameters of this module's fixtures and tests by design.
# ruff: noqa: F811

from __future__ import annotations

import math
import urllib.parse
from typing import Any

import psycopg2
import pytest
from test_smoke import (  # noqa: F401  (fixtures: pytest finds them by name in this module)
    Database,
    Rendered,
    api_port,
    broker,
    containers,
    database,
    explain,
    migrations,
    pytestmark,
    render,
    rendered,
)

# Task instances by state: only queued (waiting for a worker slot) and running (holding one) need a worker.
STATES = {"queued": 3, "running": 2, "scheduled": 4, "success": 5, "deferred": 1, "up_for_retry": 1, "failed": 2}
DEMAND = STATES["queued"] + STATES["running"]
CONCURRENCY = 2
SCALER_ROLE = "keda scaler"
SCALER_PASSWORD = "p w'\\x=1"
# Values for the columns a row must have, by type: what a task instance holds in them does not matter to the query.
FILLERS = {
    "uuid": "gen_random_uuid()",
    "integer": "1",
    "bigint": "1",
    "smallint": "1",
    "double precision": "1",
    "boolean": "false",
    "timestamp with time zone": "now()",
    "timestamp without time zone": "now()",
    "json": "'{}'",
    "jsonb": "'{}'",
    "bytea": "''",
}


def execute(url: str, *statements: str) -> list[Any]:
    """The test's own statements, as the `airflow` superuser; the last one's rows."""
    with psycopg2.connect(url) as connection, connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
        return cursor.fetchall() if cursor.description else []


def write_task_instances(url: str) -> None:
    required = execute(
        url,
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'task_instance' "
        "AND is_nullable = 'NO' AND column_default IS NULL AND column_name NOT IN ('state', 'task_id') "
        "ORDER BY ordinal_position",
    )
    columns = ", ".join(["state", "task_id", *(name for name, _ in required)])
    rows = []
    for state, count in STATES.items():
        for number in range(count):
            values = [f"'{state}'", f"'{state}_{number}'", *(FILLERS.get(kind, "'smoke'") for _, kind in required)]
            rows.append(f"({', '.join(values)})")
    execute(
        url,
        # Foreign keys (the DAG run, the DAG version) are triggers the replica role skips, for this transaction only.
        "SET LOCAL session_replication_role = replica",
        f"INSERT INTO task_instance ({columns}) VALUES {', '.join(rows)}",
    )


@pytest.fixture(scope="module")
def scaler_login(database: Database, migrations: list[Any]) -> Database:
    """The database as the scaler would be given it: a login of its own that may read task_instance only."""
    assert all(m.returncode == 0 for m in migrations), "\n".join(explain(m) for m in migrations)
    write_task_instances(database.url)
    quoted = SCALER_PASSWORD.replace("'", "''")
    execute(
        database.url,
        f"CREATE ROLE \"{SCALER_ROLE}\" LOGIN PASSWORD '{quoted}'",
        f"GRANT SELECT ON task_instance TO \"{SCALER_ROLE}\"",
    )
    server = urllib.parse.urlsplit(database.url)
    login = f"{urllib.parse.quote(SCALER_ROLE, safe='')}:{urllib.parse.quote(SCALER_PASSWORD, safe='')}"
    return Database(url=f"postgresql://{login}@{server.hostname}:{server.port}/airflow")


@pytest.fixture(scope="module")
def autoscaled(scaler_login: Database, broker: str) -> Rendered:
    return render(scaler_login, broker, "workerAutoscaling=true", f"workerConcurrency={CONCURRENCY}")


def test_should_count_exactly_the_queued_and_running_task_instances_through_the_rendered_login(
    autoscaled: Rendered,
) -> None:
    connection = autoscaled.objects[("Secret", "airflow-worker-autoscaler")]["stringData"]["connection"]
    (trigger,) = autoscaled.objects[("ScaledObject", "airflow-worker")]["spec"]["triggers"]
    with psycopg2.connect(connection) as scaler, scaler.cursor() as cursor:
        cursor.execute(trigger["metadata"]["query"])
        ((demand,),) = cursor.fetchall()
        cursor.execute("SELECT current_user")
        ((user,),) = cursor.fetchall()
    assert (user, demand) == (SCALER_ROLE, DEMAND)
    # The HPA's AverageValue rule: ceil(metric / target) workers.
    workers = math.ceil(demand / float(trigger["metadata"]["targetQueryValue"]))
    assert workers == math.ceil(DEMAND / CONCURRENCY) == 3


def test_should_ask_for_no_worker_once_nothing_is_queued_or_running(
    autoscaled: Rendered, database: Database
) -> None:
    connection = autoscaled.objects[("Secret", "airflow-worker-autoscaler")]["stringData"]["connection"]
    (trigger,) = autoscaled.objects[("ScaledObject", "airflow-worker")]["spec"]["triggers"]
    execute(database.url, "UPDATE task_instance SET state = 'success' WHERE state IN ('queued', 'running')")
    with psycopg2.connect(connection) as scaler, scaler.cursor() as cursor:
        cursor.execute(trigger["metadata"]["query"])
        ((demand,),) = cursor.fetchall()
    # Not above the activation target: KEDA deactivates the scaler and, past the cool-down, scales to zero.
    assert demand == 0
    assert float(trigger["metadata"]["activationTargetQueryValue"]) == 0
