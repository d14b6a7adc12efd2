"""Postgres: the in-cluster metadata database (a one-replica StatefulSet, its data volume, Secret and Service).

Owns the data PersistentVolumeClaim directly rather than through a volumeClaimTemplate: the claim then outlives the
StatefulSet (pod loss, replacement of the StatefulSet) and, unless `postgresRetainOnDestroy` is false, `pulumi destroy`
too, and a resize shows in `pulumi preview` as an in-place change of one object. Not for production scale: point
`externalDatabaseUrl` at a managed PostgreSQL instead, and this component is not built.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components import kube
from components.database_url import sqlalchemy_url
from components.settings import PostgresSettings

COMPONENT = "postgresql"
PORT = 5432
DATABASE = "airflow"
USER = "airflow"
# The uid/gid of the `postgres` user in the Debian-based official image: running as it directly means the entrypoint
# never needs root to chown the data directory.
POSTGRES_UID = 999
# postgres:18 keeps PGDATA in a versioned directory below this path; mounting the parent makes major upgrades with
# pg_upgrade --link possible on the same volume.
DATA_MOUNT = "/var/lib/postgresql"


@dataclass(frozen=True)
class PostgresArgs:
    """Inputs of the in-cluster database."""

    namespace: pulumi.Input[str]
    """Namespace to create the database in."""
    password: pulumi.Output[str]
    """Password of the `airflow` database user (secret)."""
    settings: PostgresSettings
    """Image, volume and resources."""
    image_pull_policy: str
    """Pull policy of the container."""


class Postgres(pulumi.ComponentResource):
    """A single PostgreSQL instance for Airflow's metadata."""

    connection_url: pulumi.Output[str]
    """SQLAlchemy URL of the database, with credentials (secret)."""
    component: str
    """The component label of its pod (for the disruption budgets)."""

    def __init__(self, name: str, args: PostgresArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("airflow:index:Postgres", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        settings = args.settings
        resource_name = f"airflow-{COMPONENT}"

        credentials = k8s.core.v1.Secret(
            f"{name}-credentials",
            metadata=kube.object_meta(resource_name, args.namespace, COMPONENT),
            type="Opaque",
            string_data={"password": args.password},
            opts=child,
        )

        data = k8s.core.v1.PersistentVolumeClaim(
            f"{name}-data",
            metadata=kube.object_meta(
                f"{resource_name}-data",
                args.namespace,
                COMPONENT,
                # With a WaitForFirstConsumer storage class the claim binds only once the pod that uses it is
                # scheduled, and that pod is created after the claim: waiting for Bound here would never end.
                annotations={"pulumi.com/skipAwait": "true"},
            ),
            spec=k8s.core.v1.PersistentVolumeClaimSpecArgs(
                access_modes=["ReadWriteOnce"],
                storage_class_name=settings.storage_class or None,
                resources=k8s.core.v1.VolumeResourceRequirementsArgs(requests={"storage": settings.storage_size}),
            ),
            opts=pulumi.ResourceOptions(parent=self, retain_on_delete=settings.retain_on_destroy),
        )

        service = k8s.core.v1.Service(
            f"{name}-service",
            metadata=kube.object_meta(resource_name, args.namespace, COMPONENT),
            spec=k8s.core.v1.ServiceSpecArgs(
                selector=kube.selector_labels(COMPONENT),
                ports=[k8s.core.v1.ServicePortArgs(name="postgres", port=PORT, target_port="postgres")],
            ),
            opts=child,
        )

        service_account = kube.service_account(f"{name}-sa", resource_name, args.namespace, COMPONENT, self)
        run_volume, run_mount = kube.writable_dir("run", "/var/run/postgresql", "16Mi")
        tmp_volume, tmp_mount = kube.writable_dir("tmp", "/tmp")
        ready_command = ["pg_isready", "--host=127.0.0.1", f"--username={USER}", f"--dbname={DATABASE}"]
        k8s.apps.v1.StatefulSet(
            f"{name}-statefulset",
            metadata=kube.object_meta(
                resource_name,
                args.namespace,
                COMPONENT,
                annotations=kube.checkov_skips(*kube.WORKLOAD_SKIPS, kube.IMAGE_USER),
            ),
            spec=k8s.apps.v1.StatefulSetSpecArgs(
                replicas=1,
                service_name=service.metadata.name,
                selector=k8s.meta.v1.LabelSelectorArgs(match_labels=kube.selector_labels(COMPONENT)),
                template=k8s.core.v1.PodTemplateSpecArgs(
                    metadata=k8s.meta.v1.ObjectMetaArgs(labels=kube.labels(COMPONENT)),
                    spec=k8s.core.v1.PodSpecArgs(
                        service_account_name=service_account.metadata.name,
                        automount_service_account_token=False,
                        enable_service_links=False,
                        security_context=kube.pod_security(POSTGRES_UID, POSTGRES_UID, fs_group=POSTGRES_UID),
                        termination_grace_period_seconds=60,
                        containers=[
                            k8s.core.v1.ContainerArgs(
                                name="postgres",
                                image=settings.image,
                                image_pull_policy=args.image_pull_policy,
                                ports=[k8s.core.v1.ContainerPortArgs(name="postgres", container_port=PORT)],
                                env=[
                                    k8s.core.v1.EnvVarArgs(name="POSTGRES_USER", value=USER),
                                    k8s.core.v1.EnvVarArgs(name="POSTGRES_DB", value=DATABASE),
                                    k8s.core.v1.EnvVarArgs(
                                        name="POSTGRES_PASSWORD",
                                        value_from=k8s.core.v1.EnvVarSourceArgs(
                                            secret_key_ref=k8s.core.v1.SecretKeySelectorArgs(
                                                name=credentials.metadata.name, key="password"
                                            )
                                        ),
                                    ),
                                ],
                                security_context=kube.container_security(),
                                resources=kube.resource_requirements(settings.resources),
                                readiness_probe=kube.exec_probe(ready_command, period=10, timeout=5, failures=3),
                                liveness_probe=kube.exec_probe(ready_command, period=20, timeout=5, failures=6),
                                volume_mounts=[
                                    k8s.core.v1.VolumeMountArgs(name="data", mount_path=DATA_MOUNT),
                                    run_mount,
                                    tmp_mount,
                                ],
                            )
                        ],
                        volumes=[
                            k8s.core.v1.VolumeArgs(
                                name="data",
                                persistent_volume_claim=k8s.core.v1.PersistentVolumeClaimVolumeSourceArgs(
                                    claim_name=data.metadata.name
                                ),
                            ),
                            run_volume,
                            tmp_volume,
                        ],
                    ),
                ),
            ),
            opts=child,
        )

        host = pulumi.Output.concat(service.metadata.name, ".", service.metadata.namespace, ".svc")
        # A password given in config (postgresPassword) may hold any character: sqlalchemy_url encodes it.
        self.connection_url = pulumi.Output.secret(
            pulumi.Output.all(args.password, host).apply(
                lambda values: sqlalchemy_url(USER, values[0], values[1], PORT, DATABASE)
            )
        )
        self.component = COMPONENT
        self.register_outputs({"connection_url": self.connection_url})
