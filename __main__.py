"""Airflow 3 on Kubernetes: reads the stack's settings, builds the components, wires them through their outputs."""

import pulumi
import pulumi_kubernetes as k8s

from components import kube
from components.airflow import IMAGE_DAGS, AirflowCore, AirflowCoreArgs, AirflowSecretValues
from components.postgres import Postgres, PostgresArgs
from components.redis import Redis, RedisArgs
from components.secrets import AirflowSecrets
from components.settings import SettingsError, load_settings
from components.worker_logs import WorkerLogs, WorkerLogsArgs

try:
    settings = load_settings()
except SettingsError as error:
    # RunError ends the program with the message alone: a config mistake is not a crash, so no traceback.
    raise pulumi.RunError(str(error)) from None

if settings.skip_await:
    pulumi.runtime.register_stack_transformation(kube.skip_await_transformation)

namespace = k8s.core.v1.Namespace(
    "namespace",
    metadata=k8s.meta.v1.ObjectMetaArgs(
        name=settings.namespace,
        labels={
            **kube.labels("namespace"),
            # The cluster itself then refuses any pod that is not hardened, whoever creates it.
            "pod-security.kubernetes.io/enforce": "restricted",
            "pod-security.kubernetes.io/enforce-version": "latest",
            "pod-security.kubernetes.io/audit": "restricted",
            "pod-security.kubernetes.io/warn": "restricted",
        },
    ),
    # Deleting a namespace deletes every volume in it: keep it when the database volume is to be kept.
    opts=pulumi.ResourceOptions(retain_on_delete=settings.postgres.retain_on_destroy),
)
namespace_name = namespace.metadata.name

secrets = AirflowSecrets("secrets")

if settings.postgres.external_url is not None:
    database_url = settings.postgres.external_url
else:
    database_url = Postgres(
        "postgres",
        PostgresArgs(namespace_name, secrets.postgres_password, settings.postgres, settings.image_pull_policy),
    ).connection_url

if settings.redis.external_url is not None:
    broker_url = settings.redis.external_url
else:
    broker_url = Redis(
        "redis", RedisArgs(namespace_name, secrets.redis_password, settings.redis, settings.image_pull_policy)
    ).broker_url

worker_logs = WorkerLogs("worker-logs", WorkerLogsArgs(namespace=namespace_name))

# Until an Ingress exists, the UI is reached with `kubectl port-forward`.
base_url = "http://localhost:8080"

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
        database_url=database_url,
        broker_url=broker_url,
        base_url=base_url,
        dags=IMAGE_DAGS,
        worker_storage=worker_logs.storage,
    ),
)

pulumi.export("namespace", namespace_name)
pulumi.export("url", base_url)
pulumi.export("adminUser", settings.admin_username)
pulumi.export("adminPassword", secrets.admin_password)
