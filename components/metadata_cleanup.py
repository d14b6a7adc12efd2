"""MetadataCleanup: a CronJob that runs `airflow db clean`, so the metadata database does not grow forever.

Owns the `airflow-metadata-cleanup` CronJob and its ServiceAccount. It takes the Airflow processes' environment from
AirflowCore (the same database, the same settings) and runs the same image with the same hardening; it does not own
the database or any Airflow process.

Rows older than `metadataCleanupRetentionDays` go from every table `airflow db clean` knows (DAG runs, task instances,
their XComs and rendered fields, the event log, jobs, ...), Airflow keeping the newest run of each DAG. Archive tables
are not kept (`--skip-archive`): they would hold the same rows in the same database, so the database would still grow;
the history lives on in the backups (DatabaseBackup) for as long as they are kept.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components import kube
from components.airflow import AIRFLOW_GID, AIRFLOW_UID, LOGS_PATH, MIGRATION_WAIT_SECONDS, RUNTIME_DIR
from components.settings import MetadataCleanupSettings

COMPONENT = "metadata-cleanup"
OBJECT_NAME = "airflow-metadata-cleanup"
# A clean-up of a year of a busy deployment's rows takes minutes; one that hangs on a lock ends and fails visibly.
DEADLINE_SECONDS = 4 * 3600

# Waits for the schema first, as every Airflow pod does: during an upgrade the clean-up would meet tables the
# migration is changing. The cut-off is computed when the Job runs, not when it was rendered.
CLEANUP_SCRIPT = f"""set -euo pipefail
airflow db check-migrations --migration-wait-timeout={MIGRATION_WAIT_SECONDS}
before=$(date -u -d "-$RETENTION_DAYS days" +%Y-%m-%dT%H:%M:%S+00:00)
echo "metadata-cleanup: deleting metadata older than $before ($RETENTION_DAYS days)"
exec airflow db clean --clean-before-timestamp "$before" --skip-archive --yes
"""


@dataclass(frozen=True)
class MetadataCleanupArgs:
    """Inputs of the clean-up."""

    namespace: pulumi.Input[str]
    """Namespace of the CronJob."""
    settings: MetadataCleanupSettings
    """Schedule, retention and resources."""
    image: str
    """The Airflow image (its `airflow` CLI matches the schema)."""
    image_pull_policy: str
    """Pull policy of the container."""
    airflow_env: list[k8s.core.v1.EnvVarArgs]
    """The environment every Airflow process gets (AirflowCore.process_env): database URL, settings."""
    airflow_env_from: list[k8s.core.v1.EnvFromSourceArgs]
    """The environment sources every Airflow process gets (AirflowCore.process_env_from)."""


class MetadataCleanup(pulumi.ComponentResource):
    """The periodic deletion of old Airflow metadata."""

    component: str
    """The component label of its pods (for the NetworkPolicies)."""

    def __init__(self, name: str, args: MetadataCleanupArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("airflow:index:MetadataCleanup", name, None, opts)
        settings = args.settings
        service_account = kube.service_account(f"{name}-sa", OBJECT_NAME, args.namespace, COMPONENT, self)
        writable = [
            kube.writable_dir("runtime", RUNTIME_DIR),
            kube.writable_dir("tmp", "/tmp"),
            kube.writable_dir("logs", LOGS_PATH),
        ]
        container = k8s.core.v1.ContainerArgs(
            name="clean",
            image=args.image,
            image_pull_policy=args.image_pull_policy,
            args=["bash", "-c", CLEANUP_SCRIPT],
            env=[
                *args.airflow_env,
                k8s.core.v1.EnvVarArgs(name="RETENTION_DAYS", value=str(settings.retention_days)),
            ],
            env_from=args.airflow_env_from or None,
            security_context=kube.container_security(AIRFLOW_UID, AIRFLOW_GID),
            resources=kube.resource_requirements(settings.resources),
            volume_mounts=[mount for _, mount in writable],
        )
        k8s.batch.v1.CronJob(
            f"{name}-cron-job",
            metadata=kube.object_meta(
                OBJECT_NAME,
                args.namespace,
                COMPONENT,
                annotations=kube.checkov_skips(*kube.WORKLOAD_SKIPS),
            ),
            spec=kube.cron_job_spec(
                settings.schedule,
                k8s.batch.v1.JobSpecArgs(
                    backoff_limit=1,
                    active_deadline_seconds=DEADLINE_SECONDS,
                    template=k8s.core.v1.PodTemplateSpecArgs(
                        metadata=k8s.meta.v1.ObjectMetaArgs(labels=kube.labels(COMPONENT)),
                        spec=k8s.core.v1.PodSpecArgs(
                            service_account_name=service_account.metadata.name,
                            automount_service_account_token=False,
                            enable_service_links=False,
                            restart_policy="Never",
                            security_context=kube.pod_security(AIRFLOW_UID, AIRFLOW_GID),
                            containers=[container],
                            volumes=[volume for volume, _ in writable],
                        ),
                    ),
                ),
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.component = COMPONENT
        self.register_outputs({})
