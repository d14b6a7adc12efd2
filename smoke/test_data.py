"""The smoke tier's data safety: the rendered backup, restore and clean-up commands, run against the real PostgreSQL
after a real DAG run.

test_task_run.py's Airflow (api-server, scheduler, dag-processor, Celery worker) runs one DAG task here too, in this
module's own PostgreSQL, with the program rendered with `databaseBackup=on` (an external database, as every smoke
render has, leaves it off by default). Then, as the restore steps of docs/data.md do in a cluster:
1. the `airflow-database-backup` CronJob's container takes dumps while Airflow runs, and keeps the newest
   `databaseBackupKeep`;
2. Airflow stops (the scale-down), the `airflow` database is dropped and created empty (a lost or broken database);
3. the `airflow-database-restore` CronJob's container restores the newest dump, `airflow db check-migrations` passes,
   and the DAG run and its task instance are back;
4. the `airflow-metadata-cleanup` CronJob's container deletes rows older than its retention and keeps newer ones.

The backup and restore containers run PostgreSQL's client programs from this machine's PostgreSQL (the image's are
the server's version, as here). Their pod's volumes become directories: the backup claim one kept for the module, the
Secret volume the rendered Secret's files, the in-memory /tmp a fresh directory per run; every environment value under
a mount path is translated to the directory.
"""

# The fixtures imported from the other smoke modules are parameters of this module's fixtures and tests by design.
# ruff: noqa: F811

from __future__ import annotations

import fcntl
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from test_smoke import (  # noqa: F401  (fixtures: pytest finds them by name in this module)
    AIRFLOW,
    Database,
    Rendered,
    _postgres_bin,
    api_port,
    broker,
    containers,
    database,
    explain,
    migrations,
    pytestmark,
    render,
    run,
)
from test_task_run import DAG_ID, TASK_ID, Cluster, TaskRun, cluster, stop_all, task_run  # noqa: F401

KEEP = 2
BACKUP_RUNS = KEEP + 1
RETENTION_DAYS = 90
OLD_EVENT, NEW_EVENT = "smoke-data-old", "smoke-data-new"


@pytest.fixture(scope="module")
def rendered(database: Database, broker: str) -> Rendered:
    """This module's render, which replaces test_smoke's: the backups on."""
    return render(database, broker, "databaseBackup=on", f"databaseBackupKeep={KEEP}",
                  f"metadataCleanupRetentionDays={RETENTION_DAYS}")  # fmt: skip


def psql(server: Database, sql: str, dbname: str = "airflow") -> str:
    """The test's own look at the database (not a rendered command), as the `airflow` superuser."""
    url = server.url.rsplit("/", 1)[0] + f"/{dbname}"
    bin_dir = _postgres_bin()
    assert bin_dir is not None
    result = subprocess.run(
        [bin_dir / "psql", "--no-psqlrc", "--tuples-only", "--no-align", "--set=ON_ERROR_STOP=1", url, "-c", sql],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, f"psql {sql!r}:\n{explain(result)}"
    return result.stdout.strip()


@dataclass(frozen=True)
class JobPod:
    """A CronJob's container translated to this machine: its volumes as directories."""

    argv: list[str]
    env: dict[str, str]
    volumes: dict[str, Path]  # mount path -> directory

    def run(self, **extra_env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.argv, env={**self.env, **extra_env}, stdin=subprocess.DEVNULL, capture_output=True, text=True,
            timeout=600,
        )  # fmt: skip


def job_pod(rendered: Rendered, name: str, backups: Path, root: Path) -> JobPod:
    spec = rendered.pod_spec("CronJob", name)
    (container,) = spec["containers"]
    volumes = {v["name"]: v for v in spec["volumes"]}
    directories: dict[str, Path] = {}
    for mount in container["volumeMounts"]:
        volume = volumes[mount["name"]]
        if "persistentVolumeClaim" in volume:
            directory = backups
        else:
            directory = root / f"{name}-{mount['name']}"
            directory.mkdir()
        if "secret" in volume:
            secret = rendered.objects[("Secret", volume["secret"]["secretName"])]["stringData"]
            for key, value in secret.items():
                (directory / key).write_text(str(value))
                (directory / key).chmod(volume["secret"]["defaultMode"])
        directories[mount["mountPath"]] = directory

    def translate(value: str) -> str:
        for mount_path, directory in directories.items():
            if value == mount_path or value.startswith(mount_path + "/"):
                return str(directory) + value[len(mount_path) :]
        return value

    env = {item["name"]: translate(str(item["value"])) for item in container["env"]}
    base = {"PATH": f"{_postgres_bin()}:/usr/bin:/bin", "HOME": str(root), "LANG": "C.UTF-8"}
    return JobPod(list(container["command"]), {**base, **env}, directories)


@pytest.fixture(scope="module")
def backups(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The backup volume: kept across the module's runs, as the claim is across Jobs."""
    return tmp_path_factory.mktemp("backup-volume")


@dataclass(frozen=True)
class Backups:
    runs: list[subprocess.CompletedProcess[str]]
    first_dumps: list[str]  # what the first run left on the volume


@pytest.fixture(scope="module")
def backed_up(
    rendered: Rendered,
    task_run: TaskRun,
    backups: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Backups:
    """The backup CronJob's container run BACKUP_RUNS times while Airflow runs, a second apart (dumps are named by
    the second they start)."""
    assert task_run.instance["state"] == "success", f"the DAG run to back up failed: {task_run.instance}"
    runs: list[subprocess.CompletedProcess[str]] = []
    first: list[str] = []
    for number in range(BACKUP_RUNS):
        pod = job_pod(rendered, "airflow-database-backup", backups, tmp_path_factory.mktemp(f"backup-{number}"))
        runs.append(pod.run())
        if number == 0:
            first = dumps(backups)
        time.sleep(1.1)
    return Backups(runs, first)


def dumps(backups: Path) -> list[str]:
    """The volume's dumps, and any partial one a failed run left (the lock file aside)."""
    return sorted(p.name for p in backups.iterdir() if p.name != ".lock")


def test_should_take_a_verified_dump_with_the_backup_cron_jobs_script(backed_up: Backups) -> None:
    for result in backed_up.runs:
        assert result.returncode == 0, f"the backup script failed:\n{explain(result)}"
    assert len(backed_up.first_dumps) == 1, f"one run left {backed_up.first_dumps}, not one dump"
    assert backed_up.first_dumps[0].startswith("airflow-"), backed_up.first_dumps
    assert backed_up.first_dumps[0].endswith("Z.dump"), backed_up.first_dumps
    assert "database-backup: wrote airflow-" in backed_up.runs[0].stdout, explain(backed_up.runs[0])


def test_should_keep_only_the_newest_dumps(backed_up: Backups, backups: Path) -> None:
    kept = dumps(backups)
    assert len(kept) == KEEP, f"after {BACKUP_RUNS} runs with databaseBackupKeep={KEEP} the volume holds {kept}"
    assert backed_up.first_dumps[0] not in kept, f"the oldest dump {backed_up.first_dumps[0]} was kept: {kept}"
    assert f"deleted {backed_up.first_dumps[0]}" in backed_up.runs[-1].stdout, explain(backed_up.runs[-1])


@dataclass(frozen=True)
class Restore:
    tables_after_drop: str
    missing_dump: subprocess.CompletedProcess[str]
    restore: subprocess.CompletedProcess[str]


@pytest.fixture(scope="module")
def restored(
    rendered: Rendered,
    database: Database,
    cluster: Cluster,
    backed_up: Backups,
    backups: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Restore:
    """docs/data.md's steps: Airflow stopped, the database lost (dropped, created empty), the newest dump restored."""
    stop_all([process for process, _ in cluster.processes.values()])
    psql(database, "DROP DATABASE airflow WITH (FORCE)", dbname="postgres")
    psql(database, "CREATE DATABASE airflow", dbname="postgres")
    tables = psql(database, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
    pod = job_pod(rendered, "airflow-database-restore", backups, tmp_path_factory.mktemp("restore"))
    missing = pod.run(BACKUP="airflow-19700101T000000Z.dump")
    return Restore(tables, missing, pod.run())


def test_should_refuse_a_truncated_dump_and_leave_the_database_as_it_was(
    restored: Restore, rendered: Rendered, database: Database, backups: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """A dump cut short (a copy put back half-written, a full disk) reads its table of contents fine: the restore
    must read it whole first, and touch nothing when it cannot."""
    assert restored.restore.returncode == 0, "the restore failed (see its test)"
    newest = dumps(backups)[-1]
    whole = (backups / newest).read_bytes()
    truncated = backups / "airflow-20000101T000000Z.dump"
    truncated.write_bytes(whole[: len(whole) * 2 // 3])
    try:
        pod = job_pod(rendered, "airflow-database-restore", backups, tmp_path_factory.mktemp("restore-truncated"))
        result = pod.run(BACKUP=truncated.name)
    finally:
        truncated.unlink()
    assert result.returncode == 1, explain(result)
    assert "airflow-20000101T000000Z.dump is not a complete dump; the database is unchanged" in result.stderr
    assert psql(database, f"SELECT state FROM dag_run WHERE dag_id = '{DAG_ID}'") == "success"


def test_should_let_one_backup_or_restore_use_the_volume_at_a_time(
    restored: Restore, rendered: Rendered, backups: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """A Job made by hand from the CronJob runs beside the scheduled one (concurrencyPolicy does not cover it)."""
    before = dumps(backups)
    with open(backups / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)  # what a running backup holds
        pod = job_pod(rendered, "airflow-database-backup", backups, tmp_path_factory.mktemp("backup-locked"))
        result = pod.run()
    assert result.returncode == 1, explain(result)
    assert "airflow-database-backup: another backup or restore is using" in result.stderr, explain(result)
    assert dumps(backups) == before


def test_should_refuse_to_restore_a_dump_that_is_not_there(restored: Restore) -> None:
    assert restored.missing_dump.returncode == 1, explain(restored.missing_dump)
    assert "no dump airflow-19700101T000000Z.dump" in restored.missing_dump.stderr, explain(restored.missing_dump)


def test_should_bring_back_the_dag_run_and_its_task_instance_with_the_restore_cron_jobs_script(
    restored: Restore,
    database: Database,
    rendered: Rendered,
    containers: Any,
    task_run: TaskRun,
) -> None:
    assert restored.tables_after_drop == "0", "the database was not empty after the drop"
    assert restored.restore.returncode == 0, f"the restore script failed:\n{explain(restored.restore)}"
    job = rendered.migration_job
    airflow = containers(("Job", job["metadata"]["name"]), job["spec"]["template"]["spec"]["containers"][0]["name"])
    check = run(airflow, [str(AIRFLOW), "db", "check-migrations", "--migration-wait-timeout=1"])
    assert check.returncode == 0, f"airflow db check-migrations after the restore:\n{explain(check)}"
    run_state = psql(database, f"SELECT state FROM dag_run WHERE dag_id = '{DAG_ID}'")
    ti_state = psql(database, f"SELECT state FROM task_instance WHERE dag_id = '{DAG_ID}' AND task_id = '{TASK_ID}'")
    assert (run_state, ti_state) == ("success", "success"), f"after the restore: run {run_state!r}, task {ti_state!r}"


@pytest.fixture(scope="module")
def cleaned(restored: Restore, database: Database, rendered: Rendered, containers: Any) -> subprocess.CompletedProcess[str]:
    """Old and new rows in the event log, then the clean-up CronJob's container."""
    assert restored.restore.returncode == 0, "the restore failed (see its test)"
    psql(
        database,
        f"INSERT INTO log (dttm, event) VALUES (now() - interval '{RETENTION_DAYS + 30} days', '{OLD_EVENT}'), "
        f"(now() - interval '{RETENTION_DAYS - 30} days', '{NEW_EVENT}')",
    )
    cleanup = containers(("CronJob", "airflow-metadata-cleanup"), "clean")
    return run(cleanup)


def test_should_delete_only_rows_older_than_the_retention_with_the_cleanup_cron_jobs_script(
    cleaned: subprocess.CompletedProcess[str],
    database: Database,
) -> None:
    assert cleaned.returncode == 0, f"the clean-up script failed:\n{explain(cleaned)}"
    events = psql(database, f"SELECT event FROM log WHERE event IN ('{OLD_EVENT}', '{NEW_EVENT}') ORDER BY event")
    assert events.splitlines() == [NEW_EVENT], f"after the clean-up the event log holds {events.splitlines()}"
    runs = psql(database, f"SELECT count(*) FROM dag_run WHERE dag_id = '{DAG_ID}'")
    assert runs == "1", f"the clean-up deleted today's run of {DAG_ID} ({runs} left)"
