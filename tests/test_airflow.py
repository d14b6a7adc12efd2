"""AirflowCore: the Airflow 3 processes, their env, probes, security and the migration Job."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import os
import re
import stat
import subprocess
from pathlib import Path
from typing import Any

import pulumi
import pytest

from components.airflow import API_SERVICE_NAME, SAFE_TO_EVICT_ANNOTATION, SECRETS_DIGEST_ANNOTATION
from components.kube import secrets_digest
from components.worker_logs import POD_SECURITY_EXCEPTION_ANNOTATION, POD_SECURITY_EXCEPTION_REASON
from tests.conftest import Run, settings_problems
from tools.harness import Capture, is_secret, reveal

DEPLOYMENTS = {
    "airflow-api-server": ["api-server"],
    "airflow-scheduler": ["scheduler"],
    "airflow-dag-processor": ["dag-processor"],
    "airflow-triggerer": ["triggerer"],
}
LONG_RUNNING = [("Deployment", name) for name in DEPLOYMENTS] + [("StatefulSet", "airflow-worker")]
DATABASE_A = "postgresql://airflow:first-password@db-a.example.com:5432/airflow"
DATABASE_B = "postgresql://airflow:other-password@db-b.example.com:5432/airflow"
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
REPLICA_KEYS = [
    ("apiServerReplicas", "Deployment", "airflow-api-server"),
    ("schedulerReplicas", "Deployment", "airflow-scheduler"),
    ("dagProcessorReplicas", "Deployment", "airflow-dag-processor"),
    ("triggererReplicas", "Deployment", "airflow-triggerer"),
    ("workerReplicas", "StatefulSet", "airflow-worker"),
]


def pod_spec(capture: Capture, kind: str, name: str) -> dict[str, Any]:
    spec: dict[str, Any] = capture.object(kind, name)["spec"]["template"]["spec"]
    return spec


def main_container(capture: Capture, kind: str, name: str) -> dict[str, Any]:
    containers: list[dict[str, Any]] = pod_spec(capture, kind, name)["containers"]
    return containers[0]


def env_of(container: dict[str, Any]) -> dict[str, Any]:
    return {item["name"]: item.get("value", item.get("valueFrom")) for item in container.get("env", [])}


def migration_job(capture: Capture) -> dict[str, Any]:
    jobs = [r.plain_inputs for r in capture.kubernetes_objects() if r.inputs.get("kind") == "Job"]
    assert len(jobs) == 1, "expected exactly one migration Job"
    return jobs[0]


def job_name(capture: Capture) -> str:
    name: str = migration_job(capture)["metadata"]["name"]
    return name


def digests(capture: Capture) -> dict[str, str]:
    """The secrets digest annotation of each long-running workload's pod template."""
    return {
        name: capture.object(kind, name)["spec"]["template"]["metadata"]["annotations"][SECRETS_DIGEST_ANNOTATION]
        for kind, name in LONG_RUNNING
    }


def secret_values(capture: Capture) -> dict[str, str]:
    data: dict[str, str] = capture.object("Secret", "airflow-secrets")["stringData"]
    return data


def migration_script(capture: Capture) -> str:
    script: str = migration_job(capture)["spec"]["template"]["spec"]["containers"][0]["args"][-1]
    return script


@pytest.mark.parametrize(("name", "args"), DEPLOYMENTS.items())
def test_should_run_each_airflow_3_process_as_a_deployment(default_run: Capture, name: str, args: list[str]) -> None:
    assert main_container(default_run, "Deployment", name)["args"] == args, name


def test_should_give_the_worker_statefulset_exactly_this_spec(default_run: Capture) -> None:
    """Parallel: workers are interchangeable, so a scale-up starts them all at once (OrderedReady would wait for each
    to be Ready); the claims are kept on scale-down and destroy."""
    spec = {k: v for k, v in default_run.object("StatefulSet", "airflow-worker")["spec"].items() if k != "template"}
    assert spec == {
        "replicas": 1,
        "serviceName": "airflow-worker",
        "podManagementPolicy": "Parallel",
        "selector": {"matchLabels": {"app.kubernetes.io/name": "airflow", "app.kubernetes.io/component": "worker"}},
        "persistentVolumeClaimRetentionPolicy": {"whenScaled": "Retain", "whenDeleted": "Retain"},
        "volumeClaimTemplates": [
            {
                "metadata": {
                    "name": "logs",
                    "labels": {
                        "app.kubernetes.io/part-of": "airflow",
                        "app.kubernetes.io/name": "airflow",
                        "app.kubernetes.io/managed-by": "pulumi",
                        "app.kubernetes.io/component": "worker-logs",
                    },
                },
                "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "10Gi"}}},
            }
        ],
    }


def test_should_skip_the_liveness_check_only_where_a_sidecar_has_no_probe(default_run: Capture) -> None:
    """The log groomer runs without a liveness probe: checkov's liveness check (CKV_K8S_8) is skipped on the
    workloads that run it, and on no other."""
    skipped = {
        r.plain_inputs["metadata"]["name"]: sorted(
            value.partition("=")[0]
            for key, value in r.plain_inputs["metadata"].get("annotations", {}).items()
            if key.startswith("checkov.io/skip")
        )
        for r in default_run.kubernetes_objects()
        if r.inputs.get("kind") in ("Deployment", "StatefulSet")
    }
    groomed = ["CKV_K8S_15", "CKV_K8S_35", "CKV_K8S_43", "CKV_K8S_8", "CKV_K8S_9"]
    assert skipped == {
        "airflow-api-server": ["CKV_K8S_15", "CKV_K8S_35", "CKV_K8S_43"],
        "airflow-dag-processor": groomed,
        "airflow-postgresql": ["CKV_K8S_15", "CKV_K8S_35", "CKV_K8S_40", "CKV_K8S_43"],
        "airflow-redis": ["CKV_K8S_15", "CKV_K8S_35", "CKV_K8S_40", "CKV_K8S_43"],
        "airflow-scheduler": groomed,
        "airflow-triggerer": groomed,
        "airflow-worker": groomed,
    }


def test_should_give_every_airflow_pod_bounded_scratch_space_and_no_service_links(default_run: Capture) -> None:
    """Writable directories on a read-only root filesystem, each an emptyDir with a limit; the worker's logs are on
    its claim and its /tmp larger (tasks write there). No service links: a namespace's Services would otherwise be
    injected into every process's environment."""
    workloads = {
        r.plain_inputs["metadata"]["name"]: r.plain_inputs["spec"]["template"]["spec"]
        for r in default_run.kubernetes_objects()
        if r.inputs.get("kind") in ("Deployment", "StatefulSet", "Job")
        and r.plain_inputs["metadata"]["labels"]["app.kubernetes.io/component"]
        in ("api-server", "scheduler", "dag-processor", "triggerer", "worker", "migrations")
    }
    scratch = {
        name: {volume["name"]: volume["emptyDir"] for volume in spec["volumes"] if "emptyDir" in volume}
        for name, spec in workloads.items()
    }
    small = {"runtime": {"sizeLimit": "256Mi"}, "tmp": {"sizeLimit": "256Mi"}, "logs": {"sizeLimit": "1Gi"}}
    assert scratch == {
        "airflow-api-server": small,
        "airflow-scheduler": small,
        "airflow-dag-processor": small,
        "airflow-triggerer": small,
        job_name(default_run): small,
        "airflow-worker": {"runtime": {"sizeLimit": "256Mi"}, "tmp": {"sizeLimit": "2Gi"}},
    }
    assert {name: spec["enableServiceLinks"] for name, spec in workloads.items()} == dict.fromkeys(workloads, False)


def test_should_size_the_migration_container_from_its_settings(run: Run) -> None:
    capture = run(migrationsCpuRequest="300m", migrationsMemoryLimit="2Gi")
    container = migration_job(capture)["spec"]["template"]["spec"]["containers"][0]
    assert container["resources"] == {"requests": {"cpu": "300m", "memory": "512Mi"}, "limits": {"cpu": "1", "memory": "2Gi"}}


def test_should_give_the_triggerer_its_ip_address_as_its_host_name(default_run: Capture) -> None:
    """The api-server fetches a deferred task's log from the triggerer that ran it, by the name it reported."""
    triggerer = env_of(main_container(default_run, "Deployment", "airflow-triggerer"))
    assert triggerer["AIRFLOW__CORE__HOSTNAME_CALLABLE"] == "airflow.utils.net.get_host_ip_address"


def test_should_give_the_migration_job_half_an_hour_and_six_retries(default_run: Capture) -> None:
    """A migration of a big metadatabase takes minutes; the deadline stops a hung one (a lock held by a pod of the
    old version) from blocking `pulumi up` for ever."""
    spec = {k: v for k, v in migration_job(default_run)["spec"].items() if k != "template"}
    assert spec == {"activeDeadlineSeconds": 1800, "backoffLimit": 6}


def test_should_create_the_admin_named_by_the_stack(run: Run) -> None:
    main = migration_job(run(adminUsername="ops-admin", adminEmail="ops@acme-corp.io"))["spec"]["template"]["spec"][
        "containers"
    ][0]
    assert {key: value for key, value in env_of(main).items() if key.startswith("ADMIN_")} == {
        "ADMIN_USERNAME": "ops-admin",
        "ADMIN_EMAIL": "ops@acme-corp.io",
        "ADMIN_PASSWORD": {"secretKeyRef": {"key": "admin-password", "name": "airflow-secrets"}},
    }


@pytest.mark.parametrize(("kind", "name"), [("StatefulSet", "airflow-worker"), ("Deployment", "airflow-scheduler")])
def test_should_run_airflow_pods_as_airflow_in_group_0_owning_their_volumes(default_run: Capture, kind: str, name: str) -> None:
    assert pod_spec(default_run, kind, name)["securityContext"] == {
        "fsGroup": 0,
        "fsGroupChangePolicy": "OnRootMismatch",
        "runAsGroup": 0,
        "runAsNonRoot": True,
        "runAsUser": 50000,
        "seccompProfile": {"type": "RuntimeDefault"},
    }, f"{kind}/{name}"


def test_should_migrate_then_create_the_admin_in_a_job_labelled_migrations(default_run: Capture) -> None:
    job = migration_job(default_run)
    assert job["spec"]["template"]["spec"]["containers"][0]["args"] == [
        "bash",
        "-c",
        "airflow db migrate && printf '%s\\n%s\\n' \"$ADMIN_PASSWORD\" \"$ADMIN_PASSWORD\" | airflow users create --role Admin "
        '--username "$ADMIN_USERNAME" --email "$ADMIN_EMAIL" --firstname Airflow --lastname Admin',
    ]
    assert job["spec"]["template"]["metadata"]["labels"] == {
        "app.kubernetes.io/component": "migrations",
        "app.kubernetes.io/managed-by": "pulumi",
        "app.kubernetes.io/name": "airflow",
        "app.kubernetes.io/part-of": "airflow",
    }
    assert sorted(job["metadata"]["annotations"]) == ["checkov.io/skip1", "checkov.io/skip2", "checkov.io/skip3"]


def test_should_run_celery_workers_as_a_statefulset_behind_their_headless_service(default_run: Capture) -> None:
    worker = default_run.object("StatefulSet", "airflow-worker")
    assert main_container(default_run, "StatefulSet", "airflow-worker")["args"] == ["celery", "worker"]
    assert worker["spec"]["serviceName"] == "airflow-worker"
    assert default_run.object("Service", "airflow-worker")["spec"]["clusterIP"] == "None"


@pytest.mark.parametrize(("kind", "name"), LONG_RUNNING)
def test_should_give_every_airflow_container_the_env_airflow_3_needs(default_run: Capture, kind: str, name: str) -> None:
    env = env_of(main_container(default_run, kind, name))
    assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor", name
    assert env["AIRFLOW__CORE__LOAD_EXAMPLES"] == "False", name
    assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://airflow-webserver.airflow.svc:8080/execution/", name
    assert env["AIRFLOW__CORE__AUTH_MANAGER"].endswith("FabAuthManager"), name
    for variable, key in [
        ("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "sql-alchemy-conn"),
        ("AIRFLOW__CELERY__BROKER_URL", "broker-url"),
        ("AIRFLOW__CORE__FERNET_KEY", "fernet-key"),
        ("AIRFLOW__API__SECRET_KEY", "api-secret-key"),
        ("AIRFLOW__API_AUTH__JWT_SECRET", "jwt-secret"),
    ]:
        assert env[variable] == {"secretKeyRef": {"name": "airflow-secrets", "key": key}}, (name, variable)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("AIRFLOW__API__BASE_URL", None),  # the UI's URL
        ("AIRFLOW__FAB__COOKIE_SECURE", "True"),
        ("AIRFLOW__FAB__ENABLE_PROXY_FIX", "True"),
    ],
)
def test_should_set_what_only_the_api_server_needs_on_the_api_server_only(
    default_run: Capture, variable: str, value: str | None
) -> None:
    having = {
        name: env_of(main_container(default_run, kind, name))[variable]
        for kind, name in LONG_RUNNING
        if variable in env_of(main_container(default_run, kind, name))
    }
    assert having == {"airflow-api-server": value or default_run.outputs["url"]}, variable


@pytest.mark.parametrize(("kind", "name"), LONG_RUNNING)
def test_should_wait_for_migrations_before_starting(default_run: Capture, kind: str, name: str) -> None:
    init = [c for c in pod_spec(default_run, kind, name).get("initContainers", []) if c["name"] == "wait-for-migrations"]
    assert len(init) == 1, name
    assert init[0]["args"][:2] == ["db", "check-migrations"], name


def test_should_migrate_and_create_the_admin_in_a_job_that_does_not_wait_for_itself(default_run: Capture) -> None:
    job = migration_job(default_run)
    spec = job["spec"]["template"]["spec"]
    script = spec["containers"][0]["args"][-1]
    assert script.startswith("airflow db migrate && "), script
    assert "| airflow users create --role Admin " in script, script
    assert "wait-for-migrations" not in [c["name"] for c in spec.get("initContainers", [])]
    assert env_of(spec["containers"][0])["ADMIN_PASSWORD"] == {
        "secretKeyRef": {"name": "airflow-secrets", "key": "admin-password"}
    }


def test_should_rerun_the_migration_job_when_the_image_changes(run: Run) -> None:
    first, second = job_name(run(airflowImageTag="3.3.1")), job_name(run(airflowImageTag="3.3.2"))
    assert first != second, "migration Job"
    assert first.startswith("airflow-db-migrate-"), first
    assert second.startswith("airflow-db-migrate-"), second


def test_should_rerun_the_migration_job_when_the_database_changes(run: Run) -> None:
    first = job_name(run(secrets={"externalDatabaseUrl": DATABASE_A}))
    second = job_name(run(secrets={"externalDatabaseUrl": DATABASE_B}))
    assert first != second, "migration Job"


@pytest.mark.parametrize("secrets", [None, {"externalDatabaseUrl": DATABASE_A}])
def test_should_name_the_migration_job_as_a_dns_label(run: Run, secrets: dict[str, str] | None) -> None:
    name = job_name(run(secrets=secrets))
    assert len(name) <= 63, name
    assert DNS_LABEL.match(name), name


def test_should_restart_every_airflow_workload_when_the_secret_changes(run: Run) -> None:
    first = digests(run(secrets={"externalDatabaseUrl": DATABASE_A}))
    second = digests(run(secrets={"externalDatabaseUrl": DATABASE_B}))
    for name in first:
        assert first[name] != second[name], name


SECRET_DATA = {
    "sql-alchemy-conn": "postgresql+psycopg2://airflow:a@db:5432/airflow",
    "broker-url": "redis://:b@broker:6379/0",
    "fernet-key": "c",
    "api-secret-key": "d",
    "jwt-secret": "e",
    "admin-password": "f",
}


def test_should_keep_airflows_credentials_in_one_opaque_secret(default_run: Capture) -> None:
    secret = default_run.object("Secret", "airflow-secrets")
    assert {key: value for key, value in secret.items() if key != "stringData"} == {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "labels": {
                "app.kubernetes.io/component": "airflow",
                "app.kubernetes.io/managed-by": "pulumi",
                "app.kubernetes.io/name": "airflow",
                "app.kubernetes.io/part-of": "airflow",
            },
            "name": "airflow-secrets",
            "namespace": "airflow",
        },
        "type": "Opaque",
    }
    assert sorted(secret["stringData"]) == [
        "admin-password", "api-secret-key", "broker-url", "fernet-key", "jwt-secret", "sql-alchemy-conn",
    ]  # fmt: skip


def test_should_digest_the_secret_data_as_sorted_compact_json_with_hmac_sha256_under_the_key() -> None:
    """The formula itself: a change to it changes every digest, so `pulumi up` would restart every pod once."""
    data = {"database-url": "postgresql://y", "broker-url": "redis://x"}
    message = b'airflow.pulumi.io/secrets-digest\n{"broker-url":"redis://x","database-url":"postgresql://y"}'

    async def digest() -> str:
        return str(await secrets_digest(data, pulumi.Output.secret("generated-key")).future())

    assert asyncio.run(digest()) == hmac.new(b"generated-key", message, hashlib.sha256).hexdigest()


@pytest.mark.parametrize("changed", sorted(SECRET_DATA))
def test_should_change_the_digest_with_any_one_value_of_the_secret(changed: str) -> None:
    """Every key counts: a rotated broker password must roll the pods as surely as a new database URL."""

    async def both() -> tuple[str, str]:
        before = await secrets_digest(SECRET_DATA, "key").future()
        after = await secrets_digest({**SECRET_DATA, changed: SECRET_DATA[changed] + "-rotated"}, "key").future()
        return str(before), str(after)

    before, after = asyncio.run(both())
    assert before != after, changed


def test_should_give_every_airflow_workload_the_same_digest_for_the_same_config(run: Run, default_run: Capture) -> None:
    again = digests(run())
    assert again == digests(default_run)
    assert len(set(again.values())) == 1, "every workload reads the same Secret"
    assert job_name(run()) == job_name(default_run), "migration Job"


def test_should_reveal_no_secret_value_in_the_digest(run: Run) -> None:
    capture = run(secrets={"externalDatabaseUrl": DATABASE_A})
    values = secret_values(capture)
    assert values["sql-alchemy-conn"] == DATABASE_A
    for name, digest in digests(capture).items():
        assert re.fullmatch(r"[0-9a-f]{64}", digest), name
        for key, value in values.items():
            assert value not in digest, (name, key)
            assert digest not in value, (name, key)
            # An unkeyed hash of a value could be checked against guesses (a database URL is easy to guess).
            assert digest != hashlib.sha256(value.encode()).hexdigest(), (name, key)
    for key, value in values.items():
        assert value not in job_name(capture), ("migration Job", key)


@pytest.mark.parametrize(("kind", "name"), LONG_RUNNING)
def test_should_keep_the_digest_and_the_job_name_unsecret_so_a_diff_shows_them(
    default_run: Capture, kind: str, name: str
) -> None:
    """A preview of an existing stack then names the pods that roll and the Job that runs again."""
    [workload] = [
        r
        for r in default_run.kubernetes_objects()
        if r.inputs.get("kind") == kind and reveal(r.inputs["metadata"]).get("name") == name
    ]
    annotation = workload.inputs["spec"]["template"]["metadata"]["annotations"][SECRETS_DIGEST_ANNOTATION]
    assert not is_secret(annotation), name
    [job] = [r for r in default_run.kubernetes_objects() if r.inputs.get("kind") == "Job"]
    assert not is_secret(job.inputs["metadata"]["name"]), "migration Job"


def test_should_keep_the_worker_pod_annotations_of_worker_logs(run: Run) -> None:
    annotations = run(workerLogsFixPermissions=True).object("StatefulSet", "airflow-worker")["spec"]["template"]["metadata"][
        "annotations"
    ]
    assert SECRETS_DIGEST_ANNOTATION in annotations, "airflow-worker"
    assert annotations[POD_SECURITY_EXCEPTION_ANNOTATION] == POD_SECURITY_EXCEPTION_REASON, "airflow-worker"


def test_should_not_pass_the_admin_password_as_an_argument(default_run: Capture) -> None:
    script = migration_script(default_run)
    assert "--password" not in script, script
    assert "--use-random-password" not in script, script


def test_should_feed_the_admin_password_twice_on_stdin_and_never_in_argv(default_run: Capture, tmp_path: Path) -> None:
    # The real script under bash, with a stand-in `airflow` that records its arguments and its stdin.
    fake = tmp_path / "airflow"
    fake.write_text('#!/bin/sh\nprintf "%s\\n" "$*" >> "$RECORD/argv"\nif [ "$1" = users ]; then cat > "$RECORD/stdin"; fi\n')
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    password = "pw-that-must-stay-out-of-argv"
    env = {
        "PATH": f"{tmp_path}{os.pathsep}{os.environ['PATH']}",
        "RECORD": str(tmp_path),
        "ADMIN_USERNAME": "admin",
        "ADMIN_EMAIL": "admin@example.com",
        "ADMIN_PASSWORD": password,
    }
    command = migration_job(default_run)["spec"]["template"]["spec"]["containers"][0]["args"]
    assert command[:2] == ["bash", "-c"], command
    subprocess.run(command, env=env, check=True, timeout=30)
    argv = (tmp_path / "argv").read_text().splitlines()
    assert argv[0] == "db migrate", argv
    assert argv[1].startswith("users create --role Admin --username admin"), argv
    assert password not in "".join(argv), "the password reached a process's arguments"
    assert (tmp_path / "stdin").read_text() == f"{password}\n{password}\n", "FAB reads it twice (getpass and repeat)"


@pytest.mark.parametrize(
    ("kind", "name", "probe", "expected"),
    [
        ("Deployment", "airflow-api-server", "livenessProbe", {"path": "/api/v2/monitor/health", "port": "airflow-ui"}),
        ("Deployment", "airflow-api-server", "readinessProbe", {"path": "/api/v2/monitor/health", "port": "airflow-ui"}),
        ("Deployment", "airflow-api-server", "startupProbe", {"path": "/api/v2/monitor/health", "port": "airflow-ui"}),
    ],
)
def test_should_probe_the_api_server_health_endpoint(
    default_run: Capture, kind: str, name: str, probe: str, expected: dict[str, str]
) -> None:
    assert main_container(default_run, kind, name)[probe]["httpGet"] == expected, (name, probe)


@pytest.mark.parametrize(
    ("name", "job_type"),
    [("airflow-scheduler", "SchedulerJob"), ("airflow-dag-processor", "DagProcessorJob"), ("airflow-triggerer", "TriggererJob")],
)
def test_should_check_the_local_job_heartbeat_for_liveness(default_run: Capture, name: str, job_type: str) -> None:
    command = main_container(default_run, "Deployment", name)["livenessProbe"]["exec"]["command"]
    assert command == ["airflow", "jobs", "check", "--job-type", job_type, "--local"], name


def test_should_ping_this_celery_worker_for_liveness(default_run: Capture) -> None:
    worker = main_container(default_run, "StatefulSet", "airflow-worker")
    assert worker["livenessProbe"]["exec"]["command"] == [
        "sh",
        "-c",
        'exec celery --app airflow.providers.celery.executors.celery_executor.app inspect ping -d "celery@$(hostname)"',
    ]


@pytest.mark.parametrize("component", ["api-server", "scheduler", "dag-processor", "triggerer"])
def test_should_select_each_deployments_pods_by_name_and_component(default_run: Capture, component: str) -> None:
    """A Deployment's selector cannot change once it exists: another one would make `pulumi up` replace it."""
    selector = default_run.object("Deployment", f"airflow-{component}")["spec"]["selector"]
    assert selector == {"matchLabels": {"app.kubernetes.io/name": "airflow", "app.kubernetes.io/component": component}}


def test_should_let_workers_finish_tasks_on_shutdown(default_run: Capture) -> None:
    assert env_of(main_container(default_run, "StatefulSet", "airflow-worker"))["DUMB_INIT_SETSID"] == "0"
    assert pod_spec(default_run, "StatefulSet", "airflow-worker")["terminationGracePeriodSeconds"] == 600


@pytest.mark.parametrize(("grace", "safe_to_evict", "annotation"), [(86400, True, "true"), (30, False, "false")])
def test_should_take_the_workers_grace_period_and_eviction_from_settings(
    run: Run, grace: int, safe_to_evict: bool, annotation: str
) -> None:
    capture = run(workerTerminationGracePeriod=grace, workerSafeToEvict=safe_to_evict)
    assert pod_spec(capture, "StatefulSet", "airflow-worker")["terminationGracePeriodSeconds"] == grace
    worker_annotations = capture.object("StatefulSet", "airflow-worker")["spec"]["template"]["metadata"]["annotations"]
    assert worker_annotations[SAFE_TO_EVICT_ANNOTATION] == annotation


def test_should_let_a_cluster_autoscaler_evict_workers_by_default(default_run: Capture) -> None:
    annotations = default_run.object("StatefulSet", "airflow-worker")["spec"]["template"]["metadata"]["annotations"]
    assert annotations["cluster-autoscaler.kubernetes.io/safe-to-evict"] == "true", "the annotation's name is the autoscaler's"
    others = [
        name
        for kind, name in LONG_RUNNING
        if name != "airflow-worker"
        and SAFE_TO_EVICT_ANNOTATION in default_run.object(kind, name)["spec"]["template"]["metadata"]["annotations"]
    ]
    assert others == [], "only the workers opt in"


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        (
            "workerTerminationGracePeriod",
            "10",
            "airflow:workerTerminationGracePeriod = '10': must be a whole number from 30 to 86400",
        ),
        (
            "workerTerminationGracePeriod",
            "86401",
            "airflow:workerTerminationGracePeriod = '86401': must be a whole number from 30 to 86400",
        ),
        ("workerSafeToEvict", "maybe", "airflow:workerSafeToEvict = 'maybe': must be true or false"),
    ],
)
def test_should_refuse_a_bad_worker_shutdown_setting(key: str, value: str, message: str) -> None:
    assert settings_problems({f"airflow:{key}": value}) == [message]


def test_should_expose_the_api_server_under_the_seed_service_name(default_run: Capture) -> None:
    service = default_run.object("Service", API_SERVICE_NAME)
    assert service["spec"]["ports"] == [{"name": "airflow-ui", "port": 8080, "targetPort": "airflow-ui"}]
    assert service["spec"]["selector"]["app.kubernetes.io/component"] == "api-server"


@pytest.mark.parametrize(("key", "kind", "name"), REPLICA_KEYS)
def test_should_take_replica_counts_from_config(run: Run, key: str, kind: str, name: str) -> None:
    assert run(**{key: 3}).object(kind, name)["spec"]["replicas"] == 3, name


@pytest.mark.parametrize(
    ("prefix", "kind", "name"),
    [
        ("apiServer", "Deployment", "airflow-api-server"),
        ("scheduler", "Deployment", "airflow-scheduler"),
        ("dagProcessor", "Deployment", "airflow-dag-processor"),
        ("triggerer", "Deployment", "airflow-triggerer"),
        ("worker", "StatefulSet", "airflow-worker"),
        ("postgres", "StatefulSet", "airflow-postgresql"),
        ("redis", "Deployment", "airflow-redis"),
    ],
)
def test_should_take_requests_and_limits_from_config(run: Run, prefix: str, kind: str, name: str) -> None:
    capture = run(**{f"{prefix}CpuRequest": "123m", f"{prefix}MemoryLimit": "3Gi"})
    resources = main_container(capture, kind, name)["resources"]
    assert resources["requests"]["cpu"] == "123m", name
    assert resources["limits"]["memory"] == "3Gi", name


def test_should_take_migration_job_resources_from_config(run: Run) -> None:
    job = migration_job(run(migrationsCpuLimit="3"))
    assert job["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["cpu"] == "3"


def test_should_give_each_process_its_own_service_account_without_a_token(default_run: Capture) -> None:
    accounts = {
        r.plain_inputs["metadata"]["name"]: r.plain_inputs
        for r in default_run.kubernetes_objects()
        if r.inputs.get("kind") == "ServiceAccount"
    }
    workloads = [*LONG_RUNNING, ("StatefulSet", "airflow-postgresql"), ("Deployment", "airflow-redis")]
    used = [pod_spec(default_run, kind, name)["serviceAccountName"] for kind, name in workloads]
    assert len(set(used)) == len(workloads)
    for name in used:
        assert accounts[name]["automountServiceAccountToken"] is False, name


def test_should_harden_every_pod_and_container(default_run: Capture) -> None:
    pods = [
        (r.name, r.plain_inputs["spec"]["template"]["spec"])
        for r in default_run.kubernetes_objects()
        if r.inputs.get("kind") in ("Deployment", "StatefulSet", "Job")
    ]
    assert len(pods) >= 8, "api-server, scheduler, dag-processor, triggerer, worker, migrations, postgres, redis"
    for name, spec in pods:
        assert spec["automountServiceAccountToken"] is False, name
        assert spec["securityContext"]["runAsNonRoot"] is True, name
        for container in spec["containers"] + spec.get("initContainers", []):
            context = container["securityContext"]
            where = f"{name}/{container['name']}"
            assert context["allowPrivilegeEscalation"] is False, where
            assert context["capabilities"] == {"drop": ["ALL"]}, where
            assert context["seccompProfile"] == {"type": "RuntimeDefault"}, where
            assert context["readOnlyRootFilesystem"] is True, where
            assert context["runAsNonRoot"] is True, where


@pytest.mark.parametrize(("kind", "name"), LONG_RUNNING)
def test_should_keep_airflow_writes_on_writable_volumes(default_run: Capture, kind: str, name: str) -> None:
    mounts = {m["mountPath"] for m in main_container(default_run, kind, name)["volumeMounts"]}
    assert {"/opt/airflow/runtime", "/tmp"} <= mounts, name
    env = env_of(main_container(default_run, kind, name))
    assert env["AIRFLOW_CONFIG"] == "/opt/airflow/runtime/airflow.cfg", name
    assert env["AIRFLOW__FAB__CONFIG_FILE"] == "/opt/airflow/runtime/webserver_config.py", name


@pytest.mark.parametrize(("kind", "name"), [*LONG_RUNNING, ("Job", None)])
def test_should_not_hide_the_config_folder_of_a_custom_image(default_run: Capture, kind: str, name: str | None) -> None:
    spec = migration_job(default_run)["spec"]["template"]["spec"] if kind == "Job" else pod_spec(default_run, kind, name or "")
    for container in spec["containers"] + spec.get("initContainers", []):
        paths = [m["mountPath"] for m in container.get("volumeMounts", [])]
        assert not any(p.rstrip("/") == "/opt/airflow/config" for p in paths), f"{name or 'migration Job'}/{container['name']}"


@pytest.mark.parametrize(("kind", "name", "size"), [*[(k, n, "256Mi") for k, n in LONG_RUNNING[:-1]], (*LONG_RUNNING[-1], "2Gi")])
def test_should_give_worker_tasks_more_room_in_tmp_than_other_processes(
    default_run: Capture, kind: str, name: str, size: str
) -> None:
    volumes = {v["name"]: v for v in pod_spec(default_run, kind, name)["volumes"]}
    tmp = [m["name"] for m in main_container(default_run, kind, name)["volumeMounts"] if m["mountPath"] == "/tmp"]
    assert len(tmp) == 1, name
    assert volumes[tmp[0]]["emptyDir"] == {"sizeLimit": size}, name


def test_should_label_the_namespace_to_enforce_the_restricted_pod_security_standard(default_run: Capture) -> None:
    labels = default_run.object("Namespace", "airflow")["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"


def test_should_put_every_airflow_object_in_the_configured_namespace(run: Run) -> None:
    capture = run(namespace="data-platform")
    # The edge's own objects (the CA certificate in cert-manager's namespace) live where their controllers are.
    edge_namespaces = {"cert-manager", "ingress"}
    placed = {
        registration.name: registration.plain_inputs["metadata"].get("namespace")
        for registration in capture.kubernetes_objects()
        if registration.inputs["kind"] not in ("Namespace", "ClusterIssuer", "IngressClass")
    }
    misplaced = {name: ns for name, ns in placed.items() if ns != "data-platform" and ns not in edge_namespaces}
    assert not misplaced
    assert placed["airflow-secrets"] == placed["airflow-worker"] == placed["postgres-data"] == "data-platform"


@pytest.mark.parametrize(
    ("name", "groomed"),
    [("airflow-api-server", False), ("airflow-scheduler", True), ("airflow-dag-processor", True), ("airflow-triggerer", True)],
)
def test_should_groom_the_local_logs_of_the_processes_that_write_them(default_run: Capture, name: str, groomed: bool) -> None:
    spec = pod_spec(default_run, "Deployment", name)
    groomers = [c for c in spec["containers"] if c["name"] == "log-groomer"]
    assert len(groomers) == (1 if groomed else 0), name
    if groomed:
        env = env_of(groomers[0])
        assert env["LOGS"] == "/opt/airflow/logs", name
        assert env["RETENTION_DAYS"] == "1", f"{name}: a day of diagnostics fits the emptyDir"
        logs_volume = next(v for v in spec["volumes"] if v["name"] == "logs")
        assert "emptyDir" in logs_volume, name
