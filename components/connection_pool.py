"""ConnectionPool: PgBouncer between the Airflow processes and their metadata database.

Owns the `airflow-pgbouncer` Deployment, its Service, ServiceAccount and the Secret that holds its configuration and
auth file (the database's host and login are derived from the database URL, so both are secret). It takes the
database's URL (in-cluster or external) and gives back the URL the Airflow processes use instead; the backups keep
the direct one (a dump needs one session for its whole snapshot, which transaction pooling does not give).

Transaction pooling: a server connection is lent to a client for one transaction, so hundreds of Airflow processes
and task supervisors share `pgbouncerPoolSize` database connections per PgBouncer pod. Clients log in to PgBouncer
with the database's own user and password (SCRAM), and PgBouncer logs in to the database with the same, so no second
credential exists. Between PgBouncer and an external database, TLS follows the URL's `sslmode` (PgBouncer's `prefer`
without one); the hop from Airflow to PgBouncer stays inside the namespace, behind the NetworkPolicies.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components import kube
from components.database_url import DatabaseConnection, parse_database_url, sqlalchemy_url
from components.settings import PgBouncerSettings

COMPONENT = "pgbouncer"
OBJECT_NAME = "airflow-pgbouncer"
PORT = 6543
CONFIG_DIR = "/etc/pgbouncer"
# The database name Airflow asks PgBouncer for; PgBouncer maps it to the real one.
DATABASE_ALIAS = "airflow"
# `nobody`: PgBouncer needs no user of its own, writes nothing (logs to stderr, no unix socket), and reads its config
# through the pod's fsGroup.
PGBOUNCER_UID = 65534
CONFIG_DIGEST_ANNOTATION = "airflow.pulumi.io/pgbouncer-config-digest"


@dataclass(frozen=True)
class ConnectionPoolArgs:
    """Inputs of the pool."""

    namespace: pulumi.Input[str]
    """Namespace of PgBouncer (Airflow's)."""
    database_url: pulumi.Output[str]
    """SQLAlchemy URL of the metadata database (secret)."""
    settings: PgBouncerSettings
    """Image, replicas, resources, pool sizes."""
    image_pull_policy: str
    """Pull policy of the container."""
    digest_key: pulumi.Output[str]
    """A generated secret that keys the config digest in the pod template (which restarts PgBouncer on a change)."""


def connstring_value(value: str) -> str:
    """A value in a [databases] connection string, in single quotes: PgBouncer's parser (not libpq's) takes a quote
    doubled, and no backslash escapes."""
    return "'" + value.replace("'", "''") + "'"


def auth_file_field(value: str) -> str:
    """A user name or password in the auth file: in double quotes, a double quote doubled."""
    return '"' + value.replace('"', '""') + '"'


def pgbouncer_files(database: DatabaseConnection, settings: PgBouncerSettings) -> dict[str, str]:
    """pgbouncer.ini and the auth file for `database`."""
    tls = database.libpq_options.get("sslmode", "prefer")
    config = f"""[databases]
{DATABASE_ALIAS} = host={connstring_value(database.host)} port={database.port} dbname={connstring_value(database.dbname)}

[pgbouncer]
listen_addr = *
listen_port = {PORT}
unix_socket_dir =
auth_type = scram-sha-256
auth_file = {CONFIG_DIR}/userlist.txt
pool_mode = transaction
max_client_conn = {settings.max_client_connections}
default_pool_size = {settings.pool_size}
server_tls_sslmode = {tls}
ignore_startup_parameters = extra_float_digits
"""
    login = f"{auth_file_field(database.user)} {auth_file_field(database.password)}\n"
    return {"pgbouncer.ini": config, "userlist.txt": login}


class ConnectionPool(pulumi.ComponentResource):
    """PgBouncer in transaction mode, in front of the metadata database."""

    connection_url: pulumi.Output[str]
    """SQLAlchemy URL of the database through PgBouncer, for the Airflow processes (secret)."""
    component: str
    """The component label of its pods (for the disruption budgets and NetworkPolicies)."""
    port: int
    """The port PgBouncer listens on (for the NetworkPolicies)."""

    def __init__(self, name: str, args: ConnectionPoolArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("airflow:index:ConnectionPool", name, None, opts)
        settings = args.settings
        child = pulumi.ResourceOptions(parent=self)
        database = args.database_url.apply(parse_database_url)

        def files_of(connection: DatabaseConnection) -> dict[str, str]:
            return pgbouncer_files(connection, settings)

        files = database.apply(files_of)
        data: dict[str, pulumi.Input[str]] = {
            key: pulumi.Output.secret(files[key]) for key in ("pgbouncer.ini", "userlist.txt")
        }
        config = k8s.core.v1.Secret(
            f"{name}-config",
            metadata=kube.object_meta(OBJECT_NAME, args.namespace, COMPONENT),
            type="Opaque",
            string_data=data,
            opts=child,
        )
        service = k8s.core.v1.Service(
            f"{name}-service",
            metadata=kube.object_meta(OBJECT_NAME, args.namespace, COMPONENT),
            spec=k8s.core.v1.ServiceSpecArgs(
                selector=kube.selector_labels(COMPONENT),
                ports=[k8s.core.v1.ServicePortArgs(name="pgbouncer", port=PORT, target_port="pgbouncer")],
            ),
            opts=child,
        )
        service_account = kube.service_account(f"{name}-sa", OBJECT_NAME, args.namespace, COMPONENT, self)
        tcp_check = k8s.core.v1.TCPSocketActionArgs(port="pgbouncer")
        k8s.apps.v1.Deployment(
            f"{name}-deployment",
            metadata=kube.object_meta(
                OBJECT_NAME,
                args.namespace,
                COMPONENT,
                annotations=kube.checkov_skips(kube.IMAGE_BY_TAG, kube.PULL_POLICY_SETTING),
            ),
            spec=k8s.apps.v1.DeploymentSpecArgs(
                replicas=settings.process.replicas,
                selector=k8s.meta.v1.LabelSelectorArgs(match_labels=kube.selector_labels(COMPONENT)),
                template=k8s.core.v1.PodTemplateSpecArgs(
                    metadata=k8s.meta.v1.ObjectMetaArgs(
                        labels=kube.labels(COMPONENT),
                        # The config is read at start: a changed pool size or database password restarts the pods.
                        annotations={CONFIG_DIGEST_ANNOTATION: kube.secrets_digest(data, args.digest_key)},
                    ),
                    spec=k8s.core.v1.PodSpecArgs(
                        service_account_name=service_account.metadata.name,
                        automount_service_account_token=False,
                        enable_service_links=False,
                        security_context=kube.pod_security(PGBOUNCER_UID, PGBOUNCER_UID, fs_group=PGBOUNCER_UID),
                        containers=[
                            k8s.core.v1.ContainerArgs(
                                name="pgbouncer",
                                image=settings.image,
                                image_pull_policy=args.image_pull_policy,
                                command=["pgbouncer", f"{CONFIG_DIR}/pgbouncer.ini"],
                                ports=[k8s.core.v1.ContainerPortArgs(name="pgbouncer", container_port=PORT)],
                                security_context=kube.container_security(),
                                resources=kube.resource_requirements(settings.process.resources),
                                readiness_probe=k8s.core.v1.ProbeArgs(
                                    tcp_socket=tcp_check, period_seconds=10, timeout_seconds=5, failure_threshold=3
                                ),
                                liveness_probe=k8s.core.v1.ProbeArgs(
                                    tcp_socket=tcp_check, period_seconds=20, timeout_seconds=5, failure_threshold=6
                                ),
                                volume_mounts=[
                                    k8s.core.v1.VolumeMountArgs(name="config", mount_path=CONFIG_DIR, read_only=True)
                                ],
                            )
                        ],
                        volumes=[kube.secret_volume("config", config.metadata.name)],
                    ),
                ),
            ),
            opts=child,
        )

        host = pulumi.Output.concat(service.metadata.name, ".", service.metadata.namespace, ".svc")
        self.connection_url = pulumi.Output.secret(
            pulumi.Output.all(database, host).apply(
                lambda values: sqlalchemy_url(values[0].user, values[0].password, values[1], PORT, DATABASE_ALIAS)
            )
        )
        self.component = COMPONENT
        self.port = PORT
        self.register_outputs({"connection_url": self.connection_url})
