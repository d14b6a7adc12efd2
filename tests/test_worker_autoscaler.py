"""WorkerAutoscaler: KEDA, the ScaledObject on the worker StatefulSet, its credentials by reference, the worker count
left to KEDA, the database opened to KEDA's namespace, and the settings that can go wrong.

The scaler's query runs against the real PostgreSQL of the smoke tier with tasks queued and running
(smoke/test_autoscaling.py); the engine tier proves that a count KEDA sets survives `pulumi up` and leaves the preview
clean (e2e/test_airflow.py).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pytest

from components import kube
from components.database_url import DatabaseConnection
from components.settings import ConfigReader, EnvEntry, InstallMode, read_settings
from components.settings.autoscaling import WorkerAutoscalingSettings, parallelism_cap
from components.worker_autoscaler import scaler_connection
from tests.conftest import Run, config_of, settings_problems, shared
from tests.test_customisation import airflow_containers, env_of
from tests.test_network_policies import PORTS, STRANGER, Endpoint, allows, cluster_of
from tools.harness import Capture, is_secret, reveal, run_program
from tools.validate import FEATURE_RENDERS

HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
SCALED_OBJECT = "kubernetes:keda.sh/v1alpha1:ScaledObject"
TRIGGER_AUTHENTICATION = "kubernetes:keda.sh/v1alpha1:TriggerAuthentication"
# KEDA's operator as its chart labels it, in the stack's default kedaNamespace.
KEDA_OPERATOR = Endpoint("keda-operator", "keda", {"app": "keda-operator", "app.kubernetes.io/name": "keda-operator"})
LABELS = {
    "app.kubernetes.io/name": "airflow",
    "app.kubernetes.io/part-of": "airflow",
    "app.kubernetes.io/component": "worker-autoscaler",
    "app.kubernetes.io/managed-by": "pulumi",
}
AUTOSCALING_SETTINGS = WorkerAutoscalingSettings(
    enabled=True, keda_mode=InstallMode.INSTALL, keda_namespace="keda", max_replicas=10, polling_interval=10,
    cooldown_period=300,
)
RESTRICTED = {"capabilities": {"drop": ["ALL"]}, "allowPrivilegeEscalation": False, "seccompProfile": {"type": "RuntimeDefault"}}


@pytest.fixture(scope=shared("module"))
def autoscaled() -> Capture:
    return run_program(config_of(workerAutoscaling=True, workerReplicas=0, workerMaxReplicas=6))


def scaled_object(capture: Capture) -> dict[str, Any]:
    found: dict[str, Any] = capture.one(SCALED_OBJECT, "worker-autoscaler-scaled-object").plain_inputs
    return found


def test_should_scale_the_worker_statefulset_on_queued_and_running_tasks_per_worker_concurrency(autoscaled: Capture) -> None:
    assert scaled_object(autoscaled) == {
        "apiVersion": "keda.sh/v1alpha1",
        "kind": "ScaledObject",
        "metadata": {"name": "airflow-worker", "namespace": "airflow", "labels": LABELS},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "airflow-worker"},
            "minReplicaCount": 0,
            "maxReplicaCount": 6,
            "pollingInterval": 10,
            "cooldownPeriod": 300,
            "advanced": {"horizontalPodAutoscalerConfig": {"behavior": {"scaleDown": {"stabilizationWindowSeconds": 300}}}},
            "triggers": [
                {
                    "type": "postgresql",
                    "metricType": "AverageValue",
                    "metadata": {
                        "query": "SELECT count(*) FROM task_instance WHERE state IN ('queued', 'running')",
                        "targetQueryValue": "16",
                        "activationTargetQueryValue": "0",
                    },
                    "authenticationRef": {"name": "airflow-worker-autoscaler"},
                }
            ],
        },
    }


def test_should_target_the_statefulset_the_workers_run_in(autoscaled: Capture) -> None:
    (worker,) = [o for o in (r.plain_inputs for r in autoscaled.kubernetes_objects())
                 if o["kind"] == "StatefulSet" and o["metadata"]["labels"]["app.kubernetes.io/component"] == "worker"]
    target = scaled_object(autoscaled)["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == (worker["kind"], worker["metadata"]["name"])


def test_should_follow_the_settings_and_divide_by_the_workers_concurrency(run: Run) -> None:
    spec = scaled_object(
        run(
            workerAutoscaling=True,
            workerReplicas=2,
            workerMaxReplicas=20,
            workerConcurrency=8,
            workerAutoscalingPollingInterval=30,
            workerAutoscalingCooldownPeriod=900,
        )
    )["spec"]
    assert (spec["minReplicaCount"], spec["maxReplicaCount"], spec["pollingInterval"], spec["cooldownPeriod"]) == (2, 20, 30, 900)
    assert spec["advanced"]["horizontalPodAutoscalerConfig"]["behavior"]["scaleDown"]["stabilizationWindowSeconds"] == 900
    assert spec["triggers"][0]["metadata"]["targetQueryValue"] == "8"


def test_should_give_keda_the_database_login_only_by_reference(autoscaled: Capture) -> None:
    authentication = autoscaled.one(TRIGGER_AUTHENTICATION, "worker-autoscaler-authentication").plain_inputs
    assert authentication == {
        "apiVersion": "keda.sh/v1alpha1",
        "kind": "TriggerAuthentication",
        "metadata": {"name": "airflow-worker-autoscaler", "namespace": "airflow", "labels": LABELS},
        "spec": {"secretTargetRef": [{"parameter": "connection", "name": "airflow-worker-autoscaler", "key": "connection"}]},
    }
    secret = autoscaled.one("kubernetes:core/v1:Secret", "worker-autoscaler-connection").inputs["stringData"]
    generated = autoscaled.one("kubernetes:core/v1:Secret", "postgres-credentials").plain_inputs["stringData"]["password"]
    assert reveal(secret) == {
        "connection": f"host='airflow-postgresql.airflow.svc' port='5432' dbname='airflow' user='airflow' password='{generated}'"
    }
    assert is_secret(secret), "the connection must stay a Pulumi secret"
    assert generated not in str(scaled_object(autoscaled)) + str(authentication)


def test_should_register_the_autoscaler_as_one_component_owning_its_objects(autoscaled: Capture) -> None:
    by_urn = {r.urn: r.name for r in autoscaled.registrations}
    owned = {r.name: (r.type, by_urn.get(r.parent)) for r in autoscaled.registrations if r.name.startswith("worker-autoscaler")}
    assert owned == {
        "worker-autoscaler": ("airflow:index:WorkerAutoscaler", None),
        "worker-autoscaler-namespace": ("kubernetes:core/v1:Namespace", "worker-autoscaler"),
        "worker-autoscaler-keda": (HELM_RELEASE, "worker-autoscaler"),
        "worker-autoscaler-connection": ("kubernetes:core/v1:Secret", "worker-autoscaler"),
        "worker-autoscaler-authentication": (TRIGGER_AUTHENTICATION, "worker-autoscaler"),
        "worker-autoscaler-scaled-object": (SCALED_OBJECT, "worker-autoscaler"),
    }
    secret = autoscaled.object("Secret", "airflow-worker-autoscaler")
    assert {key: value for key, value in secret.items() if key != "stringData"} == {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "airflow-worker-autoscaler", "namespace": "airflow", "labels": LABELS},
        "type": "Opaque",
    }
    assert autoscaled.object("Namespace", "keda")["metadata"]["labels"] == {
        **LABELS,
        "pod-security.kubernetes.io/enforce": "restricted",
        "pod-security.kubernetes.io/enforce-version": "latest",
        "pod-security.kubernetes.io/audit": "restricted",
        "pod-security.kubernetes.io/warn": "restricted",
    }


def test_should_quote_every_value_so_any_password_is_taken_whole() -> None:
    database = DatabaseConnection(
        "db.acme-corp.io", 5433, "air flow", "ops'team", "p w'\\x=", {"sslmode": "verify-full", "connect_timeout": "10"}
    )
    assert scaler_connection(database) == (
        "host='db.acme-corp.io' port='5433' dbname='air flow' user='ops\\'team' password='p w\\'\\\\x=' "
        "sslmode='verify-full' connect_timeout='10'"
    )


def test_should_reach_the_database_itself_even_behind_pgbouncer(run: Run) -> None:
    secret = run(workerAutoscaling=True, pgbouncerEnabled=True).one("kubernetes:core/v1:Secret", "worker-autoscaler-connection")
    assert secret.plain_inputs["stringData"]["connection"].startswith("host='airflow-postgresql.airflow.svc' port='5432' ")


def test_should_install_the_pinned_keda_release_watching_only_airflows_namespace(autoscaled: Capture) -> None:
    release = autoscaled.one(HELM_RELEASE, "worker-autoscaler-keda").plain_inputs
    assert {key: release[key] for key in ("name", "chart", "version", "namespace", "repositoryOpts")} == {
        "name": "keda",
        "chart": "keda",
        "version": "2.21.0",
        "namespace": "keda",
        "repositoryOpts": {"repo": "https://kedacore.github.io/charts"},
    }
    assert release["values"] == {
        "watchNamespace": "airflow",
        "podSecurityContext": {
            "operator": {"runAsNonRoot": True},
            "metricServer": {"runAsNonRoot": True},
            "webhooks": {"runAsNonRoot": True},
        },
        "securityContext": {
            "operator": {**RESTRICTED, "readOnlyRootFilesystem": True},
            "metricServer": {**RESTRICTED, "readOnlyRootFilesystem": False},
            "webhooks": {**RESTRICTED, "readOnlyRootFilesystem": True},
        },
    }
    namespace = autoscaled.object("Namespace", "keda")["metadata"]["labels"]
    assert namespace["pod-security.kubernetes.io/enforce"] == "restricted"


def test_should_create_the_custom_resources_after_the_release_that_installs_their_crds(autoscaled: Capture) -> None:
    release_urn = autoscaled.one(HELM_RELEASE, "worker-autoscaler-keda").urn
    authentication = autoscaled.one(TRIGGER_AUTHENTICATION, "worker-autoscaler-authentication")
    scaler = autoscaled.one(SCALED_OBJECT, "worker-autoscaler-scaled-object")
    assert release_urn in authentication.dependencies
    assert {release_urn, authentication.urn} <= set(scaler.dependencies)


def test_should_install_nothing_of_keda_in_existing_mode(run: Run) -> None:
    capture = run(workerAutoscaling=True, kedaMode="existing")
    by_urn = {r.urn: r.name for r in capture.registrations}
    owned = {r.name: (r.type, by_urn.get(r.parent)) for r in capture.registrations if r.name.startswith("worker-autoscaler")}
    assert owned == {
        "worker-autoscaler": ("airflow:index:WorkerAutoscaler", None),
        "worker-autoscaler-connection": ("kubernetes:core/v1:Secret", "worker-autoscaler"),
        "worker-autoscaler-authentication": (TRIGGER_AUTHENTICATION, "worker-autoscaler"),
        "worker-autoscaler-scaled-object": (SCALED_OBJECT, "worker-autoscaler"),
    }
    assert scaled_object(capture)["spec"]["scaleTargetRef"]["name"] == "airflow-worker"


def test_should_create_nothing_of_it_when_off(default_run: Capture) -> None:
    assert [r.name for r in default_run.registrations if r.name.startswith("worker-autoscaler")] == []


# --- who sets the worker count ----------------------------------------------------------------------------------------


def transformed(kind_type: str, component: str, autoscaled: bool) -> pulumi.ResourceTransformationResult | None:
    metadata = kube.object_meta("airflow-worker", "airflow", component, annotations={"team": "data"})
    args = pulumi.ResourceTransformationArgs(
        resource=None,  # type: ignore[arg-type]
        type_=kind_type,
        name="airflow-worker",
        props={"metadata": metadata, "spec": {"replicas": 1}},
        opts=pulumi.ResourceOptions(ignore_changes=["metadata.labels"]),
    )
    result: pulumi.ResourceTransformationResult | None = kube.replica_count_owner(kube.STATEFULSET, "worker", autoscaled)(args)
    return result


@pytest.mark.parametrize(("autoscaled", "ignored"), [(True, ["metadata.labels", "spec.replicas"]), (False, ["metadata.labels"])])
def test_should_leave_the_worker_count_to_keda_or_force_the_stacks_own(autoscaled: bool, ignored: list[str]) -> None:
    result = transformed("kubernetes:apps/v1:StatefulSet", "worker", autoscaled)
    assert result is not None
    assert result.opts.ignore_changes == ignored
    assert result.props["spec"] == {"replicas": 1}, "the first count is still set"
    metadata = result.props["metadata"]
    assert isinstance(metadata, k8s.meta.v1.ObjectMetaArgs)
    assert metadata.annotations == {"team": "data", "pulumi.com/patchForce": "true"}


@pytest.mark.parametrize(
    ("kind_type", "component"),
    [("kubernetes:apps/v1:StatefulSet", "postgresql"), ("kubernetes:apps/v1:Deployment", "worker")],
)
@pytest.mark.parametrize("autoscaled", [True, False])
def test_should_leave_every_other_workload_alone(kind_type: str, component: str, autoscaled: bool) -> None:
    assert transformed(kind_type, component, autoscaled) is None


def test_should_force_only_the_counts_an_autoscaler_may_have_owned(default_run: Capture) -> None:
    forced = [
        o["metadata"]["name"]
        for o in (r.plain_inputs for r in default_run.kubernetes_objects())
        if (o["metadata"].get("annotations") or {}).get("pulumi.com/patchForce") == "true"
    ]
    assert sorted(forced) == ["airflow-api-server", "airflow-worker"]


# --- the database admits KEDA --------------------------------------------------------------------------------------------


def test_should_let_kedas_namespace_reach_the_in_cluster_database_only(autoscaled: Capture) -> None:
    cluster = cluster_of(autoscaled)
    assert allows(cluster.policies, KEDA_OPERATOR, cluster.pod("postgresql"), 5432)
    assert not allows(cluster.policies, KEDA_OPERATOR, cluster.pod("postgresql"), 22), "the database's port only"
    assert not allows(cluster.policies, KEDA_OPERATOR, cluster.pod("redis"), 6379)
    assert not allows(cluster.policies, KEDA_OPERATOR, cluster.pod("api-server"), 8080)
    assert not allows(cluster.policies, STRANGER, cluster.pod("postgresql"), 5432)


def test_should_not_open_the_database_to_keda_without_autoscaling(default_run: Capture) -> None:
    cluster = cluster_of(default_run)
    assert not allows(cluster.policies, KEDA_OPERATOR, cluster.pod("postgresql"), 5432)


def test_should_follow_keda_to_its_namespace(run: Run) -> None:
    cluster = cluster_of(run(workerAutoscaling=True, kedaMode="existing", kedaNamespace="autoscaling"))
    moved = Endpoint("keda-operator", "autoscaling", KEDA_OPERATOR.labels)
    assert allows(cluster.policies, moved, cluster.pod("postgresql"), 5432)
    assert not allows(cluster.policies, KEDA_OPERATOR, cluster.pod("postgresql"), 5432)


# --- core.parallelism ----------------------------------------------------------------------------------------------------


def parallelism_of(capture: Capture) -> set[str]:
    return {str(env_of(container).get("AIRFLOW__CORE__PARALLELISM")) for container in airflow_containers(capture).values()}


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        # 10 workers of 16 tasks, one scheduler: 160; two schedulers share it.
        ({"workerAutoscaling": True}, {"160"}),
        ({"workerAutoscaling": True, "schedulerReplicas": 2}, {"80"}),
        # Never below Airflow's own default.
        ({"workerAutoscaling": True, "workerMaxReplicas": 1, "workerConcurrency": 4}, {"32"}),
        # The team's value stands; without autoscaling the stack sets none.
        ({"workerAutoscaling": True, "airflowConfig": '{"core": {"parallelism": 64}}'}, {"64"}),
        ({}, {"None"}),
    ],
)
def test_should_let_the_scheduler_queue_enough_tasks_for_every_worker_keda_may_start(
    run: Run, values: dict[str, Any], expected: set[str]
) -> None:
    assert parallelism_of(run(**values)) == expected


@pytest.mark.parametrize(
    ("max_replicas", "parallelism", "schedulers", "expected"),
    [
        # The team's 64 per scheduler: 10 workers of 16 need 160 slots, 64 keep 4 busy; two schedulers 128, 8 busy.
        (10, "64", 1, "workerMaxReplicas (10) x workerConcurrency (16) = 160 task slots, but 1 scheduler(s) x "
         "core.parallelism (64) run at most 64 tasks at once, so at most 4 workers are ever busy"),
        (10, "64", 2, "workerMaxReplicas (10) x workerConcurrency (16) = 160 task slots, but 2 scheduler(s) x "
         "core.parallelism (64) run at most 128 tasks at once, so at most 8 workers are ever busy"),
        # One task per scheduler is still a limit (0 is none).
        (2, "1", 1, "workerMaxReplicas (2) x workerConcurrency (16) = 32 task slots, but 1 scheduler(s) x "
         "core.parallelism (1) run at most 1 tasks at once, so at most 1 workers are ever busy"),
        # Exactly enough, and more than enough.
        (4, "64", 1, None),
        (3, "64", 1, None),
    ],
)
def test_should_warn_when_the_teams_parallelism_leaves_workers_idle(
    max_replicas: int, parallelism: str, schedulers: int, expected: str | None
) -> None:
    autoscaling = replace(AUTOSCALING_SETTINGS, max_replicas=max_replicas)
    config = (EnvEntry("AIRFLOW__CORE__PARALLELISM", parallelism),)
    assert parallelism_cap(autoscaling, 16, schedulers, config) == expected


def test_should_not_warn_without_autoscaling() -> None:
    config = (EnvEntry("AIRFLOW__CORE__PARALLELISM", "1"),)
    assert parallelism_cap(replace(AUTOSCALING_SETTINGS, enabled=False), 16, 1, config) is None


@pytest.mark.parametrize("given", ["0", "lots"])
def test_should_not_warn_for_an_unlimited_or_unreadable_parallelism(given: str) -> None:
    assert parallelism_cap(AUTOSCALING_SETTINGS, 16, 1, (EnvEntry("AIRFLOW__CORE__PARALLELISM", given),)) is None


def test_should_leave_the_warning_to_the_stacks_own_parallelism_when_the_team_sets_none() -> None:
    assert parallelism_cap(AUTOSCALING_SETTINGS, 16, 1, ()) is None


# --- settings -----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (
            {"workerReplicas": 0},
            "airflow:workerReplicas = '0': must be a whole number from 1 to 100",
        ),
        (
            {"workerAutoscaling": True, "workerReplicas": 101},
            "airflow:workerReplicas = '101': must be a whole number from 0 to 100",
        ),
        (
            {"workerAutoscaling": True, "workerReplicas": 5, "workerMaxReplicas": 4},
            "airflow:workerMaxReplicas = '4': must be at least airflow:workerReplicas (5), the minimum the autoscaler keeps",
        ),
        (
            {"workerAutoscaling": True, "kedaNamespace": "airflow"},
            "airflow:kedaNamespace = 'airflow': must differ from airflow:namespace: KEDA's pods there would fall under "
            "Airflow's default-deny NetworkPolicy, and the stack's namespace is deleted with it",
        ),
        ({"kedaMode": "helm"}, "airflow:kedaMode = 'helm': must be one of install, existing"),
        (
            {"kedaNamespace": "KEDA"},
            "airflow:kedaNamespace = 'KEDA': must be a DNS-1123 label: 1 to 63 lower-case letters, digits or '-', "
            "starting and ending with a letter or digit",
        ),
        ({"workerMaxReplicas": 0}, "airflow:workerMaxReplicas = '0': must be a whole number from 1 to 100"),
        (
            {"workerAutoscalingPollingInterval": 0},
            "airflow:workerAutoscalingPollingInterval = '0': must be a whole number from 1 to 3600",
        ),
        (
            {"workerAutoscalingCooldownPeriod": 29},
            "airflow:workerAutoscalingCooldownPeriod = '29': must be a whole number from 30 to 86400",
        ),
        ({"workerAutoscaling": "sometimes"}, "airflow:workerAutoscaling = 'sometimes': must be true or false"),
    ],
)
def test_should_refuse_autoscaling_settings_that_cannot_work(values: dict[str, Any], expected: str) -> None:
    assert [p for p in settings_problems(config_of(**values)) if expected.split(" = ")[0] in p] == [expected]


def test_should_leave_the_database_urls_files_to_airflow_when_no_other_client_reads_it() -> None:
    url = "postgresql://airflow:pw@db.acme-corp.io:5432/airflow?sslmode=verify-full&sslrootcert=/etc/ssl/ca.pem"
    reader = ConfigReader(raw=config_of(externalDatabaseUrl=url).get, is_secret=lambda key: key == "airflow:externalDatabaseUrl")
    settings = read_settings(reader)
    assert (settings.postgres.external_port, settings.database_backup.enabled, settings.worker_autoscaling.enabled) == (
        5432,
        False,
        False,
    )


def test_should_name_every_client_whose_pods_lack_the_database_urls_files() -> None:
    url = "postgresql://airflow:pw@db.acme-corp.io:5432/airflow?sslrootcert=/etc/ssl/ca.pem"
    config = config_of(externalDatabaseUrl=url, databaseBackup="on", workerAutoscaling=True)
    assert settings_problems(config, secret_keys=["airflow:externalDatabaseUrl"]) == [
        "airflow:externalDatabaseUrl = (secret): its sslrootcert names a file that the pods of the backups "
        "(airflow:databaseBackup) and KEDA (airflow:workerAutoscaling) do not have: remove it (sslmode=require still "
        "encrypts), or turn those off"
    ]


def test_should_refuse_a_database_url_whose_files_kedas_pod_lacks() -> None:
    url = "postgresql://airflow:pw@db.acme-corp.io:5432/airflow?sslmode=verify-full&sslrootcert=/etc/ssl/ca.pem"
    config = config_of(externalDatabaseUrl=url, databaseBackup="off", workerAutoscaling=True)
    problems = settings_problems(config, secret_keys=["airflow:externalDatabaseUrl"])
    assert problems == [
        "airflow:externalDatabaseUrl = (secret): its sslrootcert names a file that the pods of KEDA "
        "(airflow:workerAutoscaling) do not have: remove it (sslmode=require still encrypts), or turn those off"
    ]



# --- everything on at once ------------------------------------------------------------------------------------------------

PROMETHEUS = Endpoint("prometheus", "monitoring", {"app.kubernetes.io/name": "prometheus"})
AIRFLOW_STATSD_CLIENTS = ("api-server", "dag-processor", "metadata-cleanup", "migrations", "scheduler", "triggerer", "worker")


def test_should_open_exactly_the_flows_of_autoscaling_metrics_and_pgbouncer_together() -> None:
    (render,) = [r for r in FEATURE_RENDERS if r.name == "operated"]
    cluster = cluster_of(render.run())
    pods = cluster.pods
    ports = {"TCP": (*PORTS, 6543, 9102, 9125), "UDP": (53, 9102, 9125)}
    policies = cluster.policies
    tcp, udp = (
        {(s, t, p) for s in pods for t in pods for p in ports[protocol] if allows(policies, pods[s], pods[t], p, protocol)}
        for protocol in ("TCP", "UDP")
    )
    pooled = ("api-server", "dag-processor", "metadata-cleanup", "migrations", "scheduler", "triggerer", "worker")
    assert tcp == {
        ("scheduler", "api-server", 8080),
        ("dag-processor", "api-server", 8080),
        ("triggerer", "api-server", 8080),
        ("worker", "api-server", 8080),
        ("api-server", "worker", 8793),
        ("api-server", "triggerer", 8794),
        ("scheduler", "redis", 6379),
        ("worker", "redis", 6379),
        *((client, "pgbouncer", 6543) for client in pooled),
        ("pgbouncer", "postgresql", 5432),
        ("database-backup", "postgresql", 5432),
    }
    assert udp == {(client, "statsd-exporter", 9125) for client in AIRFLOW_STATSD_CLIENTS}
    # From other namespaces: KEDA to the database, the scraper to the exporter's metrics, nobody else.
    assert allows(cluster.policies, KEDA_OPERATOR, pods["postgresql"], 5432)
    assert allows(cluster.policies, PROMETHEUS, pods["statsd-exporter"], 9102)
    assert not allows(cluster.policies, PROMETHEUS, pods["postgresql"], 5432)
    assert not allows(cluster.policies, KEDA_OPERATOR, pods["statsd-exporter"], 9102)
    assert not allows(cluster.policies, STRANGER, pods["statsd-exporter"], 9125, "UDP")
