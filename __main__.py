"""Airflow 3 on Kubernetes: reads the stack's settings, builds the components, wires them through their outputs."""

from dataclasses import replace

import pulumi
import pulumi_kubernetes as k8s

from components import kube
from components.airflow import IMAGE_DAGS, WORKER_COMPONENT, AirflowCore, AirflowCoreArgs, AirflowSecretValues
from components.airflow_overrides import AirflowOverrides, AirflowOverridesArgs
from components.api_server_autoscaler import ApiServerAutoscaler, ApiServerAutoscalerArgs
from components.connection_pool import ConnectionPool, ConnectionPoolArgs
from components.database_backup import DatabaseBackup, DatabaseBackupArgs
from components.disruption_budgets import DisruptionBudgets, DisruptionBudgetsArgs
from components.git_sync import GitSync, GitSyncArgs
from components.ingress import AirflowIngress, AirflowIngressArgs, https_url, ui_host
from components.ingress_controller import IngressController, IngressControllerArgs
from components.metadata_cleanup import MetadataCleanup, MetadataCleanupArgs
from components.metrics_exporter import MetricsExporter, MetricsExporterArgs
from components.network_policies import NetworkPolicies, NetworkPoliciesArgs
from components.pod_customisation import PodCustomisation, PodCustomisationArgs
from components.postgres import Postgres, PostgresArgs
from components.redis import Redis, RedisArgs
from components.secrets import AirflowSecrets, AirflowSecretsArgs
from components.settings import SettingsError, load_settings, oversubscription
from components.settings.autoscaling import PARALLELISM_VARIABLE, parallelism_cap, stack_parallelism
from components.tls_issuer import TlsIssuer, TlsIssuerArgs
from components.worker_autoscaler import WorkerAutoscaler, WorkerAutoscalerArgs
from components.worker_logs import WorkerLogs, WorkerLogsArgs, pod_security_enforce_level

try:
    settings = load_settings()
except SettingsError as error:
    # RunError ends the program with the message alone: a config mistake is not a crash, so no traceback.
    raise pulumi.RunError(str(error)) from None

if settings.skip_await:
    pulumi.runtime.register_stack_transformation(kube.skip_await_transformation)
# Before any resource: it adds the team's pull secrets, pod metadata and identities to every pod the stack creates.
pulumi.runtime.register_stack_transformation(
    PodCustomisation(PodCustomisationArgs(settings.customisation)).transformation
)
concurrency = settings.customisation.worker_concurrency
if (too_many := oversubscription(concurrency, settings.worker)) is not None:
    pulumi.log.warn(f"airflow:workerConcurrency = {concurrency}: {too_many}; lower it or raise the worker's limits")
autoscaling = settings.worker_autoscaling
schedulers = settings.scheduler.replicas
if (idle := parallelism_cap(autoscaling, concurrency, schedulers, settings.customisation.airflow_config)) is not None:
    pulumi.log.warn(f"{idle}: lower workerMaxReplicas or raise core.parallelism in airflow:airflowConfig")

namespace = kube.namespace(
    "namespace",
    settings.namespace,
    "namespace",
    # Deleting a namespace deletes every volume in it: keep it when the database volume is to be kept.
    pulumi.ResourceOptions(retain_on_delete=settings.postgres.retain_on_destroy),
    # `baseline` only with workerLogsFixPermissions (a documented root init container).
    enforce=pod_security_enforce_level(settings.worker_logs),
)
namespace_name = namespace.metadata.name

secrets = AirflowSecrets("secrets", AirflowSecretsArgs(settings.secrets))

# The in-cluster services' component labels, for the disruption budgets.
service_components: list[str] = []
if settings.postgres.external_url is not None:
    database_url = settings.postgres.external_url
else:
    postgres = Postgres(
        "postgres",
        PostgresArgs(namespace_name, secrets.postgres_password, settings.postgres, settings.image_pull_policy),
    )
    database_url = postgres.connection_url
    service_components.append(postgres.component)

# The Airflow processes reach the database through PgBouncer when it runs; the backups always directly.
airflow_database_url = database_url
pool_port = None
if settings.pgbouncer.enabled:
    pool = ConnectionPool(
        "pgbouncer",
        ConnectionPoolArgs(
            namespace=namespace_name,
            database_url=database_url,
            settings=settings.pgbouncer,
            image_pull_policy=settings.image_pull_policy,
            digest_key=secrets.api_secret_key,
        ),
    )
    airflow_database_url = pool.connection_url
    pool_port = pool.port
    service_components.append(pool.component)

if settings.redis.external_url is not None:
    broker_url = settings.redis.external_url
else:
    redis = Redis("redis", RedisArgs(namespace_name, secrets.redis_password, settings.redis, settings.image_pull_policy))
    broker_url = redis.broker_url
    service_components.append(redis.component)

worker_logs = WorkerLogs(
    "worker-logs",
    WorkerLogsArgs(
        namespace=namespace_name,
        settings=settings.worker_logs,
        image=settings.airflow_image,
        image_pull_policy=settings.image_pull_policy,
    ),
)

# Without a repository the DAGs are the ones baked into the Airflow image.
if settings.git_sync is None:
    dags = IMAGE_DAGS
else:
    dags = GitSync("git-sync", GitSyncArgs(namespace_name, settings.git_sync, settings.image_pull_policy)).dags_source

edge = settings.edge
ingress_controller = IngressController(
    "ingress-controller",
    IngressControllerArgs(
        mode=edge.ingress_mode,
        class_name=edge.ingress_class_name,
        namespace=edge.ingress_namespace,
        service_type=edge.ingress_service_type,
        existing_service=edge.ingress_existing_service,
        metrics=settings.metrics.ingress_metrics,
        service_monitor=settings.metrics.service_monitor,
        service_monitor_labels=settings.metrics.service_monitor_labels,
    ),
)
tls = TlsIssuer(
    "tls",
    TlsIssuerArgs(
        mode=edge.tls_mode,
        kind=edge.issuer_kind,
        ingress_class_name=ingress_controller.ingress_class_name,
        name_prefix=settings.namespace,
        namespace=edge.cert_manager_namespace,
        acme_email=edge.acme_email,
    ),
)
# With a domain nothing waits for the load balancer; without one only the api-server does, for its base_url.
host = ui_host(edge.domain, ingress_controller.lb_address, edge.wildcard_dns_service, public_ca=edge.issuer_kind.is_acme)
base_url = https_url(host)

overrides = AirflowOverrides(
    "overrides",
    AirflowOverridesArgs(namespace=namespace_name, settings=settings.customisation, digest_key=secrets.api_secret_key),
)
airflow_environment = overrides.environment

# With metrics on, every Airflow process sends StatsD to the exporter (the settings then refuse those options in
# airflowConfig, so the two environments never name the same variable).
statsd_port = metrics_port = scraper_namespace = None
if settings.metrics.enabled:
    exporter = MetricsExporter(
        "metrics",
        MetricsExporterArgs(
            namespace=namespace_name, settings=settings.metrics, image_pull_policy=settings.image_pull_policy
        ),
    )
    airflow_environment = replace(airflow_environment, env=exporter.airflow_env + airflow_environment.env)
    statsd_port, metrics_port = exporter.statsd_port, exporter.metrics_port
    scraper_namespace = settings.metrics.scraper_namespace
    service_components.append(exporter.component)

if (parallelism := stack_parallelism(autoscaling, concurrency, schedulers, settings.customisation.airflow_config)):
    parallelism_env = k8s.core.v1.EnvVarArgs(name=PARALLELISM_VARIABLE, value=str(parallelism))
    airflow_environment = replace(airflow_environment, env=[*airflow_environment.env, parallelism_env])

airflow = AirflowCore(
    "airflow",
    AirflowCoreArgs(
        namespace=namespace_name,
        settings=settings,
        secrets=AirflowSecretValues(
            fernet_key=secrets.fernet_key,
            api_secret_key=secrets.api_secret_key,
            jwt_secret=secrets.jwt_secret,
            admin_password=secrets.admin_password,
        ),
        database_url=airflow_database_url,
        broker_url=broker_url,
        base_url=base_url,
        dags=dags,
        worker_storage=worker_logs.storage,
        overrides=airflow_environment,
    ),
    # With autoscaling a count is the autoscaler's once its workload exists; without, the stack's.
    pulumi.ResourceOptions(
        transformations=[
            kube.replica_count_owner(kube.STATEFULSET, WORKER_COMPONENT, autoscaling.enabled),
            kube.replica_count_owner(kube.DEPLOYMENT, "api-server", settings.api_server_autoscaling.enabled),
        ]
    ),
)

autoscaler_namespace = None
if autoscaling.enabled:
    WorkerAutoscaler(
        "worker-autoscaler",
        WorkerAutoscalerArgs(
            namespace=namespace_name,
            worker_statefulset=airflow.worker_statefulset_name,
            # The database itself, even with PgBouncer (see WorkerAutoscaler).
            database_url=database_url,
            min_replicas=settings.worker.replicas,
            worker_concurrency=concurrency,
            settings=autoscaling,
        ),
    )
    autoscaler_namespace = autoscaling.keda_namespace
if settings.api_server_autoscaling.enabled:
    ApiServerAutoscaler(
        "api-server-autoscaler",
        ApiServerAutoscalerArgs(
            namespace=namespace_name,
            deployment=airflow.api_server_deployment_name,
            min_replicas=settings.api_server.replicas,
            settings=settings.api_server_autoscaling,
        ),
    )

# Pods beside the Airflow processes that reach the metadata database, by Airflow's URL or directly (NetworkPolicies).
database_clients: list[str] = []
direct_database_clients: list[str] = []
backups = "none: airflow:databaseBackup is off"
if settings.database_backup.enabled:
    backup = DatabaseBackup(
        "database-backup",
        DatabaseBackupArgs(
            namespace=namespace_name,
            database_url=database_url,
            settings=settings.database_backup,
            image=settings.postgres.image,
            image_pull_policy=settings.image_pull_policy,
            retain_on_destroy=settings.postgres.retain_on_destroy,
        ),
    )
    backups = backup.description
    direct_database_clients.append(backup.component)

if settings.metadata_cleanup.enabled:
    cleanup = MetadataCleanup(
        "metadata-cleanup",
        MetadataCleanupArgs(
            namespace=namespace_name,
            settings=settings.metadata_cleanup,
            image=settings.airflow_image,
            image_pull_policy=settings.image_pull_policy,
            airflow_env=airflow.process_env,
            airflow_env_from=airflow.process_env_from,
        ),
    )
    database_clients.append(cleanup.component)

if settings.disruption_budgets:
    DisruptionBudgets("disruption-budgets", DisruptionBudgetsArgs(namespace_name, service_components + airflow.components))

ui = AirflowIngress(
    "ui",
    AirflowIngressArgs(
        namespace=namespace_name,
        host=host,
        ingress_class_name=ingress_controller.ingress_class_name,
        issuer_name=tls.issuer_name,
        issuer_kind=tls.issuer_kind,
        service_name=airflow.api_service_name,
        service_port=airflow.api_service_port,
    ),
)

NetworkPolicies(
    "network-policies",
    NetworkPoliciesArgs(
        namespace=namespace_name,
        dns_namespace=settings.dns_namespace,
        dns_pod_labels=settings.dns_pod_labels,
        ingress_namespace=ingress_controller.namespace,
        git_port=settings.git_sync.repository.port if settings.git_sync is not None else None,
        acme_http01=edge.issuer_kind.is_acme,
        external_database_port=settings.postgres.external_port,
        external_broker_port=settings.redis.external_port,
        database_clients=tuple(database_clients),
        direct_database_clients=tuple(direct_database_clients),
        pool_port=pool_port,
        statsd_port=statsd_port,
        metrics_port=metrics_port,
        metrics_scraper_namespace=scraper_namespace,
        autoscaler_namespace=autoscaler_namespace,
    ),
)

pulumi.export("namespace", namespace_name)
pulumi.export("url", ui.url)
pulumi.export("loadBalancerAddress", ingress_controller.lb_address)
pulumi.export("issuer", tls.issuer_name)
pulumi.export("ingressNamespace", ingress_controller.namespace)
pulumi.export("workerLogsVolume", worker_logs.volume)
pulumi.export("databaseBackups", backups)
pulumi.export("adminUser", settings.admin_username)
pulumi.export("adminPassword", secrets.admin_password)
