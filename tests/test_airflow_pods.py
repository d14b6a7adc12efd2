"""Every Airflow pod of the default stack in one table: its containers, what they mount and how they are probed, the
image they run and the user they run as. Compared whole, so that a container, a mount or a probe timing that changes
shows up here (tests/test_airflow.py checks their commands and environment)."""

from __future__ import annotations

from typing import Any

from tools.harness import Capture

Probes = dict[str, tuple[int, int, int, int | None]]
Containers = dict[str, tuple[tuple[str, ...], Probes]]

IMAGE = "apache/airflow:3.3.2"
AIRFLOW_MOUNTS = ("runtime:/opt/airflow/runtime", "tmp:/tmp", "logs:/opt/airflow/logs")
GROOMER: Containers = {"log-groomer": (("logs:/opt/airflow/logs",), {})}
WAIT: Containers = {"wait-for-migrations": (AIRFLOW_MOUNTS, {})}
# (period, timeout, failures, initial delay) of each probe: `airflow jobs check` takes seconds on a busy database.
JOB_CHECK: Probes = {"livenessProbe": (60, 30, 5, 30)}

# Pod -> (service account, restart policy, container -> (volume mounts, probes)).
PODS: dict[str, tuple[str, str | None, Containers]] = {
    "airflow-api-server": (
        "airflow-api-server",
        None,
        {
            **WAIT,
            "api-server": (
                AIRFLOW_MOUNTS,
                {"livenessProbe": (20, 10, 5, None), "readinessProbe": (10, 5, 3, None), "startupProbe": (10, 5, 30, None)},
            ),
        },
    ),
    "airflow-scheduler": ("airflow-scheduler", None, {**WAIT, "scheduler": (AIRFLOW_MOUNTS, JOB_CHECK), **GROOMER}),
    "airflow-dag-processor": ("airflow-dag-processor", None, {**WAIT, "dag-processor": (AIRFLOW_MOUNTS, JOB_CHECK), **GROOMER}),
    "airflow-triggerer": ("airflow-triggerer", None, {**WAIT, "triggerer": (AIRFLOW_MOUNTS, JOB_CHECK), **GROOMER}),
    "airflow-worker": ("airflow-worker", None, {**WAIT, "worker": (AIRFLOW_MOUNTS, JOB_CHECK), **GROOMER}),
    "airflow-db-migrate": ("airflow-migrations", "OnFailure", {"migrate": (AIRFLOW_MOUNTS, {})}),
}
# uid 50000 and gid 0: the user the Airflow image is built for, in the root group that owns its writable paths.
POD_SECURITY = {
    "runAsUser": 50000,
    "runAsGroup": 0,
    "fsGroup": 0,
    "fsGroupChangePolicy": "OnRootMismatch",
    "runAsNonRoot": True,
    "seccompProfile": {"type": "RuntimeDefault"},
}


CONTAINER_SECURITY = {
    "runAsUser": 50000,
    "runAsGroup": 0,
    "runAsNonRoot": True,
    "privileged": False,
    "allowPrivilegeEscalation": False,
    "readOnlyRootFilesystem": True,
    "capabilities": {"drop": ["ALL"]},
    "seccompProfile": {"type": "RuntimeDefault"},
}
# The ports Airflow containers open, by pod and container: the UI, and the log servers the api-server reads task logs
# from. No other Airflow container listens.
PORTS = {
    ("airflow-api-server", "api-server"): [("airflow-ui", 8080)],
    ("airflow-worker", "worker"): [("worker-logs", 8793)],
    ("airflow-triggerer", "triggerer"): [("triggerer-logs", 8794)],
}


def airflow_pods(capture: Capture) -> dict[str, dict[str, Any]]:
    found = {}
    for registration in capture.kubernetes_objects():
        inputs = registration.plain_inputs
        if inputs["kind"] in {"Deployment", "StatefulSet", "Job"} and registration.name.startswith("airflow-"):
            found[registration.name] = inputs["spec"]["template"]["spec"]
    return found


def test_should_run_exactly_these_airflow_pods_and_containers(default_run: Capture) -> None:
    def probes(container: dict[str, Any]) -> Probes:
        return {
            kind: (p["periodSeconds"], p["timeoutSeconds"], p["failureThreshold"], p.get("initialDelaySeconds"))
            for kind in ("livenessProbe", "readinessProbe", "startupProbe")
            if (p := container.get(kind))
        }

    found = {
        name: (
            spec["serviceAccountName"],
            spec.get("restartPolicy"),
            {
                c["name"]: (tuple(f"{m['name']}:{m['mountPath']}" for m in c["volumeMounts"]), probes(c))
                for c in spec.get("initContainers", []) + spec["containers"]
            },
        )
        for name, spec in airflow_pods(default_run).items()
    }
    assert found == PODS


def test_should_run_every_airflow_container_from_the_configured_image_as_airflow(default_run: Capture) -> None:
    for name, spec in airflow_pods(default_run).items():
        assert spec["securityContext"] == POD_SECURITY, name
        for container in spec.get("initContainers", []) + spec["containers"]:
            where = f"{name}/{container['name']}"
            assert (container["image"], container["imagePullPolicy"]) == (IMAGE, "IfNotPresent"), where
            assert container["securityContext"] == CONTAINER_SECURITY, where


def test_should_open_exactly_these_ports_in_airflow_containers(default_run: Capture) -> None:
    found = {
        (name, container["name"]): [(port["name"], port["containerPort"]) for port in container["ports"]]
        for name, spec in airflow_pods(default_run).items()
        for container in spec.get("initContainers", []) + spec["containers"]
        if "ports" in container
    }
    assert found == PORTS
