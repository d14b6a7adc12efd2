"""WorkerLogs: each worker's logs volume, its retention, the headless Service, the hostname, the groomer, bad input."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from components.log_groomer import GROOMER_SCRIPT
from components.settings import ConfigReader, SettingsError, config_schema, read_settings
from components.worker_logs import PERMISSIONS_FIX_NAME, POD_SECURITY_EXCEPTION_ANNOTATION
from tests.conftest import Run
from tools.harness import Capture
from tools.render import manifest
from tools.validate import KUBERNETES_VERSIONS, validate_object

WORKERS = ("StatefulSet", "airflow-worker")
LOGS_PATH = "/opt/airflow/logs"
DAY = 24 * 3600


def workers(capture: Capture) -> dict[str, Any]:
    return capture.object(*WORKERS)


def pod_spec(capture: Capture) -> dict[str, Any]:
    spec: dict[str, Any] = workers(capture)["spec"]["template"]["spec"]
    return spec


def container(capture: Capture, name: str, init: bool = False) -> dict[str, Any]:
    containers: list[dict[str, Any]] = pod_spec(capture).get("initContainers" if init else "containers", [])
    found = [c for c in containers if c["name"] == name]
    assert len(found) == 1, f"airflow-worker: expected one {'init ' if init else ''}container {name!r}"
    return found[0]


def env_of(item: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in item.get("env", [])}


def logs_volumes(capture: Capture) -> list[dict[str, Any]]:
    return [v for v in pod_spec(capture).get("volumes", []) if v["name"] == "logs"]


def default_of(key: str) -> Any:
    return config_schema()[key]["default"]


# --- the volume -----------------------------------------------------------------------------------------------------

MODES = [
    # persistence, storage class, expected claim template's class (None: key absent), expected emptyDir
    (True, "", None, False),
    (True, "yc-network-hdd", "yc-network-hdd", False),
    (False, "", None, True),
    (False, "yc-network-hdd", None, True),
]


@pytest.mark.parametrize(
    ("persistence", "storage_class", "claim_class", "empty_dir"),
    MODES,
    ids=[f"persistence={p}-class={c or 'default'}" for p, c, _, _ in MODES],
)
def test_should_give_each_worker_a_claim_or_an_empty_dir(
    run: Run, persistence: bool, storage_class: str, claim_class: str | None, empty_dir: bool
) -> None:
    capture = run(workerLogsPersistence=persistence, workerLogsStorageClass=storage_class, workerLogsSize="7Gi")
    spec = workers(capture)["spec"]
    templates = spec.get("volumeClaimTemplates") or []
    if empty_dir:
        assert templates == [], "airflow-worker: no claims without persistence"
        assert "persistentVolumeClaimRetentionPolicy" not in spec, "airflow-worker"
        assert logs_volumes(capture) == [{"name": "logs", "emptyDir": {"sizeLimit": "7Gi"}}], "airflow-worker"
    else:
        # The whole template: Kubernetes refuses any change to it on an existing StatefulSet.
        claim: dict[str, object] = {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "7Gi"}}}
        if claim_class is not None:  # an empty class must be left out: "" would mean "no class", not the default
            claim["storageClassName"] = claim_class
        labels = {
            "app.kubernetes.io/component": "worker-logs",
            "app.kubernetes.io/managed-by": "pulumi",
            "app.kubernetes.io/name": "airflow",
            "app.kubernetes.io/part-of": "airflow",
        }
        assert templates == [{"metadata": {"name": "logs", "labels": labels}, "spec": claim}], "airflow-worker"
        assert logs_volumes(capture) == [], "airflow-worker: the claim template alone provides the `logs` volume"


@pytest.mark.parametrize("persistence", [True, False])
def test_should_render_objects_the_kubernetes_schemas_accept(run: Run, persistence: bool) -> None:
    capture = run(workerLogsPersistence=persistence, workerLogsFixPermissions=persistence)
    for kind, name in [WORKERS, ("Service", "airflow-worker")]:
        obj = next(
            manifest(r)
            for r in capture.kubernetes_objects()
            if r.inputs.get("kind") == kind and r.plain_inputs["metadata"].get("name") == name
        )
        for version in KUBERNETES_VERSIONS:
            assert validate_object(obj, version) == [], f"{kind}/{name} on Kubernetes {version}"


def test_should_size_the_claim_from_pulumi_yaml_by_default(default_run: Capture) -> None:
    template = workers(default_run)["spec"]["volumeClaimTemplates"][0]
    assert template["spec"]["resources"]["requests"]["storage"] == default_of("workerLogsSize"), "airflow-worker"
    assert default_of("workerLogsPersistence") is True


def test_should_keep_claims_on_scale_down_and_on_deletion_by_default(default_run: Capture) -> None:
    policy = workers(default_run)["spec"]["persistentVolumeClaimRetentionPolicy"]
    assert policy == {"whenScaled": "Retain", "whenDeleted": "Retain"}, "airflow-worker"


@pytest.mark.parametrize(("when_scaled", "when_deleted"), [("Delete", "Retain"), ("Retain", "Delete"), ("Delete", "Delete")])
def test_should_take_the_claim_retention_policy_from_config(run: Run, when_scaled: str, when_deleted: str) -> None:
    capture = run(workerLogsWhenScaled=when_scaled, workerLogsWhenDeleted=when_deleted)
    policy = workers(capture)["spec"]["persistentVolumeClaimRetentionPolicy"]
    assert policy == {"whenScaled": when_scaled, "whenDeleted": when_deleted}, "airflow-worker"
    fate = {"Delete": "deleted", "Retain": "kept"}
    assert capture.outputs["workerLogsVolume"] == (
        f"10Gi per worker on the cluster's default StorageClass; a claim is {fate[when_scaled]} on scale-down and "
        f"{fate[when_deleted]} with the StatefulSet"
    )


def test_should_mount_the_logs_volume_in_every_container_that_writes_or_reads_logs(default_run: Capture) -> None:
    spec = pod_spec(default_run)
    for item in spec["containers"] + spec["initContainers"]:
        mounts = [m for m in item["volumeMounts"] if m["mountPath"] == LOGS_PATH]
        assert mounts == [{"name": "logs", "mountPath": LOGS_PATH}], f"airflow-worker/{item['name']}"


def test_should_let_uid_50000_write_the_volume_through_fs_group(default_run: Capture) -> None:
    security = pod_spec(default_run)["securityContext"]
    assert (security["runAsUser"], security["runAsGroup"], security["fsGroup"]) == (50000, 0, 0), "airflow-worker"
    assert security["fsGroupChangePolicy"] == "OnRootMismatch", "airflow-worker"


def test_should_describe_the_volume_in_a_stack_output_so_a_preview_shows_a_change(run: Run) -> None:
    before = run().outputs["workerLogsVolume"]
    after = run(workerLogsSize="20Gi", workerLogsStorageClass="yc-network-hdd").outputs["workerLogsVolume"]
    assert (
        before == "10Gi per worker on the cluster's default StorageClass; a claim is kept on scale-down and kept "
        "with the StatefulSet"
    )
    assert after.startswith("20Gi per worker on yc-network-hdd;")
    assert run(workerLogsPersistence=False).outputs["workerLogsVolume"].startswith("emptyDir of at most 10Gi")


# --- the headless Service and the hostname ---------------------------------------------------------------------------


def test_should_give_workers_a_headless_service_on_the_log_server_port(default_run: Capture) -> None:
    service = default_run.object("Service", "airflow-worker")["spec"]
    assert service["clusterIP"] == "None", "airflow-worker"
    assert service["ports"] == [{"name": "worker-logs", "port": 8793, "targetPort": "worker-logs"}], "airflow-worker"
    assert service["publishNotReadyAddresses"] is True, "airflow-worker: workers on warm shutdown still serve logs"
    ports = container(default_run, "worker")["ports"]
    assert {"name": "worker-logs", "containerPort": 8793} in ports, "airflow-worker/worker"


def test_should_select_exactly_the_worker_pods_with_the_service_the_statefulset_names(default_run: Capture) -> None:
    service = default_run.object("Service", "airflow-worker")
    spec = workers(default_run)["spec"]
    pod_labels = spec["template"]["metadata"]["labels"]
    assert spec["serviceName"] == service["metadata"]["name"], "airflow-worker"
    assert service["spec"]["selector"] == spec["selector"]["matchLabels"], "airflow-worker"
    assert service["spec"]["selector"].items() <= pod_labels.items(), "airflow-worker"
    others = [
        r.plain_inputs["metadata"]["name"]
        for r in default_run.kubernetes_objects()
        if r.inputs.get("kind") in ("Deployment", "StatefulSet")
        and r.plain_inputs["metadata"]["name"] != "airflow-worker"
        and service["spec"]["selector"].items() <= r.plain_inputs["spec"]["template"]["metadata"]["labels"].items()
    ]
    assert others == [], "the worker Service must select no other pods"


def test_should_record_the_workers_fqdn_as_the_task_hostname(default_run: Capture) -> None:
    for item in [container(default_run, "worker"), container(default_run, "wait-for-migrations", init=True)]:
        assert env_of(item)["AIRFLOW__CORE__HOSTNAME_CALLABLE"] == "airflow.utils.net.getfqdn", item["name"]


def test_should_make_the_triggerer_log_server_reachable_by_pod_ip(default_run: Capture) -> None:
    triggerer = default_run.object("Deployment", "airflow-triggerer")["spec"]["template"]["spec"]["containers"][0]
    assert env_of(triggerer)["AIRFLOW__CORE__HOSTNAME_CALLABLE"] == "airflow.utils.net.get_host_ip_address"
    assert {"name": "triggerer-logs", "containerPort": 8794} in triggerer["ports"], "airflow-triggerer"


# --- the groomer ----------------------------------------------------------------------------------------------------


def test_should_run_the_groomer_beside_the_worker_as_airflow_on_a_read_only_root(default_run: Capture) -> None:
    groomer = container(default_run, "log-groomer")
    assert groomer["image"] == container(default_run, "worker")["image"], "airflow-worker/log-groomer"
    assert groomer["command"][:2] == ["bash", "-c"], "airflow-worker/log-groomer: the image's entrypoint is bypassed"
    security = groomer["securityContext"]
    assert (security["runAsUser"], security["runAsGroup"]) == (50000, 0), "airflow-worker/log-groomer"
    assert security["readOnlyRootFilesystem"] is True, "airflow-worker/log-groomer"
    assert env_of(groomer)["RETENTION_DAYS"] == str(default_of("workerLogsRetentionDays")) == "15"


def test_should_give_the_groomer_its_folder_retention_and_pace(default_run: Capture) -> None:
    assert container(default_run, "log-groomer")["env"] == [
        {"name": "LOGS", "value": "/opt/airflow/logs"},
        {"name": "RETENTION_DAYS", "value": "15"},
        {"name": "GROOM_EVERY_SECONDS", "value": "900"},
        {"name": "EMPTY_DIR_GRACE_MINUTES", "value": "60"},
    ]
    assert container(default_run, "log-groomer")["imagePullPolicy"] == "IfNotPresent"


@pytest.mark.parametrize("persistence", [True, False])
def test_should_groom_logs_with_or_without_persistence(run: Run, persistence: bool) -> None:
    capture = run(workerLogsPersistence=persistence, workerLogsRetentionDays=3)
    assert env_of(container(capture, "log-groomer"))["RETENTION_DAYS"] == "3", "airflow-worker/log-groomer"


def test_should_take_the_groomer_resources_from_config(run: Run) -> None:
    resources = container(run(logGroomerCpuLimit="250m", logGroomerMemoryRequest="48Mi"), "log-groomer")["resources"]
    assert resources == {"requests": {"cpu": "10m", "memory": "48Mi"}, "limits": {"cpu": "250m", "memory": "64Mi"}}


def age(path: Path, days: float) -> None:
    stamp = time.time() - days * DAY
    os.utime(path, (stamp, stamp))


def test_should_delete_old_logs_and_old_empty_folders_and_stop_at_once_on_sigterm(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    old = logs / "dag_id=a" / "run_id=r1" / "task_id=t" / "attempt=1.log"
    fresh = logs / "dag_id=b" / "run_id=r2" / "task_id=t" / "attempt=1.log"
    lost_found = logs / "lost+found" / "#12"
    for path in (old, fresh, lost_found):
        path.parent.mkdir(parents=True)
        path.write_text("log line\n")
    old_empty, new_empty = logs / "dag_id=c" / "old", logs / "dag_id=d" / "new"
    old_empty.mkdir(parents=True)
    new_empty.mkdir(parents=True)
    age(old, 16)
    age(fresh, 14)
    age(lost_found, 100)
    age(lost_found.parent, 100)
    age(old_empty, 2 / 24)
    env = {**os.environ, "LOGS": str(logs), "RETENTION_DAYS": "15", "GROOM_EVERY_SECONDS": "600", "EMPTY_DIR_GRACE_MINUTES": "60"}
    groomer = subprocess.Popen(
        ["bash", "-c", GROOMER_SCRIPT], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        assert groomer.stdout is not None
        groomer.stdout.readline()
        first_pass = groomer.stdout.readline()
        assert "removed 1 files" in first_pass, first_pass
        started = time.monotonic()
        groomer.send_signal(signal.SIGTERM)
        assert groomer.wait(timeout=5) == 0
        assert time.monotonic() - started < 2, "the groomer must not hold up the worker pod's shutdown"
    finally:
        groomer.kill()
        groomer.communicate()
    assert not old.exists()
    assert fresh.exists()
    assert lost_found.exists(), "lost+found is left alone"
    assert not old_empty.exists()
    assert new_empty.exists(), "a folder just created for a task must not be removed under it"


# --- the permissions fix ----------------------------------------------------------------------------------------------


def test_should_not_run_anything_as_root_by_default(default_run: Capture) -> None:
    names = [c["name"] for c in pod_spec(default_run)["initContainers"]]
    assert PERMISSIONS_FIX_NAME not in names, "airflow-worker"
    assert POD_SECURITY_EXCEPTION_ANNOTATION not in (
        workers(default_run)["spec"]["template"]["metadata"].get("annotations") or {}
    )
    labels = default_run.object("Namespace", "airflow")["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"


def test_should_chown_the_volume_as_root_only_when_asked_and_say_why(run: Run) -> None:
    capture = run(workerLogsFixPermissions=True)
    fix = container(capture, PERMISSIONS_FIX_NAME, init=True)
    assert pod_spec(capture)["initContainers"][0]["name"] == PERMISSIONS_FIX_NAME, "before anything writes logs"
    security = fix["securityContext"]
    assert (security["runAsUser"], security["runAsNonRoot"]) == (0, False), "airflow-worker/fix-logs-permissions"
    assert security["capabilities"] == {"drop": ["ALL"], "add": ["CHOWN", "FOWNER", "DAC_OVERRIDE"]}
    assert security["allowPrivilegeEscalation"] is False, "airflow-worker/fix-logs-permissions"
    assert fix["volumeMounts"] == [{"name": "logs", "mountPath": LOGS_PATH}], "airflow-worker/fix-logs-permissions"
    annotations = workers(capture)["spec"]["template"]["metadata"]["annotations"]
    assert "workerLogsFixPermissions" in annotations[POD_SECURITY_EXCEPTION_ANNOTATION], "airflow-worker"
    labels = capture.object("Namespace", "airflow")["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "baseline", "the restricted level would reject the pod"
    assert labels["pod-security.kubernetes.io/audit"] == labels["pod-security.kubernetes.io/warn"] == "restricted"


# The root init container whole: its user, capabilities, environment and script are the whole of what the Pod Security
# exception allows, and nothing else may run as root.
PERMISSIONS_FIX_CONTAINER = {
    "name": "fix-logs-permissions",
    "image": "apache/airflow:3.3.2",
    "imagePullPolicy": "IfNotPresent",
    "command": [
        "bash",
        "-c",
        'set -eu\nif [ "$(stat -c %u "$LOGS")" != "$OWNER_UID" ]; then\n  chown -R "$OWNER_UID:$OWNER_GID" "$LOGS"\n'
        '  chmod -R g+rwX "$LOGS"\n  echo "fix-logs-permissions: gave $LOGS to $OWNER_UID:$OWNER_GID"\nfi\n',
    ],
    "env": [
        {"name": "LOGS", "value": "/opt/airflow/logs"},
        {"name": "OWNER_UID", "value": "50000"},
        {"name": "OWNER_GID", "value": "0"},
    ],
    "volumeMounts": [{"name": "logs", "mountPath": "/opt/airflow/logs"}],
    "resources": {"requests": {"memory": "32Mi", "cpu": "10m"}, "limits": {"memory": "64Mi", "cpu": "100m"}},
    "securityContext": {
        "runAsUser": 0,
        "runAsGroup": 0,
        "runAsNonRoot": False,
        "privileged": False,
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"], "add": ["CHOWN", "FOWNER", "DAC_OVERRIDE"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    },
}


def test_should_give_the_permissions_fix_exactly_this_container(run: Run) -> None:
    assert container(run(workerLogsFixPermissions=True), PERMISSIONS_FIX_NAME, init=True) == PERMISSIONS_FIX_CONTAINER


# --- the component --------------------------------------------------------------------------------------------------


def test_should_parent_the_service_to_the_worker_logs_component(default_run: Capture) -> None:
    component = default_run.one("airflow:index:WorkerLogs", "worker-logs")
    service = default_run.one("kubernetes:core/v1:Service", "worker-logs-service")
    assert service.parent == component.urn, "worker-logs-service"


# --- bad input ----------------------------------------------------------------------------------------------------


BAD_VALUES = [
    (
        {"workerLogsSize": "10GB"},
        "airflow:workerLogsSize = '10GB': must be a positive Kubernetes quantity such as 512Mi or 2Gi (did you mean '10Gi'?)",
    ),
    ({"workerLogsSize": "0"}, "airflow:workerLogsSize = '0': must be a positive Kubernetes quantity such as 512Mi or 2Gi"),
    (
        {"workerLogsRetentionDays": "0"},
        "airflow:workerLogsRetentionDays = '0': must be a whole number from 1 to 3650",
    ),
    (
        {"workerLogsRetentionDays": "-7"},
        "airflow:workerLogsRetentionDays = '-7': must be a whole number from 1 to 3650",
    ),
    ({"workerLogsWhenScaled": "Keep"}, "airflow:workerLogsWhenScaled = 'Keep': must be one of Retain, Delete"),
    ({"workerLogsWhenDeleted": "retain"}, "airflow:workerLogsWhenDeleted = 'retain': must be one of Retain, Delete"),
    (
        {"workerLogsStorageClass": "Network_HDD"},
        "airflow:workerLogsStorageClass = 'Network_HDD': must be empty or a DNS-1123 subdomain "
        "(lower-case letters, digits, '-' and '.')",
    ),
    ({"workerLogsPersistence": "yes"}, "airflow:workerLogsPersistence = 'yes': must be true or false"),
    (
        {"workerLogsPersistence": "false", "workerLogsFixPermissions": "true"},
        "airflow:workerLogsFixPermissions = 'true': only applies when airflow:workerLogsPersistence is true: "
        "an emptyDir always honours fsGroup",
    ),
    (
        {"logGroomerMemoryRequest": "128Mi"},
        "airflow:logGroomerMemoryRequest = '128Mi': must not exceed airflow:logGroomerMemoryLimit ('64Mi')",
    ),
]


@pytest.mark.parametrize(
    ("values", "message"), BAD_VALUES, ids=[",".join(f"{k}={v}" for k, v in v.items()) for v, _ in BAD_VALUES]
)
def test_should_name_key_value_and_rule_for_a_bad_value(values: dict[str, str], message: str) -> None:
    reader = ConfigReader(raw={f"airflow:{k}": v for k, v in values.items()}.get, is_secret=lambda key: False)
    with pytest.raises(SettingsError) as caught:
        read_settings(reader)
    assert caught.value.problems == [message]
