"""DatabaseBackup: the backup and restore CronJobs, their Secret and volume, and when they exist.

The scripts themselves run against a real PostgreSQL in the smoke tier (smoke/test_data.py); here the objects around
them are checked whole against literals.
"""

from __future__ import annotations

from typing import Any

import pytest

from components.database_backup import BACKUP_SCRIPT, RESTORE_SCRIPT, libpq_files
from components.settings import cron_schedule
from tests.conftest import Run, config_of, settings_problems
from tools.harness import Capture, is_secret, reveal

PVC = "kubernetes:core/v1:PersistentVolumeClaim"
EXTERNAL_URL = "postgresql+psycopg2://air%3Aflow:p%40ss%3Aw%5Cord@db.acme-corp.io:6432/airflow_meta?sslmode=require"
LABELS = {
    "app.kubernetes.io/component": "database-backup",
    "app.kubernetes.io/managed-by": "pulumi",
    "app.kubernetes.io/name": "airflow",
    "app.kubernetes.io/part-of": "airflow",
}


def backup_objects(capture: Capture) -> list[tuple[str, str]]:
    return sorted(
        (o["kind"], o["metadata"]["name"])
        for o in (r.plain_inputs for r in capture.kubernetes_objects())
        if o["metadata"].get("labels", {}).get("app.kubernetes.io/component") == "database-backup"
    )


def pod_spec(script: str, container: str, keep: str | None) -> dict[str, Any]:
    env = [
        {"name": "JOB_NAME", "value": f"airflow-database-{container}"},
        {"name": "BACKUP_DIR", "value": "/backups"},
        {"name": "PGSERVICEFILE", "value": "/etc/airflow-database/pg_service.conf"},
        {"name": "PGSERVICE_NAME", "value": "airflow"},
        {"name": "PGPASS_SOURCE", "value": "/etc/airflow-database/pgpass"},
        {"name": "PGPASSFILE", "value": "/tmp/pgpass"},
    ]
    return {
        "automountServiceAccountToken": False,
        "containers": [
            {
                "command": ["bash", "-c", script],
                "env": env + ([{"name": "KEEP", "value": keep}] if keep else []),
                "image": "postgres:18.1",
                "imagePullPolicy": "IfNotPresent",
                "name": container,
                "resources": {"limits": {"cpu": "1", "memory": "1Gi"}, "requests": {"cpu": "100m", "memory": "256Mi"}},
                "securityContext": {
                    "allowPrivilegeEscalation": False,
                    "capabilities": {"drop": ["ALL"]},
                    "privileged": False,
                    "readOnlyRootFilesystem": True,
                    "runAsNonRoot": True,
                    "seccompProfile": {"type": "RuntimeDefault"},
                },
                "volumeMounts": [
                    {"mountPath": "/backups", "name": "backups"},
                    {"mountPath": "/etc/airflow-database", "name": "credentials", "readOnly": True},
                    {"mountPath": "/tmp", "name": "tmp"},
                ],
            }
        ],
        "enableServiceLinks": False,
        "restartPolicy": "Never",
        "securityContext": {
            "fsGroup": 999,
            "fsGroupChangePolicy": "OnRootMismatch",
            "runAsGroup": 999,
            "runAsNonRoot": True,
            "runAsUser": 999,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "serviceAccountName": "airflow-database-backup",
        "volumes": [
            {"name": "backups", "persistentVolumeClaim": {"claimName": "airflow-database-backups"}},
            {"name": "credentials", "secret": {"defaultMode": 0o440, "secretName": "airflow-database-backup"}},
            {"emptyDir": {"medium": "Memory", "sizeLimit": "16Mi"}, "name": "tmp"},
        ],
    }


def cron_job_spec(schedule: str, suspend: bool, backoff_limit: int, pod: dict[str, Any]) -> dict[str, Any]:
    return {
        "concurrencyPolicy": "Forbid",
        "failedJobsHistoryLimit": 3,
        "jobTemplate": {
            "spec": {
                "activeDeadlineSeconds": 21600,
                "backoffLimit": backoff_limit,
                "template": {"metadata": {"labels": LABELS}, "spec": pod},
            }
        },
        "schedule": schedule,
        "startingDeadlineSeconds": 3600,
        "successfulJobsHistoryLimit": 3,
        "suspend": suspend,
        "timeZone": "Etc/UTC",
    }


def test_should_dump_the_in_cluster_database_nightly_and_keep_seven_by_default(default_run: Capture) -> None:
    backup = default_run.object("CronJob", "airflow-database-backup")
    assert backup["spec"] == cron_job_spec("0 2 * * *", False, 1, pod_spec(BACKUP_SCRIPT, "backup", "7"))


def test_should_never_run_a_restore_by_itself(default_run: Capture) -> None:
    restore = default_run.object("CronJob", "airflow-database-restore")
    assert restore["spec"] == cron_job_spec("0 0 31 2 *", True, 0, pod_spec(RESTORE_SCRIPT, "restore", None))


def test_should_take_the_schedule_and_how_many_to_keep_from_config(run: Run) -> None:
    spec = run(databaseBackupSchedule="30  1 * * mon-fri", databaseBackupKeep=14).object("CronJob", "airflow-database-backup")[
        "spec"
    ]
    assert spec["schedule"] == "30 1 * * mon-fri"
    assert spec["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["env"][-1] == {"name": "KEEP", "value": "14"}


@pytest.mark.parametrize("name", ["airflow-database-backup", "airflow-database-restore"])
def test_should_give_both_cronjobs_exactly_this_metadata(default_run: Capture, name: str) -> None:
    """Checkov reads its skips, reasons included, from these annotations only."""
    assert default_run.object("CronJob", name)["metadata"] == {
        "name": name,
        "namespace": "airflow",
        "labels": LABELS,
        "annotations": {
            "checkov.io/skip1": "CKV_K8S_43=images are pinned to release tags set in the stack config, reviewed in "
            "every preview; a digest would go stale at each rebuild of the same release",
            "checkov.io/skip2": "CKV_K8S_15=imagePullPolicy is a stack setting: IfNotPresent by default since tags are "
            "pinned (no registry round trip per pod start); set Always where nodes are shared with untrusted workloads",
            "checkov.io/skip3": "CKV_K8S_40=runs as uid 999, the user the official image is built for and that owns its "
            "data; the pod shares no host namespace or path, so a host user with that uid gains nothing",
        },
    }, name


def test_should_create_exactly_the_backups_objects(default_run: Capture) -> None:
    assert backup_objects(default_run) == [
        ("CronJob", "airflow-database-backup"),
        ("CronJob", "airflow-database-restore"),
        ("PersistentVolumeClaim", "airflow-database-backups"),
        ("Secret", "airflow-database-backup"),
        ("ServiceAccount", "airflow-database-backup"),
    ]


def test_should_give_the_backups_a_claim_of_their_own(run: Run) -> None:
    claim = run(databaseBackupStorageSize="30Gi", databaseBackupStorageClass="yc-network-ssd").object(
        "PersistentVolumeClaim", "airflow-database-backups"
    )
    assert claim["spec"] == {
        "accessModes": ["ReadWriteOnce"],
        "resources": {"requests": {"storage": "30Gi"}},
        "storageClassName": "yc-network-ssd",
    }


@pytest.mark.parametrize(("retain", "expected"), [(None, True), (True, True), (False, False)])
def test_should_keep_the_backups_on_destroy_exactly_when_the_data_is_kept(run: Run, retain: bool | None, expected: bool) -> None:
    capture = run(**({} if retain is None else {"postgresRetainOnDestroy": retain}))
    assert capture.one(PVC, "database-backup-volume").retain_on_delete is expected


def test_should_log_in_with_libpq_files_of_the_in_cluster_database_kept_secret(default_run: Capture) -> None:
    secret = default_run.one("kubernetes:core/v1:Secret", "database-backup-credentials").inputs["stringData"]
    assert is_secret(secret)
    password = reveal(default_run.one("kubernetes:core/v1:Secret", "postgres-credentials").inputs["stringData"])["password"]
    assert reveal(secret) == {
        "pg_service.conf": "[airflow]\nhost=airflow-postgresql.airflow.svc\nport=5432\ndbname=airflow\nuser=airflow\n",
        "pgpass": f"*:*:*:airflow:{password}\n",
    }


def test_should_keep_the_libpq_files_in_an_opaque_secret(default_run: Capture) -> None:
    """The files are checked above; here the rest, the type included: the API server refuses to change a Secret's
    type, so a changed one could not be applied to an existing stack."""
    secret = default_run.object("Secret", "airflow-database-backup")
    assert {key: value for key, value in secret.items() if key != "stringData"} == {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "airflow-database-backup", "namespace": "airflow", "labels": LABELS},
        "type": "Opaque",
    }


def test_should_write_an_external_urls_connection_in_libpqs_formats() -> None:
    """Percent-encoding undone; ':' and '\\' escaped in the password file; libpq's TLS setting kept, SQLAlchemy's
    own query options dropped."""
    assert libpq_files(EXTERNAL_URL + "&pool_pre_ping=true") == {
        "pg_service.conf": ("[airflow]\nhost=db.acme-corp.io\nport=6432\ndbname=airflow_meta\nuser=air:flow\nsslmode=require\n"),
        "pgpass": "*:*:*:air\\:flow:p@ss\\:w\\\\ord\n",
    }


def test_should_default_to_postgres_port_when_the_url_names_none() -> None:
    assert libpq_files("postgresql://a:b@db.acme-corp.io/airflow")["pg_service.conf"] == (
        "[airflow]\nhost=db.acme-corp.io\nport=5432\ndbname=airflow\nuser=a\n"
    )


def test_should_leave_an_external_database_to_its_provider_by_default(run: Run) -> None:
    capture = run(secrets={"externalDatabaseUrl": EXTERNAL_URL})
    assert backup_objects(capture) == []
    assert capture.outputs["databaseBackups"] == "none: airflow:databaseBackup is off"


def test_should_back_up_an_external_database_when_asked(run: Run) -> None:
    capture = run(databaseBackup="on", secrets={"externalDatabaseUrl": EXTERNAL_URL})
    secret = reveal(capture.one("kubernetes:core/v1:Secret", "database-backup-credentials").inputs["stringData"])
    assert secret == libpq_files(EXTERNAL_URL)


def test_should_not_back_up_when_off(run: Run) -> None:
    assert backup_objects(run(databaseBackup="off")) == []


def test_should_say_where_the_backups_are_in_a_stack_output(default_run: Capture, run: Run) -> None:
    assert default_run.outputs["databaseBackups"] == (
        "PersistentVolumeClaim airflow-database-backups (8Gi on the cluster's default StorageClass, kept on destroy): "
        "the newest 7 dumps, taken at '0 2 * * *' UTC"
    )
    assert run(postgresRetainOnDestroy=False, databaseBackupStorageClass="fast").outputs["databaseBackups"] == (
        "PersistentVolumeClaim airflow-database-backups (8Gi on fast, deleted on destroy): "
        "the newest 7 dumps, taken at '0 2 * * *' UTC"
    )


CRON_RULE = (
    "must be a cron schedule in UTC: five fields (minute hour day-of-month month day-of-week), each *, a number, a "
    "range a-b or a list a,b, each optionally /step, e.g. '0 2 * * *'; or one of @yearly, @annually, @monthly, "
    "@weekly, @daily, @midnight, @hourly"
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0 2 * * *", "0 2 * * *"),
        (" 0  2 * * * ", "0 2 * * *"),
        ("*/15 * * * *", "*/15 * * * *"),
        ("5/10 * * * *", "5/10 * * * *"),
        ("0 2 * * MON-fri", "0 2 * * MON-fri"),
        ("0 0 1 jan,jul ?", "0 0 1 jan,jul ?"),
        ("0 0 * * 7", "0 0 * * 7"),
        ("1-5/2 0-23 1-31 1-12 0-6", "1-5/2 0-23 1-31 1-12 0-6"),
        ("*/1 5-5 * * *", "*/1 5-5 * * *"),  # a step of one, a range of one value
        ("*/59 */23 */30 */11 */7", "*/59 */23 */30 */11 */7"),  # each field's longest step
        ("@daily", "@daily"),
    ],
)
def test_should_accept_what_the_cronjob_controller_accepts(raw: str, expected: str) -> None:
    assert cron_schedule(raw) == expected


@pytest.mark.parametrize(
    "raw",
    ["", "0 2 * *", "0 2 * * * *", "60 * * * *", "0 24 * * *", "0 0 0 * *", "0 0 32 * *", "0 0 * 13 *",
     "0 0 * * 8", "0 0 31-1 * *", "*/0 * * * *", "0 0 * * mon-sun-tue", "0 0 * * monday", "@every 5m", "daily",
     "-1 * * * *", "0,,5 * * * *", "TZ=UTC 0 2 * * *"],
)  # fmt: skip
def test_should_refuse_what_is_not_a_cron_schedule(raw: str) -> None:
    with pytest.raises(ValueError, match=r"^must be a cron schedule") as caught:
        cron_schedule(raw)
    assert str(caught.value) == CRON_RULE


@pytest.mark.parametrize(
    ("raw", "item", "field_range"),
    [("*/60 * * * *", "*/60", "0-59"), ("0 5-20/24 * * *", "5-20/24", "0-23"), ("0 0 */31 * *", "*/31", "1-31"),
     ("0 0 1 */12 *", "*/12", "1-12"), ("0 0 * * 1/8", "1/8", "0-7"), ("0,*/90 * * * *", "*/90", "0-59")],
)  # fmt: skip
def test_should_refuse_a_step_past_its_fields_range_which_the_controller_takes_but_runs_once(
    raw: str, item: str, field_range: str
) -> None:
    with pytest.raises(ValueError, match="steps past its field") as caught:
        cron_schedule(raw)
    assert str(caught.value) == (
        f"must be a cron schedule in UTC: '{item}' steps past its field's range {field_range}, so it matches one value "
        "only; write that value, or a step that fits"
    )


@pytest.mark.parametrize(
    ("values", "problem"),
    [
        ({"databaseBackup": "yes"}, "airflow:databaseBackup = 'yes': must be one of auto, on, off"),
        ({"databaseBackupSchedule": "every night"}, f"airflow:databaseBackupSchedule = 'every night': {CRON_RULE}"),
        ({"databaseBackupKeep": "0"}, "airflow:databaseBackupKeep = '0': must be a whole number from 1 to 1000"),
        ({"databaseBackupKeep": "-3"}, "airflow:databaseBackupKeep = '-3': must be a whole number from 1 to 1000"),
        ({"databaseBackupKeep": "1001"}, "airflow:databaseBackupKeep = '1001': must be a whole number from 1 to 1000"),
        (
            {"databaseBackupStorageSize": "8GB"},
            "airflow:databaseBackupStorageSize = '8GB': must be a positive Kubernetes quantity such as 512Mi or 2Gi "
            "(did you mean '8Gi'?)",
        ),
        (
            {"databaseBackupStorageClass": "Fast_SSD"},
            "airflow:databaseBackupStorageClass = 'Fast_SSD': must be empty or a DNS-1123 subdomain (lower-case "
            "letters, digits, '-' and '.')",
        ),
        (
            {"databaseBackupMemoryRequest": "2Gi"},
            "airflow:databaseBackupMemoryRequest = '2Gi': must not exceed airflow:databaseBackupMemoryLimit ('1Gi')",
        ),
    ],
)
def test_should_refuse_bad_backup_settings_naming_key_value_and_rule(values: dict[str, str], problem: str) -> None:
    assert settings_problems(config_of(**values)) == [problem]


def test_should_commit_a_restore_only_once_pg_restore_has_streamed_all_of_the_dump() -> None:
    """psql --single-transaction would commit whatever it had read when pg_restore failed midway: the stream itself
    opens the transaction and sends COMMIT only after pg_restore succeeded (set -e in the group)."""
    assert "--single-transaction" not in RESTORE_SCRIPT
    assert (
        "{\n"
        "  echo 'BEGIN; DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;'\n"
        '  pg_restore --no-owner --no-privileges --file=- "$dump"\n'
        "  echo 'COMMIT;'\n"
        '} | psql --no-psqlrc --quiet --set=ON_ERROR_STOP=1 --dbname="service=$PGSERVICE_NAME" >/dev/null\n'
    ) in RESTORE_SCRIPT


def test_should_read_every_dump_back_whole_and_hold_the_volume_alone() -> None:
    assert 'pg_restore --file=/dev/null "$partial"\n' in BACKUP_SCRIPT
    assert 'if ! pg_restore --file=/dev/null "$dump"; then\n' in RESTORE_SCRIPT
    for script in (BACKUP_SCRIPT, RESTORE_SCRIPT):
        assert 'exec 9>"$BACKUP_DIR/.lock"\nif ! flock --nonblock 9; then\n' in script


@pytest.mark.parametrize(
    ("values", "problem"),
    [
        (
            {"databaseBackup": "on"},
            "airflow:externalDatabaseUrl = (secret): its sslrootcert names a file that the pods of the backups "
            "(airflow:databaseBackup) do not have: remove it (sslmode=require still encrypts), or turn those off",
        ),
        (
            {"pgbouncerEnabled": "true"},
            "airflow:externalDatabaseUrl = (secret): its sslrootcert names a file that the pods of PgBouncer "
            "(airflow:pgbouncerEnabled) do not have: remove it (sslmode=require still encrypts), or turn those off",
        ),
    ],
)
def test_should_refuse_url_parameters_naming_files_the_other_clients_do_not_have(
    values: dict[str, str], problem: str
) -> None:
    url = "postgresql://a:b@db.acme-corp.io/airflow?sslmode=verify-full&sslrootcert=/opt/airflow/ca.pem"
    config = {**config_of(**values), "airflow:externalDatabaseUrl": url}
    assert settings_problems(config, ["airflow:externalDatabaseUrl"]) == [problem]


def test_should_refuse_startup_options_through_pgbouncer_but_give_them_to_the_backups(run: Run) -> None:
    url = "postgresql://a:b@db.acme-corp.io/airflow?options=-csearch_path%3Dairflow"
    config = {**config_of(pgbouncerEnabled="true"), "airflow:externalDatabaseUrl": url}
    assert settings_problems(config, ["airflow:externalDatabaseUrl"]) == [
        "airflow:externalDatabaseUrl = (secret): its options (startup parameters such as search_path) cannot pass "
        "through PgBouncer's transaction pooling: set them on the database role (ALTER ROLE ... SET), or turn "
        "airflow:pgbouncerEnabled off"
    ]
    capture = run(databaseBackup="on", secrets={"externalDatabaseUrl": url})
    service = reveal(capture.one("kubernetes:core/v1:Secret", "database-backup-credentials").inputs["stringData"])
    assert service["pg_service.conf"].endswith("options=-csearch_path=airflow\n")


CPU_RULE = "must be a positive Kubernetes CPU quantity such as 250m, 0.5 or 2"
MEMORY_RULE = "must be a positive Kubernetes quantity such as 512Mi or 2Gi"


@pytest.mark.parametrize(
    ("key", "value", "rule"),
    [
        (f"{prefix}{kind}{bound}", value, rule)
        for prefix in ("databaseBackup", "metadataCleanup", "pgbouncer")
        for kind, value, rule in (("Cpu", "1 core", CPU_RULE), ("Memory", "lots", MEMORY_RULE))
        for bound in ("Request", "Limit")
    ],
)
def test_should_refuse_resources_of_the_jobs_and_the_pool_that_are_not_quantities(key: str, value: str, rule: str) -> None:
    assert settings_problems(config_of(**{key: value})) == [f"airflow:{key} = {value!r}: {rule}"]


@pytest.mark.parametrize("value", ["0", "1001", "sixteen"])
def test_should_refuse_a_worker_concurrency_out_of_range(value: str) -> None:
    assert settings_problems(config_of(workerConcurrency=value)) == [
        f"airflow:workerConcurrency = {value!r}: must be a whole number from 1 to 1000"
    ]
