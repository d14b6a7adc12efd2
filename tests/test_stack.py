"""The stack as a whole: test-only switches and how components are wired."""

from __future__ import annotations

import copy
import re
from typing import Any

from tests.conftest import Run
from tools.harness import Capture, run_program, stack_config

SKIP_AWAIT = "pulumi.com/skipAwait"


def test_should_mark_every_kubernetes_object_skip_await_when_asked(run: Run) -> None:
    objects = run(skipAwait=True).kubernetes_objects()
    assert objects
    for registration in objects:
        annotations = registration.plain_inputs["metadata"].get("annotations") or {}
        assert annotations.get(SKIP_AWAIT) == "true", registration.name


def test_should_change_nothing_but_the_objects_skip_await_annotation_when_asked(run: Run, default_run: Capture) -> None:
    """The Helm releases await their charts themselves and a lookup creates nothing: both stay as they are, and each
    object keeps its own annotations (the checkov skips, the claims' skipAwait) beside the new one."""

    def registered(capture: Capture, annotate: bool) -> dict[str, tuple[str, str, str, Any]]:
        found = {}
        for registration in capture.registrations:
            inputs = copy.deepcopy(registration.inputs)
            if annotate and registration in capture.kubernetes_objects():
                inputs["metadata"]["annotations"] = {**inputs["metadata"].get("annotations", {}), SKIP_AWAIT: "true"}
            found[registration.urn] = (registration.type, registration.parent, registration.lookup_id, inputs)
        return found

    skipping = run(skipAwait=True)
    assert {r.type for r in skipping.registrations if not r.is_kubernetes_object or r.lookup_id} >= {
        "kubernetes:helm.sh/v3:Release",
        "kubernetes:core/v1:Service",  # the ingress controller's Service, looked up for its address
        "random:index/randomPassword:RandomPassword",
    }
    assert registered(skipping, annotate=False) == registered(default_run, annotate=True)


def test_should_wait_for_readiness_by_default(default_run: Capture) -> None:
    waiting = [
        r.name
        for r in default_run.kubernetes_objects()
        if (r.plain_inputs["metadata"].get("annotations") or {}).get(SKIP_AWAIT) != "true"
    ]
    # Only the database's and the backups' claims skip their wait: each binds after its pod is scheduled
    # (WaitForFirstConsumer), and the backups' pod first runs at the next schedule.
    assert "airflow-api-server" in waiting
    # A set: the order in which resources register follows the event loop, which mutmut's wrapped functions change.
    skipping = {r.name for r in default_run.kubernetes_objects() if r.name not in waiting}
    assert skipping == {"postgres-data", "database-backup-volume"}


def test_should_register_in_a_preview_every_resource_an_update_creates() -> None:
    """No resource may hide inside an `.apply`: the pull-request preview must list every object the update makes."""
    config, secret_keys = stack_config("staging")

    def resources(preview: bool) -> set[tuple[str, str]]:
        capture = run_program(config, secret_keys, stack="staging", preview=preview)
        return {(r.type, r.name) for r in capture.registrations}

    previewed, updated = resources(preview=True), resources(preview=False)
    assert len(updated) > 50
    assert previewed == updated, {"only in update": updated - previewed, "only in preview": previewed - updated}


# Every resource of the default stack: name -> (type, parent's name). A renamed or re-parented resource gets a new URN,
# and `pulumi up` replaces it: deletes a Secret or a claim and creates another.
RESOURCE_TREE = {
    "namespace": ("kubernetes:core/v1:Namespace", None),
    "secrets": ("airflow:index:AirflowSecrets", None),
    "overrides": ("airflow:index:AirflowOverrides", None),
    "postgres": ("airflow:index:Postgres", None),
    "redis": ("airflow:index:Redis", None),
    "worker-logs": ("airflow:index:WorkerLogs", None),
    "ingress-controller": ("airflow:index:IngressController", None),
    "tls": ("airflow:index:TlsIssuer", None),
    "airflow": ("airflow:index:AirflowCore", None),
    "database-backup": ("airflow:index:DatabaseBackup", None),
    "disruption-budgets": ("airflow:index:DisruptionBudgets", None),
    "ui": ("airflow:index:AirflowIngress", None),
    "network-policies": ("airflow:index:NetworkPolicies", None),
    "metadata-cleanup": ("airflow:index:MetadataCleanup", None),
    "secrets-fernet-key": ("random:index/randomBytes:RandomBytes", "secrets"),
    "secrets-api-secret-key": ("random:index/randomPassword:RandomPassword", "secrets"),
    "secrets-jwt-secret": ("random:index/randomPassword:RandomPassword", "secrets"),
    "secrets-postgres-password": ("random:index/randomPassword:RandomPassword", "secrets"),
    "secrets-redis-password": ("random:index/randomPassword:RandomPassword", "secrets"),
    "secrets-admin-password": ("random:index/randomPassword:RandomPassword", "secrets"),
    "ingress-controller-namespace": ("kubernetes:core/v1:Namespace", "ingress-controller"),
    "tls-namespace": ("kubernetes:core/v1:Namespace", "tls"),
    "postgres-data": ("kubernetes:core/v1:PersistentVolumeClaim", "postgres"),
    "postgres-service": ("kubernetes:core/v1:Service", "postgres"),
    "postgres-sa": ("kubernetes:core/v1:ServiceAccount", "postgres"),
    "redis-service": ("kubernetes:core/v1:Service", "redis"),
    "redis-sa": ("kubernetes:core/v1:ServiceAccount", "redis"),
    "worker-logs-service": ("kubernetes:core/v1:Service", "worker-logs"),
    "airflow-api-server-service": ("kubernetes:core/v1:Service", "airflow"),
    "airflow-migrations-sa": ("kubernetes:core/v1:ServiceAccount", "airflow"),
    "airflow-api-server-sa": ("kubernetes:core/v1:ServiceAccount", "airflow"),
    "airflow-scheduler-sa": ("kubernetes:core/v1:ServiceAccount", "airflow"),
    "airflow-dag-processor-sa": ("kubernetes:core/v1:ServiceAccount", "airflow"),
    "airflow-triggerer-sa": ("kubernetes:core/v1:ServiceAccount", "airflow"),
    "airflow-worker-sa": ("kubernetes:core/v1:ServiceAccount", "airflow"),
    "database-backup-volume": ("kubernetes:core/v1:PersistentVolumeClaim", "database-backup"),
    "database-backup-sa": ("kubernetes:core/v1:ServiceAccount", "database-backup"),
    "metadata-cleanup-sa": ("kubernetes:core/v1:ServiceAccount", "metadata-cleanup"),
    "disruption-budgets-api-server": ("kubernetes:policy/v1:PodDisruptionBudget", "disruption-budgets"),
    "disruption-budgets-postgresql": ("kubernetes:policy/v1:PodDisruptionBudget", "disruption-budgets"),
    "disruption-budgets-redis": ("kubernetes:policy/v1:PodDisruptionBudget", "disruption-budgets"),
    "disruption-budgets-scheduler": ("kubernetes:policy/v1:PodDisruptionBudget", "disruption-budgets"),
    "disruption-budgets-triggerer": ("kubernetes:policy/v1:PodDisruptionBudget", "disruption-budgets"),
    "disruption-budgets-worker": ("kubernetes:policy/v1:PodDisruptionBudget", "disruption-budgets"),
    "network-policies-default-deny": ("kubernetes:networking.k8s.io/v1:NetworkPolicy", "network-policies"),
    "network-policies-dns": ("kubernetes:networking.k8s.io/v1:NetworkPolicy", "network-policies"),
    "network-policies-dag-processor": ("kubernetes:networking.k8s.io/v1:NetworkPolicy", "network-policies"),
    "network-policies-metadata-cleanup": ("kubernetes:networking.k8s.io/v1:NetworkPolicy", "network-policies"),
    "network-policies-migrations": ("kubernetes:networking.k8s.io/v1:NetworkPolicy", "network-policies"),
    "network-policies-postgresql": ("kubernetes:networking.k8s.io/v1:NetworkPolicy", "network-policies"),
    "network-policies-redis": ("kubernetes:networking.k8s.io/v1:NetworkPolicy", "network-policies"),
    "network-policies-scheduler": ("kubernetes:networking.k8s.io/v1:NetworkPolicy", "network-policies"),
    "network-policies-triggerer": ("kubernetes:networking.k8s.io/v1:NetworkPolicy", "network-policies"),
    "network-policies-worker": ("kubernetes:networking.k8s.io/v1:NetworkPolicy", "network-policies"),
    "disruption-budgets-dag-processor": ("kubernetes:policy/v1:PodDisruptionBudget", "disruption-budgets"),
    "network-policies-database-backup": ("kubernetes:networking.k8s.io/v1:NetworkPolicy", "network-policies"),
    "ingress-controller-release": ("kubernetes:helm.sh/v3:Release", "ingress-controller"),
    "network-policies-api-server": ("kubernetes:networking.k8s.io/v1:NetworkPolicy", "network-policies"),
    "tls-release": ("kubernetes:helm.sh/v3:Release", "tls"),
    "postgres-credentials": ("kubernetes:core/v1:Secret", "postgres"),
    "redis-credentials": ("kubernetes:core/v1:Secret", "redis"),
    "airflow-secrets": ("kubernetes:core/v1:Secret", "airflow"),
    "database-backup-credentials": ("kubernetes:core/v1:Secret", "database-backup"),
    "tls-bootstrap-issuer": ("kubernetes:cert-manager.io/v1:ClusterIssuer", "tls"),
    "ingress-controller-service": ("kubernetes:core/v1:Service", "ingress-controller"),
    "redis-deployment": ("kubernetes:apps/v1:Deployment", "redis"),
    "postgres-statefulset": ("kubernetes:apps/v1:StatefulSet", "postgres"),
    "airflow-scheduler": ("kubernetes:apps/v1:Deployment", "airflow"),
    "airflow-triggerer": ("kubernetes:apps/v1:Deployment", "airflow"),
    "airflow-db-migrate": ("kubernetes:batch/v1:Job", "airflow"),
    "database-backup-backup": ("kubernetes:batch/v1:CronJob", "database-backup"),
    "database-backup-restore": ("kubernetes:batch/v1:CronJob", "database-backup"),
    "airflow-dag-processor": ("kubernetes:apps/v1:Deployment", "airflow"),
    "tls-ca-certificate": ("kubernetes:cert-manager.io/v1:Certificate", "tls"),
    "airflow-api-server": ("kubernetes:apps/v1:Deployment", "airflow"),
    "metadata-cleanup-cron-job": ("kubernetes:batch/v1:CronJob", "metadata-cleanup"),
    "airflow-worker": ("kubernetes:apps/v1:StatefulSet", "airflow"),
    "tls-issuer": ("kubernetes:cert-manager.io/v1:ClusterIssuer", "tls"),
    "ui-ingress": ("kubernetes:networking.k8s.io/v1:Ingress", "ui"),
}


def test_should_register_exactly_this_resource_tree(default_run: Capture) -> None:
    by_urn = {r.urn: r.name for r in default_run.registrations}
    assert {r.name: (r.type, by_urn.get(r.parent)) for r in default_run.registrations} == RESOURCE_TREE


# Every Kubernetes object of the default stack: resource name -> (kind, object name, namespace, component label).
# The migration Job's name ends with hashes of the image and the secrets (tests/test_airflow.py checks those).
OBJECTS = {
    "namespace": ("Namespace", "airflow", None, "namespace"),
    "ingress-controller-namespace": ("Namespace", "ingress", None, "ingress-controller"),
    "tls-namespace": ("Namespace", "cert-manager", None, "cert-manager"),
    "postgres-data": ("PersistentVolumeClaim", "airflow-postgresql-data", "airflow", "postgresql"),
    "postgres-service": ("Service", "airflow-postgresql", "airflow", "postgresql"),
    "postgres-sa": ("ServiceAccount", "airflow-postgresql", "airflow", "postgresql"),
    "redis-service": ("Service", "airflow-redis", "airflow", "redis"),
    "redis-sa": ("ServiceAccount", "airflow-redis", "airflow", "redis"),
    "worker-logs-service": ("Service", "airflow-worker", "airflow", "worker"),
    "airflow-api-server-service": ("Service", "airflow-webserver", "airflow", "api-server"),
    "airflow-migrations-sa": ("ServiceAccount", "airflow-migrations", "airflow", "migrations"),
    "airflow-api-server-sa": ("ServiceAccount", "airflow-api-server", "airflow", "api-server"),
    "airflow-scheduler-sa": ("ServiceAccount", "airflow-scheduler", "airflow", "scheduler"),
    "airflow-dag-processor-sa": ("ServiceAccount", "airflow-dag-processor", "airflow", "dag-processor"),
    "airflow-triggerer-sa": ("ServiceAccount", "airflow-triggerer", "airflow", "triggerer"),
    "airflow-worker-sa": ("ServiceAccount", "airflow-worker", "airflow", "worker"),
    "database-backup-volume": ("PersistentVolumeClaim", "airflow-database-backups", "airflow", "database-backup"),
    "database-backup-sa": ("ServiceAccount", "airflow-database-backup", "airflow", "database-backup"),
    "metadata-cleanup-sa": ("ServiceAccount", "airflow-metadata-cleanup", "airflow", "metadata-cleanup"),
    "disruption-budgets-api-server": ("PodDisruptionBudget", "airflow-api-server", "airflow", "disruption-budget"),
    "disruption-budgets-postgresql": ("PodDisruptionBudget", "airflow-postgresql", "airflow", "disruption-budget"),
    "disruption-budgets-redis": ("PodDisruptionBudget", "airflow-redis", "airflow", "disruption-budget"),
    "disruption-budgets-scheduler": ("PodDisruptionBudget", "airflow-scheduler", "airflow", "disruption-budget"),
    "disruption-budgets-triggerer": ("PodDisruptionBudget", "airflow-triggerer", "airflow", "disruption-budget"),
    "disruption-budgets-worker": ("PodDisruptionBudget", "airflow-worker", "airflow", "disruption-budget"),
    "network-policies-default-deny": ("NetworkPolicy", "airflow-default-deny", "airflow", "network-policy"),
    "network-policies-dns": ("NetworkPolicy", "airflow-dns", "airflow", "network-policy"),
    "network-policies-dag-processor": ("NetworkPolicy", "airflow-dag-processor", "airflow", "network-policy"),
    "network-policies-metadata-cleanup": ("NetworkPolicy", "airflow-metadata-cleanup", "airflow", "network-policy"),
    "network-policies-migrations": ("NetworkPolicy", "airflow-migrations", "airflow", "network-policy"),
    "network-policies-postgresql": ("NetworkPolicy", "airflow-postgresql", "airflow", "network-policy"),
    "network-policies-redis": ("NetworkPolicy", "airflow-redis", "airflow", "network-policy"),
    "network-policies-scheduler": ("NetworkPolicy", "airflow-scheduler", "airflow", "network-policy"),
    "network-policies-triggerer": ("NetworkPolicy", "airflow-triggerer", "airflow", "network-policy"),
    "network-policies-worker": ("NetworkPolicy", "airflow-worker", "airflow", "network-policy"),
    "disruption-budgets-dag-processor": ("PodDisruptionBudget", "airflow-dag-processor", "airflow", "disruption-budget"),
    "network-policies-database-backup": ("NetworkPolicy", "airflow-database-backup", "airflow", "network-policy"),
    "network-policies-api-server": ("NetworkPolicy", "airflow-api-server", "airflow", "network-policy"),
    "postgres-credentials": ("Secret", "airflow-postgresql", "airflow", "postgresql"),
    "redis-credentials": ("Secret", "airflow-redis", "airflow", "redis"),
    "airflow-secrets": ("Secret", "airflow-secrets", "airflow", "airflow"),
    "database-backup-credentials": ("Secret", "airflow-database-backup", "airflow", "database-backup"),
    "tls-bootstrap-issuer": ("ClusterIssuer", "airflow-self-signed-bootstrap", None, "tls"),
    "redis-deployment": ("Deployment", "airflow-redis", "airflow", "redis"),
    "postgres-statefulset": ("StatefulSet", "airflow-postgresql", "airflow", "postgresql"),
    "airflow-scheduler": ("Deployment", "airflow-scheduler", "airflow", "scheduler"),
    "airflow-triggerer": ("Deployment", "airflow-triggerer", "airflow", "triggerer"),
    "airflow-db-migrate": ("Job", "airflow-db-migrate", "airflow", "migrations"),
    "database-backup-backup": ("CronJob", "airflow-database-backup", "airflow", "database-backup"),
    "database-backup-restore": ("CronJob", "airflow-database-restore", "airflow", "database-backup"),
    "airflow-dag-processor": ("Deployment", "airflow-dag-processor", "airflow", "dag-processor"),
    "tls-ca-certificate": ("Certificate", "airflow-self-signed-ca", "cert-manager", "tls"),
    "airflow-api-server": ("Deployment", "airflow-api-server", "airflow", "api-server"),
    "metadata-cleanup-cron-job": ("CronJob", "airflow-metadata-cleanup", "airflow", "metadata-cleanup"),
    "airflow-worker": ("StatefulSet", "airflow-worker", "airflow", "worker"),
    "tls-issuer": ("ClusterIssuer", "airflow-self-signed", None, "tls"),
    "ui-ingress": ("Ingress", "airflow-ingress", "airflow", "ingress"),
}
COMMON_LABELS = {
    "app.kubernetes.io/part-of": "airflow",
    "app.kubernetes.io/name": "airflow",
    "app.kubernetes.io/managed-by": "pulumi",
}


def test_should_name_and_place_and_label_every_object_exactly_so(default_run: Capture) -> None:
    """Where an object lives and which component it belongs to: the NetworkPolicies, disruption budgets and Services
    select pods by that label, and an object in the wrong namespace is one nothing finds."""
    found = {}
    for r in default_run.kubernetes_objects():
        metadata = r.plain_inputs["metadata"]
        labels = {k: v for k, v in metadata["labels"].items() if not k.startswith("pod-security.kubernetes.io/")}
        component = labels.pop("app.kubernetes.io/component")
        assert labels == COMMON_LABELS, r.name
        name = re.sub(r"-[0-9a-f]{8}-[0-9a-f]{12}$", "", metadata["name"]) if r.name == "airflow-db-migrate" else metadata["name"]
        found[r.name] = (r.plain_inputs["kind"], name, metadata.get("namespace"), component)
    assert found == OBJECTS


# The CronJobs of the default stack, without their pod templates: the restore's is suspended, so it runs only when an
# operator triggers it (a scheduled restore would overwrite the database with the last dump).
CRON_JOBS = {
    "airflow-database-backup": ("0 2 * * *", False),
    "airflow-database-restore": ("0 0 31 2 *", True),
    "airflow-metadata-cleanup": ("0 3 * * 0", False),
}
CRON_JOB_POLICY = {
    "timeZone": "Etc/UTC",
    "concurrencyPolicy": "Forbid",
    "startingDeadlineSeconds": 3600,
    "successfulJobsHistoryLimit": 3,
    "failedJobsHistoryLimit": 3,
}


def test_should_schedule_exactly_these_cron_jobs_and_keep_the_restore_suspended(default_run: Capture) -> None:
    found = {}
    for r in default_run.kubernetes_objects():
        if r.plain_inputs["kind"] == "CronJob":
            spec = {k: v for k, v in r.plain_inputs["spec"].items() if k != "jobTemplate"}
            found[r.plain_inputs["metadata"]["name"]] = (spec.pop("schedule"), spec.pop("suspend"))
            assert spec == CRON_JOB_POLICY, r.name
    assert found == CRON_JOBS
