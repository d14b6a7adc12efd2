"""MetadataCleanup: the `airflow db clean` CronJob, checked whole against a literal.

The script runs against a real PostgreSQL with old and new rows in the smoke tier (smoke/test_data.py).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.metadata_cleanup import CLEANUP_SCRIPT
from tests.conftest import Run, config_of, settings_problems
from tools.harness import Capture

LABELS = {
    "app.kubernetes.io/component": "metadata-cleanup",
    "app.kubernetes.io/managed-by": "pulumi",
    "app.kubernetes.io/name": "airflow",
    "app.kubernetes.io/part-of": "airflow",
}


def from_secret(name: str, key: str) -> dict[str, Any]:
    return {"name": name, "valueFrom": {"secretKeyRef": {"key": key, "name": "airflow-secrets"}}}


def cleanup_spec(schedule: str, retention_days: str, env_from: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    env = [
        {"name": "AIRFLOW__CORE__EXECUTOR", "value": "CeleryExecutor"},
        {"name": "AIRFLOW__CORE__LOAD_EXAMPLES", "value": "False"},
        {"name": "AIRFLOW__CORE__AUTH_MANAGER", "value": "airflow.providers.fab.auth_manager.fab_auth_manager.FabAuthManager"},
        {"name": "AIRFLOW_CONFIG", "value": "/opt/airflow/runtime/airflow.cfg"},
        {"name": "AIRFLOW__FAB__CONFIG_FILE", "value": "/opt/airflow/runtime/webserver_config.py"},
        {"name": "AIRFLOW__CORE__DAGS_FOLDER", "value": "/opt/airflow/dags"},
        {"name": "AIRFLOW__CORE__EXECUTION_API_SERVER_URL", "value": "http://airflow-webserver.airflow.svc:8080/execution/"},
        from_secret("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "sql-alchemy-conn"),
        from_secret("AIRFLOW__CELERY__BROKER_URL", "broker-url"),
        from_secret("AIRFLOW__CORE__FERNET_KEY", "fernet-key"),
        from_secret("AIRFLOW__API__SECRET_KEY", "api-secret-key"),
        from_secret("AIRFLOW__API_AUTH__JWT_SECRET", "jwt-secret"),
        {"name": "RETENTION_DAYS", "value": retention_days},
    ]
    container = {
        "args": ["bash", "-c", CLEANUP_SCRIPT],
        "env": env,
        **({"envFrom": env_from} if env_from else {}),
        "image": "apache/airflow:3.3.2",
        "imagePullPolicy": "IfNotPresent",
        "name": "clean",
        "resources": {"limits": {"cpu": "1", "memory": "1Gi"}, "requests": {"cpu": "100m", "memory": "512Mi"}},
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
            "privileged": False,
            "readOnlyRootFilesystem": True,
            "runAsGroup": 0,
            "runAsNonRoot": True,
            "runAsUser": 50000,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "volumeMounts": [
            {"mountPath": "/opt/airflow/runtime", "name": "runtime"},
            {"mountPath": "/tmp", "name": "tmp"},
            {"mountPath": "/opt/airflow/logs", "name": "logs"},
        ],
    }
    pod = {
        "automountServiceAccountToken": False,
        "containers": [container],
        "enableServiceLinks": False,
        "restartPolicy": "Never",
        "securityContext": {
            "runAsGroup": 0,
            "runAsNonRoot": True,
            "runAsUser": 50000,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "serviceAccountName": "airflow-metadata-cleanup",
        "volumes": [
            {"emptyDir": {"sizeLimit": "256Mi"}, "name": "runtime"},
            {"emptyDir": {"sizeLimit": "256Mi"}, "name": "tmp"},
            {"emptyDir": {"sizeLimit": "256Mi"}, "name": "logs"},
        ],
    }
    return {
        "concurrencyPolicy": "Forbid",
        "failedJobsHistoryLimit": 3,
        "jobTemplate": {
            "spec": {
                "activeDeadlineSeconds": 14400,
                "backoffLimit": 1,
                "template": {"metadata": {"labels": LABELS}, "spec": pod},
            }
        },
        "schedule": schedule,
        "startingDeadlineSeconds": 3600,
        "successfulJobsHistoryLimit": 3,
        "suspend": False,
        "timeZone": "Etc/UTC",
    }


def test_should_clean_metadata_older_than_90_days_weekly_by_default(default_run: Capture) -> None:
    assert default_run.object("CronJob", "airflow-metadata-cleanup")["spec"] == cleanup_spec("0 3 * * 0", "90")


def test_should_take_the_schedule_and_retention_from_config(run: Run) -> None:
    capture = run(metadataCleanupSchedule="@daily", metadataCleanupRetentionDays=30)
    assert capture.object("CronJob", "airflow-metadata-cleanup")["spec"] == cleanup_spec("@daily", "30")


def test_should_give_the_cleanup_the_secrets_and_config_maps_every_airflow_process_reads(run: Run) -> None:
    """extraEnvFrom may carry settings `airflow db clean` needs as much as any process (a secrets backend's, say): the
    clean-up runs with the environment of the processes whose rows it deletes."""
    capture = run(extraEnvFrom=json.dumps(["secret/airflow-extra", "configmap/airflow-settings"]))
    env_from = [{"secretRef": {"name": "airflow-extra"}}, {"configMapRef": {"name": "airflow-settings"}}]
    assert capture.object("CronJob", "airflow-metadata-cleanup")["spec"] == cleanup_spec("0 3 * * 0", "90", env_from)


def test_should_give_the_cronjob_exactly_this_metadata(default_run: Capture) -> None:
    """Checkov reads its skips, reasons included, from these annotations only."""
    assert default_run.object("CronJob", "airflow-metadata-cleanup")["metadata"] == {
        "name": "airflow-metadata-cleanup",
        "namespace": "airflow",
        "labels": LABELS,
        "annotations": {
            "checkov.io/skip1": "CKV_K8S_43=images are pinned to release tags set in the stack config, reviewed in "
            "every preview; a digest would go stale at each rebuild of the same release",
            "checkov.io/skip2": "CKV_K8S_15=imagePullPolicy is a stack setting: IfNotPresent by default since tags are "
            "pinned (no registry round trip per pod start); set Always where nodes are shared with untrusted workloads",
            "checkov.io/skip3": "CKV_K8S_35=the process reads these credentials from its environment (Airflow's "
            "AIRFLOW__* settings, the database and broker images); they come from a Secret by secretKeyRef and are "
            "never written in the pod spec",
        },
    }


def test_should_skip_the_archive_tables_and_compute_the_cutoff_when_it_runs() -> None:
    assert CLEANUP_SCRIPT.splitlines()[-2:] == [
        'echo "metadata-cleanup: deleting metadata older than $before ($RETENTION_DAYS days)"',
        'exec airflow db clean --clean-before-timestamp "$before" --skip-archive --yes',
    ]
    assert 'before=$(date -u -d "-$RETENTION_DAYS days" +%Y-%m-%dT%H:%M:%S+00:00)' in CLEANUP_SCRIPT.splitlines()


def test_should_not_clean_when_off(run: Run) -> None:
    names = {r.plain_inputs["metadata"]["name"] for r in run(metadataCleanup=False).kubernetes_objects()}
    assert {"airflow-metadata-cleanup"} & names == set()


@pytest.mark.parametrize(
    ("values", "problem"),
    [
        ({"metadataCleanup": "weekly"}, "airflow:metadataCleanup = 'weekly': must be true or false"),
        (
            {"metadataCleanupRetentionDays": "0"},
            "airflow:metadataCleanupRetentionDays = '0': must be a whole number from 1 to 36500",
        ),
        (
            {"metadataCleanupRetentionDays": "-90"},
            "airflow:metadataCleanupRetentionDays = '-90': must be a whole number from 1 to 36500",
        ),
        (
            {"metadataCleanupSchedule": "0 3 * * sunday"},
            "airflow:metadataCleanupSchedule = '0 3 * * sunday': must be a cron schedule in UTC",
        ),
        (
            {"metadataCleanupCpuRequest": "2"},
            "airflow:metadataCleanupCpuRequest = '2': must not exceed airflow:metadataCleanupCpuLimit ('1')",
        ),
    ],
)
def test_should_refuse_bad_cleanup_settings_naming_key_value_and_rule(values: dict[str, str], problem: str) -> None:
    (found,) = settings_problems(config_of(**values))
    assert found.startswith(problem), found
