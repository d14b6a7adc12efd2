"""The smoke tier's connection pool: the Airflow CLI through a real PgBouncer running the rendered configuration.

The program is rendered with `pgbouncerEnabled=true` and this module's own loopback PostgreSQL as its external
database. Debian's PgBouncer runs the rendered container's command with the rendered `airflow-pgbouncer` Secret as its
/etc/pgbouncer; the Airflow containers get `AIRFLOW__DATABASE__SQL_ALCHEMY_CONN` from the rendered `airflow-secrets`,
which names PgBouncer's Service. Then the migration Job's script migrates the empty database through PgBouncer in
transaction pooling, and the workloads' `airflow db check-migrations` passes through it too.

Translated beyond test_smoke.py's translations, as the pod's own network would differ from this machine's: PgBouncer
listens on 127.0.0.1 at a free port instead of every address at 6543, and the Service's name becomes that address.
PgBouncer here is Debian's 1.18; the image's is 1.23.1.
"""

# The fixtures imported from test_smoke.py are parameters of this module's fixtures and tests by design.
# ruff: noqa: F811

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import tempfile
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from test_smoke import (  # noqa: F401  (fixtures: pytest finds them by name in this module)
    AIRFLOW,
    Container,
    Database,
    Rendered,
    _postgres_bin,
    api_port,
    broker,
    containers,
    database,
    explain,
    free_port,
    log_tail,
    pytestmark,
    render,
    run,
    stop,
    wait_for_port,
)

SERVICE_ADDRESS = "airflow-pgbouncer.airflow.svc:6543"


def pgbouncer_binary() -> str | None:
    return shutil.which("pgbouncer") or (str(Path("/usr/sbin/pgbouncer")) if Path("/usr/sbin/pgbouncer").exists() else None)


@pytest.fixture(scope="module")
def rendered(database: Database, broker: str) -> Rendered:
    """This module's render, which replaces test_smoke's: PgBouncer on."""
    return render(database, broker, "pgbouncerEnabled=true")


@dataclass(frozen=True)
class PgBouncer:
    port: int
    log: Path


@pytest.fixture(scope="module")
def pgbouncer(rendered: Rendered) -> Iterator[PgBouncer]:
    with running_pgbouncer(rendered) as pool:
        yield pool


@contextlib.contextmanager
def running_pgbouncer(rendered: Rendered) -> Iterator[PgBouncer]:
    """PgBouncer as its pod runs it: as uid and gid 65534 (PgBouncer refuses to run as root, which CI is)."""
    binary = pgbouncer_binary()
    if binary is None:
        pytest.fail("pgbouncer is not installed (smoke/setup.sh installs it)")
    spec = rendered.pod_spec("Deployment", "airflow-pgbouncer")
    (container,) = spec["containers"]
    (mount,) = container["volumeMounts"]
    (volume,) = spec["volumes"]
    uid, gid = spec["securityContext"]["runAsUser"], spec["securityContext"]["runAsGroup"]
    as_root = os.geteuid() == 0
    # Not under pytest's tmp_path: its parents are private to root, and PgBouncer's user must read its config.
    config_dir = Path(tempfile.mkdtemp(prefix="airflow-smoke-pgbouncer-"))
    port = free_port()
    for key, value in rendered.objects[("Secret", volume["secret"]["secretName"])]["stringData"].items():
        text = str(value).replace(mount["mountPath"], str(config_dir))
        if key == "pgbouncer.ini":
            text = re.sub(r"(?m)^listen_addr = \*$", "listen_addr = 127.0.0.1", text)
            text = re.sub(r"(?m)^listen_port = 6543$", f"listen_port = {port}", text)
        (config_dir / key).write_text(text)
        (config_dir / key).chmod(volume["secret"]["defaultMode"])
        if as_root:
            os.chown(config_dir / key, 0, gid)  # the kubelet gives a Secret volume's files to the pod's fsGroup
    command, config = container["command"]
    assert command == "pgbouncer", container["command"]
    log = config_dir / "pgbouncer.log"
    user = {"user": uid, "group": gid} if as_root else {}
    config_dir.chmod(0o755)
    try:
        with open(log, "wb") as output:
            process = subprocess.Popen(
                [binary, config.replace(mount["mountPath"], str(config_dir))],
                stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True, **user,
            )  # fmt: skip
        try:
            wait_for_port(port, process, "pgbouncer")
            yield PgBouncer(port, log)
        finally:
            stop(process)
    finally:
        shutil.rmtree(config_dir, ignore_errors=True)


def through(container: Container, pool: PgBouncer) -> Container:
    url = container.env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
    assert SERVICE_ADDRESS in url, f"{container.name}'s database URL does not name PgBouncer's Service"
    container.env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = url.replace(SERVICE_ADDRESS, f"127.0.0.1:{pool.port}")
    return container


@pytest.fixture(scope="module")
def migrated(rendered: Rendered, containers: Any, pgbouncer: PgBouncer) -> subprocess.CompletedProcess[str]:
    job = rendered.migration_job
    name = job["spec"]["template"]["spec"]["containers"][0]["name"]
    return run(through(containers(("Job", job["metadata"]["name"]), name), pgbouncer))


def test_should_migrate_an_empty_database_through_pgbouncer(
    migrated: subprocess.CompletedProcess[str], pgbouncer: PgBouncer
) -> None:
    assert migrated.returncode == 0, f"the migration Job's script through PgBouncer failed:\n{explain(migrated)}\n" + (
        log_tail(pgbouncer.log)
    )
    assert "login attempt: db=airflow user=airflow" in pgbouncer.log.read_text(), log_tail(pgbouncer.log)


@pytest.mark.parametrize(
    "workload", [("Deployment", "airflow-scheduler"), ("StatefulSet", "airflow-worker")], ids=["scheduler", "worker"]
)
def test_should_find_the_schema_current_through_pgbouncer(
    workload: tuple[str, str], migrated: subprocess.CompletedProcess[str], containers: Any, pgbouncer: PgBouncer
) -> None:
    assert migrated.returncode == 0, "the migration through PgBouncer failed (see the first test)"
    container = through(containers(workload, "wait-for-migrations"), pgbouncer)
    result = run(container)
    assert result.returncode == 0, f"{container.name} through PgBouncer:\n{explain(result)}"


def test_should_list_the_admin_user_through_pgbouncer(
    migrated: subprocess.CompletedProcess[str], rendered: Rendered, containers: Any, pgbouncer: PgBouncer
) -> None:
    job = rendered.migration_job
    container = through(
        containers(("Job", job["metadata"]["name"]), job["spec"]["template"]["spec"]["containers"][0]["name"]), pgbouncer
    )
    result = run(container, [str(AIRFLOW), "users", "list"])
    assert result.returncode == 0, explain(result)
    assert container.env["ADMIN_USERNAME"] in result.stdout, explain(result)


ODD_DATABASE = "air'fl\\ow"


def test_should_reach_a_database_whose_name_needs_quoting_through_pgbouncer(database: Database, broker: str) -> None:
    """PgBouncer's own quoting (a quote doubled, no backslash escapes) of the database name it connects to."""
    admin = database.url.rsplit("/", 1)[0]
    bin_dir = _postgres_bin()
    assert bin_dir is not None
    quoted = ODD_DATABASE.replace('"', '""')
    created = subprocess.run([bin_dir / "psql", "--no-psqlrc", f"{admin}/postgres", "-c", f'CREATE DATABASE "{quoted}"'],
                             capture_output=True, text=True, timeout=60)  # fmt: skip
    assert created.returncode == 0, explain(created)
    odd = render(Database(url=f"{admin}/{urllib.parse.quote(ODD_DATABASE, safe='')}"), broker, "pgbouncerEnabled=true")
    login = urllib.parse.urlsplit(database.url)
    with running_pgbouncer(odd) as pool:
        result = subprocess.run(
            [bin_dir / "psql", "--no-psqlrc", "--tuples-only", "--no-align",
             f"postgresql://{login.username}:{login.password}@127.0.0.1:{pool.port}/airflow", "-c", "SELECT current_database()"],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    assert result.returncode == 0, f"{explain(result)}\n{log_tail(pool.log)}"
    assert result.stdout.strip() == ODD_DATABASE
