"""The whole stack's settings: every area read, validated together, frozen."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import pulumi

from components.settings.autoscaling import (
    ApiServerAutoscalingSettings,
    WorkerAutoscalingSettings,
    check_worker_range,
    min_worker_replicas,
    read_api_server_autoscaling,
    read_worker_autoscaling,
)
from components.settings.customisation import CustomisationSettings, read_customisation
from components.settings.database import (
    DatabaseBackupSettings,
    MetadataCleanupSettings,
    PgBouncerSettings,
    PostgresSettings,
    RedisSettings,
    check_database_url_for_other_clients,
    read_database_backup,
    read_metadata_cleanup,
    read_pgbouncer,
    read_postgres,
    read_redis,
)
from components.settings.edge import EdgeSettings, read_edge
from components.settings.git_sync import GitSyncSettings, read_git_sync
from components.settings.metrics import MetricsSettings, read_metrics
from components.settings.reader import ConfigReader, SettingsError
from components.settings.resources import ProcessSettings, Resources, read_process, read_resources
from components.settings.rules import (
    PULL_POLICIES,
    airflow_image_tag,
    dns_label,
    email,
    image_digest_or_empty,
    image_repository,
    integer_between,
    label_selector,
    one_of,
    parse_bool,
    username,
)
from components.settings.secrets import SecretsSettings, read_secrets
from components.settings.worker_logs import WorkerLogsSettings, read_worker_logs


@dataclass(frozen=True)
class Settings:
    """Everything the stack needs, validated. Built only by `load_settings`."""

    namespace: str
    airflow_image: str
    image_pull_policy: str
    skip_await: bool
    admin_username: str
    admin_email: str
    api_server: ProcessSettings
    """With autoscaling, `replicas` is the fewest api-servers the HPA keeps."""
    api_server_autoscaling: ApiServerAutoscalingSettings
    scheduler: ProcessSettings
    dag_processor: ProcessSettings
    triggerer: ProcessSettings
    worker: ProcessSettings
    """With autoscaling, `replicas` is the fewest workers KEDA keeps (0: scale to zero)."""
    worker_autoscaling: WorkerAutoscalingSettings
    worker_termination_grace_period: int
    """Seconds a stopping worker gets to finish its running tasks."""
    worker_safe_to_evict: bool
    """Whether a cluster autoscaler may evict a worker to remove its node."""
    disruption_budgets: bool
    dns_namespace: str
    """Namespace of the cluster's DNS pods, for the NetworkPolicies."""
    dns_pod_labels: dict[str, str]
    """Labels of the cluster's DNS pods."""
    migrations: Resources
    postgres: PostgresSettings
    redis: RedisSettings
    edge: EdgeSettings
    worker_logs: WorkerLogsSettings
    git_sync: GitSyncSettings | None
    secrets: SecretsSettings
    database_backup: DatabaseBackupSettings
    metadata_cleanup: MetadataCleanupSettings
    pgbouncer: PgBouncerSettings
    customisation: CustomisationSettings
    metrics: MetricsSettings


def read_settings(reader: ConfigReader) -> Settings:
    """Reads every key; raises SettingsError listing all problems found."""
    repository = reader.read("airflowImageRepository", image_repository)
    tag = reader.read("airflowImageTag", airflow_image_tag)
    digest = reader.read("airflowImageDigest", image_digest_or_empty)
    namespace = reader.read("namespace", dns_label)
    autoscaling = read_worker_autoscaling(reader, namespace)
    api_server = read_process(reader, "apiServer")
    edge = read_edge(reader)
    metrics = read_metrics(reader, edge.ingress_mode)
    settings = Settings(
        namespace=namespace,
        # With a digest the tag only documents the release: the node pulls exactly the digest.
        airflow_image=f"{repository}:{tag}" + (f"@{digest}" if digest else ""),
        image_pull_policy=reader.read("imagePullPolicy", one_of(*PULL_POLICIES)),
        skip_await=reader.read("skipAwait", parse_bool),
        admin_username=reader.read("adminUsername", username),
        admin_email=reader.read("adminEmail", email),
        api_server=api_server,
        api_server_autoscaling=read_api_server_autoscaling(reader, api_server.replicas),
        scheduler=read_process(reader, "scheduler"),
        dag_processor=read_process(reader, "dagProcessor"),
        triggerer=read_process(reader, "triggerer"),
        worker=read_process(reader, "worker", max_replicas=100, min_replicas=min_worker_replicas(autoscaling)),
        worker_autoscaling=autoscaling,
        worker_termination_grace_period=reader.read("workerTerminationGracePeriod", integer_between(30, 86400)),
        worker_safe_to_evict=reader.read("workerSafeToEvict", parse_bool),
        disruption_budgets=reader.read("disruptionBudgets", parse_bool),
        dns_namespace=reader.read("dnsNamespace", dns_label),
        dns_pod_labels=reader.read("dnsPodLabels", label_selector),
        migrations=read_resources(reader, "migrations"),
        postgres=read_postgres(reader),
        redis=read_redis(reader),
        edge=edge,
        worker_logs=read_worker_logs(reader),
        git_sync=read_git_sync(reader),
        secrets=read_secrets(reader),
        database_backup=read_database_backup(reader),
        metadata_cleanup=read_metadata_cleanup(reader),
        pgbouncer=read_pgbouncer(reader),
        customisation=read_customisation(reader, metrics_enabled=metrics.enabled),
        metrics=metrics,
    )
    check_worker_range(reader, autoscaling, settings.worker.replicas)
    check_database_url_for_other_clients(
        reader, settings.database_backup.enabled, settings.pgbouncer.enabled, autoscaling.enabled
    )
    reader.check_undeclared()
    if reader.problems:
        raise SettingsError(reader.problems)
    return settings


@cache
def secret_keys() -> frozenset[str]:
    """The keys the program reads as secrets (a dry read of the defaults), for the docs, the render and the tests."""
    reader = ConfigReader(raw=lambda key: None, is_secret=lambda key: False)
    read_settings(reader)
    return frozenset(reader.secret_keys)


def present_keys() -> list[str]:
    """Every key the stack sets: the SDK holds them where the language host put them (its config map, or the
    process-wide PULUMI_CONFIG of older hosts)."""
    return [*pulumi.runtime.config.CONFIG.get(), *pulumi.runtime.config.get_config_env()]


def load_settings() -> Settings:
    """The settings of the running stack (CLI, or mocks with `set_all_config`)."""
    reader = ConfigReader(
        raw=pulumi.runtime.get_config, is_secret=pulumi.runtime.is_config_secret, present=present_keys
    )
    return read_settings(reader)

