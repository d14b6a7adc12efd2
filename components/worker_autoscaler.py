"""WorkerAutoscaler: KEDA scales the Celery workers with the task instances that need a worker, queued and running.

In install mode it owns a namespace and the KEDA Helm release in it (pinned, watching only Airflow's namespace); in
existing mode nothing of KEDA, whose operator then runs in `kedaNamespace`. In both: the Secret
`airflow-worker-autoscaler` (the metadata database's login, in the form KEDA's PostgreSQL scaler reads), a
TriggerAuthentication that hands it to the scaler by reference, and a ScaledObject on the worker StatefulSet.

How it decides. The scaler runs `DEMAND_QUERY` against the metadata database every `pollingInterval`: the task
instances that are queued (sent to Celery, waiting for a worker slot) or running (holding one). The target is one
worker per `workerConcurrency` of them, so the HPA KEDA manages asks for ceil(demand / concurrency) workers, between
`workerReplicas` and `workerMaxReplicas`. Running tasks count on purpose: the broker's queue length alone falls to
zero as soon as workers take the messages, and an autoscaler fed only that would remove the workers still running
them. The database, not Celery's inspect API, because it is Airflow's own record (what the UI shows) and KEDA has a
scaler for it; the official chart makes the same choice.

Why the database itself, never PgBouncer: KEDA's client prepares its statements, which transaction pooling does not
carry across server connections, and one connection polled every few seconds needs no pool. Why a Secret of its own:
none of Airflow's Secrets holds the login in a form the scaler's client (pgx) reads (they hold SQLAlchemy's URL); this
one is built from the same Pulumi secret, so a changed password reaches it on the same `pulumi up`.

It leaves out the StatefulSet (AirflowCore's: `kube.replica_count_owner` decides whether the stack or KEDA sets its
replica count once created), the NetworkPolicy rule that admits KEDA's namespace to the database (NetworkPolicies),
and the log claims of removed workers (kept by WorkerLogs' retention policy).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components import kube
from components.database_url import DatabaseConnection, parse_database_url
from components.settings import InstallMode
from components.settings.autoscaling import WorkerAutoscalingSettings

COMPONENT = "worker-autoscaler"
NAME = "airflow-worker-autoscaler"
CHART = "keda"
# KEDA 2.21.0, the newest release on 2026-12 whose CRDs the Go module proxy serves (tools.crd_schemas pins the same
# release, and the schema gate checks the ScaledObject against them); the chart's version is KEDA's.
CHART_VERSION = "2.21.0"
CHART_REPOSITORY = "https://kedacore.github.io/charts"
RELEASE_NAME = "keda"
API_VERSION = "keda.sh/v1alpha1"
CONNECTION_KEY = "connection"
# Queued: handed to Celery, waiting for a worker slot. Running: holding one. Neither `scheduled` (the scheduler has not
# sent it yet: core.parallelism or a pool holds it) nor `deferred` (the triggerer holds it) needs a worker.
DEMAND_QUERY = "SELECT count(*) FROM task_instance WHERE state IN ('queued', 'running')"
# libpq's parameters the scaler's client (pgx 5) understands; the settings refuse the ones it cannot honour.
SCALER_PARAMETERS = ("sslmode", "connect_timeout", "target_session_attrs", "application_name", "options", "channel_binding")


@dataclass(frozen=True)
class WorkerAutoscalerArgs:
    namespace: pulumi.Input[str]
    """Airflow's namespace: the ScaledObject's, its TriggerAuthentication's and Secret's."""
    worker_statefulset: pulumi.Input[str]
    """Name of the worker StatefulSet, the scale target (AirflowCore's output)."""
    database_url: pulumi.Input[str]
    """The metadata database's own URL (never PgBouncer's), a Pulumi secret."""
    min_replicas: int
    """Fewest workers (0: scale to zero)."""
    worker_concurrency: int
    """Tasks one worker runs at once: the demand one worker meets."""
    settings: WorkerAutoscalingSettings


def conninfo_value(value: str) -> str:
    """A value in a keyword/value connection string: single-quoted, quote and backslash escaped (libpq's rule, which
    pgx follows), so any password is taken whole."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def scaler_connection(database: DatabaseConnection) -> str:
    """The database's connection as the scaler's `connection` parameter: libpq keyword/value form."""
    parameters = {
        "host": database.host,
        "port": str(database.port),
        "dbname": database.dbname,
        "user": database.user,
        "password": database.password,
        **{key: value for key, value in database.libpq_options.items() if key in SCALER_PARAMETERS},
    }
    return " ".join(f"{key}={conninfo_value(value)}" for key, value in parameters.items())


def keda_values(watch_namespace: pulumi.Input[str]) -> dict[str, object]:
    """Helm values of KEDA: only what differs from the chart's defaults, or must not drift with them."""
    restricted = {
        "capabilities": {"drop": ["ALL"]},
        "allowPrivilegeEscalation": False,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    return {
        # This release serves this stack's ScaledObjects alone: another team's, elsewhere, are not silently scaled by
        # a release that a `pulumi destroy` of Airflow removes. A shared KEDA is what existing mode is for.
        "watchNamespace": watch_namespace,
        # The chart's own secure defaults, stated so that a review sees them and a chart bump cannot loosen them.
        # The metrics server writes its self-signed serving certificate, so its root filesystem stays writable.
        "podSecurityContext": {part: {"runAsNonRoot": True} for part in ("operator", "metricServer", "webhooks")},
        "securityContext": {
            "operator": {**restricted, "readOnlyRootFilesystem": True},
            "metricServer": {**restricted, "readOnlyRootFilesystem": False},
            "webhooks": {**restricted, "readOnlyRootFilesystem": True},
        },
    }


class WorkerAutoscaler(pulumi.ComponentResource):
    """KEDA (installed or existing) and the ScaledObject that sizes the Celery workers."""

    def __init__(self, name: str, args: WorkerAutoscalerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("airflow:index:WorkerAutoscaler", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        settings = args.settings

        # The custom resources need KEDA's CRDs, which the release installs.
        crds_ready = child
        if settings.keda_mode is InstallMode.INSTALL:
            namespace = kube.namespace(f"{name}-namespace", settings.keda_namespace, COMPONENT, child)
            release = k8s.helm.v3.Release(
                f"{name}-keda",
                name=RELEASE_NAME,
                chart=CHART,
                version=CHART_VERSION,
                repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=CHART_REPOSITORY),
                namespace=namespace.metadata.name,
                values=keda_values(args.namespace),
                opts=child,
            )
            crds_ready = pulumi.ResourceOptions(parent=self, depends_on=[release])

        connection = k8s.core.v1.Secret(
            f"{name}-connection",
            metadata=kube.object_meta(NAME, args.namespace, COMPONENT),
            type="Opaque",
            string_data={
                CONNECTION_KEY: pulumi.Output.secret(args.database_url).apply(
                    lambda url: scaler_connection(parse_database_url(url))
                )
            },
            opts=child,
        )
        authentication = k8s.apiextensions.CustomResource(
            f"{name}-authentication",
            api_version=API_VERSION,
            kind="TriggerAuthentication",
            metadata=kube.object_meta(NAME, args.namespace, COMPONENT),
            spec={
                "secretTargetRef": [
                    {"parameter": CONNECTION_KEY, "name": connection.metadata.name, "key": CONNECTION_KEY}
                ]
            },
            opts=crds_ready,
        )
        # KEDA reads the authentication when it builds the scaler: create it first.
        after_authentication = pulumi.ResourceOptions.merge(crds_ready, pulumi.ResourceOptions(depends_on=[authentication]))
        k8s.apiextensions.CustomResource(
            f"{name}-scaled-object",
            api_version=API_VERSION,
            kind="ScaledObject",
            metadata=kube.object_meta("airflow-worker", args.namespace, COMPONENT),
            spec={
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "StatefulSet", "name": args.worker_statefulset},
                "minReplicaCount": args.min_replicas,
                "maxReplicaCount": settings.max_replicas,
                "pollingInterval": settings.polling_interval,
                # KEDA's own cool-down covers the step from one worker to none; the HPA's scale-down window the
                # steps above the minimum: the same wait for both.
                "cooldownPeriod": settings.cooldown_period,
                "advanced": {
                    "horizontalPodAutoscalerConfig": {
                        "behavior": {"scaleDown": {"stabilizationWindowSeconds": settings.cooldown_period}}
                    }
                },
                "triggers": [
                    {
                        "type": "postgresql",
                        # AverageValue: the HPA divides the demand by this target and rounds up.
                        "metricType": "AverageValue",
                        "metadata": {
                            "query": DEMAND_QUERY,
                            "targetQueryValue": str(args.worker_concurrency),
                            # Out of zero as soon as one task needs a worker.
                            "activationTargetQueryValue": "0",
                        },
                        "authenticationRef": {"name": NAME},
                    }
                ],
            },
            opts=after_authentication,
        )
        self.register_outputs({})
