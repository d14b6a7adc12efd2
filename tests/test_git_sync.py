"""GitSync: the DAGs from git in every pod that parses them, the credentials secret and readable by git-sync alone,
host keys verified, and every bad input refused before any resource with a message naming key, value and rule."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import struct
from collections.abc import Callable, Mapping
from typing import Any

import pulumi
import pytest

import tools.harness
from components.settings import BUILT_IN_HOST_KEYS, ConfigReader, GitSyncSettings, SettingsError, read_settings, ssh_private_key
from components.settings.git_repository import GitRepository, GitTransport
from tests.conftest import Run, config_of, shared
from tools.harness import (
    RENDER_PLACEHOLDERS,
    Capture,
    placeholder_ssh_private_key,
    reveal,
    run_program,
    secret_paths,
)

SSH_KEY = placeholder_ssh_private_key("tests/test_git_sync.py")
SSH_URL = "git@github.com:example/dags.git"
HTTPS_URL = "https://github.com/example/dags.git"
TOKEN = "test-token-0123456789"
# The public half of the all-zero placeholder key: a well-formed host key that nobody has.
FAKE_HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
IMAGE = "registry.k8s.io/git-sync/git-sync:v4.7.1"

# Non-default values everywhere, so that each one is seen to reach the containers.
COMMON = {
    "gitSyncRef": "master",
    "gitSyncSubPath": "part2/dags",
    "gitSyncPeriod": "30s",
    "gitSyncDepth": 3,
    "gitSyncMaxFailures": 2,
    "gitSyncCpuLimit": "750m",
    "gitSyncMemoryLimit": "768Mi",
}
TRANSPORTS: dict[str, tuple[dict[str, object], dict[str, str]]] = {
    "ssh": ({**COMMON, "gitSyncRepository": SSH_URL}, {"gitSyncSshKey": SSH_KEY}),
    "https": ({**COMMON, "gitSyncRepository": HTTPS_URL, "gitSyncUsername": "dags-bot"}, {"gitSyncToken": TOKEN}),
}
SYNC_ENV = {
    "GITSYNC_REF": "master",
    "GITSYNC_ROOT": "/git",
    "GITSYNC_LINK": "repo",
    "GITSYNC_PERIOD": "30s",
    "GITSYNC_DEPTH": "3",
    "GITSYNC_MAX_FAILURES": "2",
}
CREDENTIAL_ENV = {
    "ssh": {
        "GITSYNC_REPO": SSH_URL,
        "GITSYNC_SSH_KEY_FILE": "/etc/git-secret/ssh",
        "GITSYNC_SSH_KNOWN_HOSTS": "true",
        "GITSYNC_SSH_KNOWN_HOSTS_FILE": "/etc/git-secret/known_hosts",
    },
    "https": {
        "GITSYNC_REPO": HTTPS_URL,
        "GITSYNC_USERNAME": "dags-bot",
        "GITSYNC_PASSWORD_FILE": "/etc/git-secret/token",
    },
}
DAGS_FOLDER = "/opt/airflow/dags/repo/part2/dags"
# The pods that parse or run DAG files (Airflow 3: the scheduler does not, with a standalone dag-processor).
PARSING_PODS = [("Deployment", "airflow-dag-processor"), ("Deployment", "airflow-triggerer"), ("StatefulSet", "airflow-worker")]
OTHER_PODS = [("Deployment", "airflow-scheduler"), ("Deployment", "airflow-api-server"), ("Job", "migrations")]
GIT_SYNC_CONTAINERS = ("git-sync-init", "git-sync")
# SHA256 fingerprints as each operator publishes them (see BUILT_IN_HOST_KEYS for the pages), looked up 2026-11-24.
PUBLISHED_FINGERPRINTS = {
    "github.com": {
        "SHA256:+DiY3wvvV6TuJJhbpZisF/zLDA0zPMSvHdkr4UvCOqU",
        "SHA256:p2QAMXNIC1TJYWeIOttrVc98/R1BUFWu3/LiyKgUfQM",
        "SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s",
    },
    "gitlab.com": {
        "SHA256:eUXGGm1YGsMAS7vkcx6JOJdOGHPem5gQp4taiCfCLB8",
        "SHA256:HbW3g8zUjNSksFbqTiUWPWg2Bq1x8xdGUrliXFzSnUw",
        "SHA256:ROQFvPThGrW4RuWLoL9tq9I9zJ42fK4XywyRtbOz/EQ",
    },
    "bitbucket.org": {
        "SHA256:ybgmFkzwOSotHTHLJgHO0QN8L0xErw6vd0VhFA9m3SM",
        "SHA256:FC73VB6C4OQLSCrjEayhMp9UMxS97caD/Yyi2bhW/J0",
        "SHA256:46OSHA1Rmj8E8ERTC6xkNcmGOw9oFxYr0WF6zWW8l1E",
    },
}


# --- helpers --------------------------------------------------------------------------------------------------------


Synced = Callable[[str], Capture]


@pytest.fixture(scope=shared("module"))
def synced() -> Synced:
    """The program with a repository over a transport; one run per transport, shared by the tests that only read it."""
    runs: dict[str, Capture] = {}

    def run_once(transport: str) -> Capture:
        if transport not in runs:
            values, secrets = TRANSPORTS[transport]
            secret_config = config_of(**secrets)
            runs[transport] = run_program({**config_of(**values), **secret_config}, list(secret_config))
        return runs[transport]

    return run_once


def pod_spec(capture: Capture, kind: str, name: str) -> dict[str, Any]:
    if kind == "Job":
        jobs = [r.plain_inputs for r in capture.kubernetes_objects() if r.inputs.get("kind") == "Job"]
        assert len(jobs) == 1, f"expected one Job, found {len(jobs)}"
        spec: dict[str, Any] = jobs[0]["spec"]["template"]["spec"]
        return spec
    spec = capture.object(kind, name)["spec"]["template"]["spec"]
    return spec


def all_containers(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return [*spec.get("initContainers", []), *spec["containers"]]


def container(spec: dict[str, Any], name: str) -> dict[str, Any]:
    found = [c for c in all_containers(spec) if c["name"] == name]
    assert len(found) == 1, f"expected one container {name!r}, found {[c['name'] for c in all_containers(spec)]}"
    return found[0]


def env_of(container_spec: dict[str, Any]) -> dict[str, str]:
    return {e["name"]: e.get("value") for e in container_spec.get("env", [])}


def airflow_containers(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """The containers that run Airflow (they all read AIRFLOW__CORE__DAGS_FOLDER)."""
    return [c for c in all_containers(spec) if "AIRFLOW__CORE__DAGS_FOLDER" in env_of(c)]


def git_sync_secret(capture: Capture) -> Any:
    found = [r for r in capture.kubernetes_objects() if r.inputs.get("kind") == "Secret" and r.name == "git-sync-credentials"]
    return found[0] if found else None


def settings_of(values: dict[str, str], secret_keys: tuple[str, ...] = ()) -> GitSyncSettings | None:
    """The git-sync settings, read outside a program: in a loop of their own, which the secret Outputs finish in."""
    reader = ConfigReader(raw=values.get, is_secret=lambda key: key in secret_keys)
    policy = asyncio.get_event_loop_policy()
    try:
        previous: asyncio.AbstractEventLoop | None = policy.get_event_loop()
    except RuntimeError:
        previous = None
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        return read_settings(reader).git_sync
    finally:
        loop.run_until_complete(asyncio.gather(*asyncio.all_tasks(loop)))
        loop.close()
        # Other tests read settings in whatever loop is current: leave the one they would have found.
        asyncio.set_event_loop(previous)


def problems_of(values: Mapping[str, object], secrets: dict[str, str] | None = None) -> list[str]:
    config = {**config_of(**values), **config_of(**(secrets or {}))}
    with pytest.raises(SettingsError) as caught:
        settings_of(config, tuple(config_of(**(secrets or {}))))
    return caught.value.problems


def sha256_fingerprint(key: str) -> str:
    """What `ssh-keygen -lf` prints for a '<key type> <base64 key>' line."""
    blob = base64.b64decode(key.split()[1])
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


def hashed_host(name: str) -> str:
    """A known_hosts host field as `ssh-keygen -H` writes it (HashKnownHosts)."""
    salt = bytes(range(20))
    digest = hmac.new(salt, name.encode(), hashlib.sha1).digest()
    return f"|1|{base64.b64encode(salt).decode()}|{base64.b64encode(digest).decode()}"


def pem(label: str, body: bytes) -> str:
    """A PEM block of `label` around `body`."""
    return f"-----BEGIN {label}-----\n{base64.b64encode(body).decode()}\n-----END {label}-----\n"


def passphrase_protected_key() -> str:
    """An OpenSSH private key file header that says the key is encrypted (aes256-ctr, bcrypt)."""

    def string(data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + data

    blob = b"openssh-key-v1\x00" + string(b"aes256-ctr") + string(b"bcrypt") + string(bytes(24)) + struct.pack(">I", 1)
    return f"-----BEGIN OPENSSH PRIVATE KEY-----\n{base64.b64encode(blob).decode()}\n-----END OPENSSH PRIVATE KEY-----\n"


# --- DAGs from the image --------------------------------------------------------------------------------------------


def test_should_read_the_dags_from_the_image_when_no_repository_is_set(default_run: Capture) -> None:
    assert git_sync_secret(default_run) is None, "no repository, yet a git-sync Secret"
    for kind, name in PARSING_PODS + OTHER_PODS:
        spec = pod_spec(default_run, kind, name)
        names = [c["name"] for c in all_containers(spec)]
        assert not set(GIT_SYNC_CONTAINERS) & set(names), f"{kind}/{name} runs git-sync without a repository: {names}"
        for airflow in airflow_containers(spec):
            assert env_of(airflow)["AIRFLOW__CORE__DAGS_FOLDER"] == "/opt/airflow/dags", f"{kind}/{name} {airflow['name']}"


def test_should_leave_the_dag_processors_refresh_at_airflows_default_for_image_dags(default_run: Capture) -> None:
    processor = container(pod_spec(default_run, "Deployment", "airflow-dag-processor"), "dag-processor")
    refresh = {k for k in env_of(processor) if k.startswith("AIRFLOW__DAG_PROCESSOR__")}
    assert refresh == set(), "the image's DAGs never change while the pod runs"


# --- how soon a pushed DAG shows up ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("period", "interval", "refresh", "check"),
    [
        ("30s", 0, "30", "5"),
        ("10s", 0, "10", "5"),
        ("1m30s", 0, "90", "5"),
        ("2s", 0, "2", "2"),
        ("1500ms", 0, "2", "2"),
        ("10s", 600, "600", "5"),
    ],
)
def test_should_list_the_synced_folder_as_often_as_git_sync_syncs(
    run: Run, period: str, interval: int, refresh: str, check: str
) -> None:
    """Airflow 3 sees a new or deleted DAG file only when it lists the folder (every 300 s by default)."""
    capture = run(**HTTPS_ONLY, gitSyncPeriod=period, gitSyncDagRefreshInterval=interval)

    def refresh_env(airflow: dict[str, Any]) -> dict[str, str]:
        return {k: v for k, v in env_of(airflow).items() if k.startswith("AIRFLOW__DAG_PROCESSOR__")}

    processor = container(pod_spec(capture, "Deployment", "airflow-dag-processor"), "dag-processor")
    assert refresh_env(processor) == {
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": refresh,
        "AIRFLOW__DAG_PROCESSOR__BUNDLE_REFRESH_CHECK_INTERVAL": check,
    }, f"period {period}, interval {interval}"
    others = [
        f"{kind}/{name} {airflow['name']}"
        for kind, name in PARSING_PODS + OTHER_PODS
        for airflow in airflow_containers(pod_spec(capture, kind, name))
        if (name, airflow["name"]) != ("airflow-dag-processor", "dag-processor") and refresh_env(airflow)
    ]
    assert others == [], "only the dag-processor lists the folder"


# --- the containers -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("transport", list(TRANSPORTS))
@pytest.mark.parametrize(("kind", "name"), PARSING_PODS)
def test_should_give_the_sidecar_the_sync_settings(synced: Synced, transport: str, kind: str, name: str) -> None:
    sidecar = container(pod_spec(synced(transport), kind, name), "git-sync")
    expected = {**SYNC_ENV, **CREDENTIAL_ENV[transport], "GITSYNC_HTTP_BIND": ":8000"}
    assert env_of(sidecar) == expected, f"{kind}/{name} git-sync env over {transport}"


@pytest.mark.parametrize("transport", list(TRANSPORTS))
@pytest.mark.parametrize(("kind", "name"), PARSING_PODS)
def test_should_sync_once_in_an_init_container_before_airflow_starts(
    synced: Synced, transport: str, kind: str, name: str
) -> None:
    spec = pod_spec(synced(transport), kind, name)
    init = container(spec, "git-sync-init")
    assert env_of(init) == {**SYNC_ENV, **CREDENTIAL_ENV[transport], "GITSYNC_ONE_TIME": "true"}, f"{kind}/{name}"
    assert spec["initContainers"][0]["name"] == "git-sync-init", f"{kind}/{name}: DAGs must exist before Airflow starts"


@pytest.mark.parametrize(("kind", "name"), PARSING_PODS)
@pytest.mark.parametrize("container_name", GIT_SYNC_CONTAINERS)
def test_should_run_git_sync_as_its_own_user_without_privileges(
    synced: Synced, kind: str, name: str, container_name: str
) -> None:
    context = container(pod_spec(synced("ssh"), kind, name), container_name)["securityContext"]
    assert context == {
        "runAsUser": 65533,
        "runAsGroup": 0,
        "runAsNonRoot": True,
        "allowPrivilegeEscalation": False,
        "privileged": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }, f"{kind}/{name} {container_name}"


@pytest.mark.parametrize("container_name", GIT_SYNC_CONTAINERS)
def test_should_pin_the_image_and_apply_the_resources(synced: Synced, container_name: str) -> None:
    git_sync = container(pod_spec(synced("https"), "Deployment", "airflow-dag-processor"), container_name)
    assert git_sync["image"] == IMAGE, container_name
    assert git_sync["resources"] == {
        "requests": {"cpu": "50m", "memory": "64Mi"},
        "limits": {"cpu": "750m", "memory": "768Mi"},
    }, container_name


def test_should_pull_the_image_as_the_stacks_pull_policy_says(run: Run) -> None:
    spec = pod_spec(run(gitSyncRepository=HTTPS_URL, imagePullPolicy="Always"), "Deployment", "airflow-dag-processor")
    assert {name: container(spec, name)["imagePullPolicy"] for name in GIT_SYNC_CONTAINERS} == dict.fromkeys(
        GIT_SYNC_CONTAINERS, "Always"
    )


def test_should_probe_the_sidecar_on_the_port_it_serves(synced: Synced) -> None:
    sidecar = container(pod_spec(synced("ssh"), "Deployment", "airflow-triggerer"), "git-sync")
    assert sidecar["ports"] == [{"name": "git-sync-http", "containerPort": 8000}]
    assert env_of(sidecar)["GITSYNC_HTTP_BIND"] == ":8000"
    for probe in ("startupProbe", "livenessProbe"):
        assert sidecar[probe]["httpGet"] == {"path": "/", "port": "git-sync-http"}, probe
    assert "livenessProbe" not in container(pod_spec(synced("ssh"), "Deployment", "airflow-triggerer"), "git-sync-init")


def test_should_give_the_first_sync_five_minutes_then_restart_a_hung_sidecar(synced: Synced) -> None:
    sidecar = container(pod_spec(synced("https"), "Deployment", "airflow-dag-processor"), "git-sync")
    health = {"path": "/", "port": "git-sync-http"}
    assert (sidecar["startupProbe"], sidecar["livenessProbe"]) == (
        {"httpGet": health, "periodSeconds": 10, "timeoutSeconds": 5, "failureThreshold": 30},
        {"httpGet": health, "periodSeconds": 30, "timeoutSeconds": 5, "failureThreshold": 3},
    )


# --- volumes and mounts ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("transport", list(TRANSPORTS))
@pytest.mark.parametrize(("kind", "name"), PARSING_PODS)
def test_should_let_only_git_sync_read_the_credentials(synced: Synced, transport: str, kind: str, name: str) -> None:
    spec = pod_spec(synced(transport), kind, name)
    volumes = {v["name"]: v for v in spec["volumes"]}
    # 0440: the kubelet gives Secret files to root:<fsGroup> and adds group read anyway; git-sync reads through the group.
    assert volumes["git-sync-credentials"]["secret"] == {"secretName": "airflow-git-sync", "defaultMode": 0o440}, name
    readers = {
        c["name"]: m for c in all_containers(spec) for m in c.get("volumeMounts", []) if m["name"] == "git-sync-credentials"
    }
    assert set(readers) == set(GIT_SYNC_CONTAINERS), f"{kind}/{name}: only git-sync may mount the credentials"
    assert all(m == {"name": "git-sync-credentials", "mountPath": "/etc/git-secret", "readOnly": True} for m in readers.values())
    fs_group = spec["securityContext"]["fsGroup"]
    for container_name in GIT_SYNC_CONTAINERS:
        assert container(spec, container_name)["securityContext"]["runAsGroup"] == fs_group == 0, f"{kind}/{name}"
    assert not spec.get("shareProcessNamespace"), f"{kind}/{name}: a shared process namespace exposes every mount"


@pytest.mark.parametrize(("kind", "name"), PARSING_PODS)
def test_should_mount_the_dags_read_only_in_every_airflow_container(synced: Synced, kind: str, name: str) -> None:
    spec = pod_spec(synced("ssh"), kind, name)
    assert {"name": "dags", "emptyDir": {"sizeLimit": "1Gi"}} in spec["volumes"], f"{kind}/{name}"
    airflow = airflow_containers(spec)
    assert {c["name"] for c in airflow} >= {"wait-for-migrations", name.removeprefix("airflow-")}, f"{kind}/{name}"
    for airflow_container in airflow:
        mounts = [m for m in airflow_container["volumeMounts"] if m["name"] == "dags"]
        assert mounts == [{"name": "dags", "mountPath": "/opt/airflow/dags", "readOnly": True}], (
            f"{kind}/{name} {airflow_container['name']}"
        )
    for container_name in GIT_SYNC_CONTAINERS:
        by_volume = {m["name"]: m for m in container(spec, container_name)["volumeMounts"]}
        assert by_volume["dags"] == {"name": "dags", "mountPath": "/git"}, f"{kind}/{name} {container_name}"
        assert by_volume["git-sync-home"] == {"name": "git-sync-home", "mountPath": "/tmp"}, f"{kind}/{name} {container_name}"


@pytest.mark.parametrize(("kind", "name"), OTHER_PODS)
def test_should_leave_pods_that_do_not_parse_dags_alone(synced: Synced, kind: str, name: str) -> None:
    spec = pod_spec(synced("ssh"), kind, name)
    names = [c["name"] for c in all_containers(spec)]
    assert not set(GIT_SYNC_CONTAINERS) & set(names), f"{kind}/{name}: {names}"
    assert not {"dags", "git-sync-credentials"} & {v["name"] for v in spec.get("volumes", [])}, f"{kind}/{name}"


@pytest.mark.parametrize(
    ("sub_path", "folder"),
    [("", "/opt/airflow/dags/repo"), ("part2/dags", DAGS_FOLDER), ("part2/dags/", DAGS_FOLDER)],
)
def test_should_point_every_airflow_container_at_the_synced_folder(run: Run, sub_path: str, folder: str) -> None:
    capture = run(gitSyncRepository=HTTPS_URL, gitSyncSubPath=sub_path)
    for kind, name in PARSING_PODS + OTHER_PODS:
        for airflow in airflow_containers(pod_spec(capture, kind, name)):
            assert env_of(airflow)["AIRFLOW__CORE__DAGS_FOLDER"] == folder, f"{kind}/{name} {airflow['name']}"


# --- the credentials Secret -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("transport", "files", "credential"),
    [
        pytest.param(
            "ssh",
            {"ssh": SSH_KEY, "known_hosts": "".join(f"github.com {key}\n" for key in BUILT_IN_HOST_KEYS["github.com"])},
            SSH_KEY.splitlines()[1],  # a line of the key's body
            id="ssh",
        ),
        pytest.param("https", {"token": TOKEN}, TOKEN, id="https"),
    ],
)
def test_should_keep_the_credentials_in_a_secret(synced: Synced, transport: str, files: dict[str, str], credential: str) -> None:
    capture = synced(transport)
    secret = git_sync_secret(capture)
    assert secret is not None, f"no git-sync Secret over {transport}"
    assert secret.plain_inputs == {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "labels": {
                "app.kubernetes.io/component": "git-sync",
                "app.kubernetes.io/managed-by": "pulumi",
                "app.kubernetes.io/name": "airflow",
                "app.kubernetes.io/part-of": "airflow",
            },
            "name": "airflow-git-sync",
            "namespace": "airflow",
        },
        "stringData": files,
        "type": "Opaque",
    }, transport
    # Its parent is part of its URN: another one would make `pulumi up` replace the Secret.
    (component,) = capture.of_type("airflow:index:GitSync")
    assert (component.name, component.parent) == ("git-sync", "urn:pulumi:test::airflow::pulumi:pulumi:Stack::airflow-test")
    assert secret.parent == component.urn
    assert secret_paths(secret.inputs) == ["stringData"], f"{secret.name}: the credentials must be a secret input"
    for registration in capture.registrations:
        visible = json.dumps(reveal(registration.inputs, redact="(secret)"))
        assert credential not in visible, f"{registration.name} shows the credential outside a secret"


def test_should_need_no_secret_for_a_public_https_repository(run: Run) -> None:
    capture = run(gitSyncRepository=HTTPS_URL)
    assert git_sync_secret(capture) is None
    spec = pod_spec(capture, "Deployment", "airflow-dag-processor")
    assert "git-sync-credentials" not in {v["name"] for v in spec["volumes"]}
    assert not {"GITSYNC_USERNAME", "GITSYNC_PASSWORD_FILE"} & set(env_of(container(spec, "git-sync")))


@pytest.mark.parametrize(
    "given",
    [
        pytest.param(SSH_KEY, id="key file text"),
        pytest.param(SSH_KEY.rstrip("\n"), id="as pulumi config set < file stores it, without the final newline"),
        pytest.param(SSH_KEY.replace("\n", "\r\n"), id="CRLF line ends"),
        pytest.param(base64.b64encode(SSH_KEY.encode()).decode(), id="base64 -w 0, as the seed made it"),
        pytest.param(base64.encodebytes(SSH_KEY.encode()).decode(), id="base64 wrapped at 76 columns"),
        pytest.param(base64.b64encode(SSH_KEY.replace("\n", "\r\n").encode()).decode(), id="base64 of a key with CRLF ends"),
    ],
)
def test_should_accept_the_key_as_text_or_base64(given: str) -> None:
    assert ssh_private_key(given) == SSH_KEY


def test_should_accept_a_key_whose_body_is_wrapped_at_another_width() -> None:
    # ssh reads the body whatever its line width: the checks must not rely on OpenSSH's 70 columns.
    lines = SSH_KEY.splitlines()
    body = "".join(lines[1:-1])
    rewrapped = "\n".join([lines[0], *(body[i : i + 16] for i in range(0, len(body), 16)), lines[-1]]) + "\n"
    assert ssh_private_key(rewrapped) == rewrapped


def test_should_store_a_base64_key_as_the_key_file_text(run: Run) -> None:
    capture = run(gitSyncRepository=SSH_URL, secrets={"gitSyncSshKey": base64.b64encode(SSH_KEY.encode()).decode()})
    assert git_sync_secret(capture).plain_inputs["stringData"]["ssh"] == SSH_KEY


# --- host keys ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("host", sorted(PUBLISHED_FINGERPRINTS))
def test_should_build_in_exactly_the_published_host_keys(host: str) -> None:
    assert {sha256_fingerprint(key) for key in BUILT_IN_HOST_KEYS[host]} == PUBLISHED_FINGERPRINTS[host]


KNOWN_HOSTS_CASES = [
    pytest.param("git@github.com:o/r.git", "", "github.com", id="github.com built in"),
    pytest.param("git@gitlab.com:o/r.git", "", "gitlab.com", id="gitlab.com built in"),
    pytest.param("ssh://git@bitbucket.org/o/r.git", "", "bitbucket.org", id="bitbucket.org built in"),
    pytest.param("git@git.example.com:o/r.git", f"git.example.com {FAKE_HOST_KEY}", None, id="other host, its line"),
    pytest.param("ssh://git@git.example.com:2222/o/r.git", f"[git.example.com]:2222 {FAKE_HOST_KEY}", None, id="other port"),
    pytest.param("git@git.example.com:o/r.git", f"{hashed_host('git.example.com')} {FAKE_HOST_KEY}", None, id="hashed"),
    pytest.param("git@git.example.com:o/r.git", f"*.example.com {FAKE_HOST_KEY}", None, id="wildcard"),
    pytest.param("git@git.example.com:o/r.git", f"git.example.co? {FAKE_HOST_KEY}", None, id="one-character wildcard"),
    pytest.param(
        "git@git.example.com:o/r.git", f"192.0.2.10,git.example.com {FAKE_HOST_KEY}", None, id="address, then the name"
    ),
    pytest.param(
        "git@git.example.com:o/r.git", f"!ci.example.com,*.example.com {FAKE_HOST_KEY}", None, id="another host negated"
    ),
    pytest.param(
        "git@git.example.com:o/r.git", f"@cert-authority *.example.com {FAKE_HOST_KEY}", None, id="certificate authority"
    ),
    pytest.param(
        "git@github.com:o/r.git", f"# from ssh-keyscan\ngithub.com {FAKE_HOST_KEY}", "github.com", id="built in plus more"
    ),
    pytest.param(
        "git@git.example.com:o/r.git",
        f"git.example.com {FAKE_HOST_KEY}\n[git.example.com]:2222 {FAKE_HOST_KEY}",
        None,
        id="two lines",
    ),
]


@pytest.mark.parametrize(("repository", "known_hosts", "built_in"), KNOWN_HOSTS_CASES)
def test_should_verify_the_host_with_built_in_or_given_keys(repository: str, known_hosts: str, built_in: str | None) -> None:
    config = config_of(gitSyncRepository=repository, gitSyncKnownHosts=known_hosts, gitSyncSshKey=SSH_KEY)
    settings = settings_of(config, ("airflow:gitSyncSshKey",))
    assert settings is not None
    given = [line for line in known_hosts.splitlines() if not line.startswith("#")]
    expected = [f"{built_in} {key}" for key in BUILT_IN_HOST_KEYS.get(built_in or "", ())] + given
    assert settings.known_hosts == "".join(f"{line}\n" for line in expected)


UNVERIFIABLE_HOSTS = [
    pytest.param(
        "git@git.example.com:o/r.git",
        "",
        "airflow:gitSyncKnownHosts = '': is required for git.example.com, which has no built-in host key (only "
        "github.com, gitlab.com, bitbucket.org have): `ssh-keyscan git.example.com > known_hosts`, compare the "
        "fingerprints of `ssh-keygen -lf known_hosts` with those its operator publishes, then set the keys you checked: "
        "`pulumi config set gitSyncKnownHosts < known_hosts`",
        id="unknown host",
    ),
    pytest.param(
        "ssh://git@github.com:2222/o/r.git",
        "",
        "airflow:gitSyncKnownHosts = '': is required for [github.com]:2222, which has no built-in host key (only "
        "github.com, gitlab.com, bitbucket.org have): `ssh-keyscan -p 2222 github.com > known_hosts`, compare the "
        "fingerprints of `ssh-keygen -lf known_hosts` with those its operator publishes, then set the keys you checked: "
        "`pulumi config set gitSyncKnownHosts < known_hosts`",
        id="known host on another port",
    ),
    pytest.param(
        "git@git.example.com:o/r.git",
        f"git.example.org {FAKE_HOST_KEY}",
        f"airflow:gitSyncKnownHosts = 'git.example.org {FAKE_HOST_KEY}': has no line for git.example.com, the host of "
        "airflow:gitSyncRepository: add `ssh-keyscan git.example.com`",
        id="lines for another host",
    ),
    pytest.param(
        "git@git.example.com:o/r.git",
        f"!git.example.com,*.example.com {FAKE_HOST_KEY}",
        f"airflow:gitSyncKnownHosts = '!git.example.com,*.example.com {FAKE_HOST_KEY}': has no line for "
        "git.example.com, the host of airflow:gitSyncRepository: add `ssh-keyscan git.example.com`",
        id="negated",
    ),
    pytest.param(
        "git@git.example.com:o/r.git",
        f"@revoked git.example.com {FAKE_HOST_KEY}",
        f"airflow:gitSyncKnownHosts = '@revoked git.example.com {FAKE_HOST_KEY}': has no line for git.example.com, the "
        "host of airflow:gitSyncRepository: add `ssh-keyscan git.example.com`",
        id="revoked",
    ),
]


@pytest.mark.parametrize(("repository", "known_hosts", "message"), UNVERIFIABLE_HOSTS)
def test_should_refuse_a_host_it_cannot_verify_and_say_how_to(repository: str, known_hosts: str, message: str) -> None:
    values = {"gitSyncRepository": repository, "gitSyncKnownHosts": known_hosts}
    assert problems_of(values, {"gitSyncSshKey": SSH_KEY}) == [message]


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "up"])
def test_should_warn_every_time_when_host_keys_are_not_verified(monkeypatch: pytest.MonkeyPatch, preview: bool) -> None:
    warnings: list[tuple[str, str]] = []
    monkeypatch.setattr(
        pulumi.log, "warn", lambda message, resource=None, **kwargs: warnings.append((message, type(resource).__name__))
    )
    values = config_of(gitSyncRepository="git@git.example.com:o/r.git", gitSyncVerifyHostKeys=False)
    capture = run_program({**values, **config_of(gitSyncSshKey=SSH_KEY)}, ["airflow:gitSyncSshKey"], preview=preview)
    # Shown under the GitSync component in the preview, where the setting takes effect.
    assert warnings == [
        (
            "gitSyncVerifyHostKeys is false: git-sync accepts any SSH host key for git.example.com, so whoever can "
            "intercept the connection can serve DAGs that Airflow will run. Set it to true and give gitSyncKnownHosts.",
            "GitSync",
        )
    ]
    sidecar = container(pod_spec(capture, "Deployment", "airflow-dag-processor"), "git-sync")
    assert env_of(sidecar)["GITSYNC_SSH_KNOWN_HOSTS"] == "false"
    assert "GITSYNC_SSH_KNOWN_HOSTS_FILE" not in env_of(sidecar)
    assert list(git_sync_secret(capture).plain_inputs["stringData"]) == ["ssh"]


def test_should_not_warn_when_host_keys_are_verified(monkeypatch: pytest.MonkeyPatch, run: Run) -> None:
    warnings: list[str] = []
    monkeypatch.setattr(pulumi.log, "warn", lambda message, *args, **kwargs: warnings.append(message))
    run(gitSyncRepository=SSH_URL, secrets={"gitSyncSshKey": SSH_KEY})
    assert warnings == []


# --- bad input ------------------------------------------------------------------------------------------------------

REPOSITORY_RULE = (
    "must be an SSH URL such as git@github.com:org/repo.git or ssh://git@git.example.com:2222/org/repo.git, "
    "or an HTTPS URL such as https://github.com/org/repo.git"
)
KEY_RULE = (
    "must be an SSH private key: the text of the key file (-----BEGIN OPENSSH PRIVATE KEY----- ...), "
    "or that text in base64 (base64 -w 0)"
)
PUBLIC_KEY = (
    "is a public key (a .pub file): give the private key of the repository's deploy key instead: "
    "pulumi config set --secret gitSyncSshKey < airflow-dags"
)
PASSPHRASE_RULE = (
    "is protected by a passphrase, which git-sync cannot type: use a deploy key without one "
    "(ssh-keygen -t ed25519 -N '' -f airflow-dags)"
)
PERIOD_RULE = "must be a duration from 1s to 24h such as 10s, 1m or 1m30s (units ms, s, m, h)"
SSH_ONLY = {"gitSyncRepository": SSH_URL}
HTTPS_ONLY = {"gitSyncRepository": HTTPS_URL}
WITH_KEY = {"gitSyncSshKey": SSH_KEY}

BAD_INPUTS = [
    pytest.param(
        {"gitSyncRepository": "github.com/org/repo"},
        {},
        [f"airflow:gitSyncRepository = 'github.com/org/repo': {REPOSITORY_RULE}"],
        id="no scheme",
    ),
    pytest.param(
        {"gitSyncRepository": "git@github.com"},
        {},
        [f"airflow:gitSyncRepository = 'git@github.com': {REPOSITORY_RULE}"],
        id="no path",
    ),
    pytest.param(
        {"gitSyncRepository": "ssh://github.com/o/r.git"},
        {},
        [f"airflow:gitSyncRepository = 'ssh://github.com/o/r.git': {REPOSITORY_RULE}"],
        id="ssh without user",
    ),
    pytest.param(
        {"gitSyncRepository": "ssh://git@github.com:99999/o/r.git"},
        {},
        [f"airflow:gitSyncRepository = 'ssh://git@github.com:99999/o/r.git': {REPOSITORY_RULE}"],
        id="bad port",
    ),
    pytest.param(
        {"gitSyncRepository": "https://github.com/o/../r.git"},
        {},
        [f"airflow:gitSyncRepository = 'https://github.com/o/../r.git': {REPOSITORY_RULE}"],
        id="dot-dot path",
    ),
    pytest.param(
        {"gitSyncRepository": "http://github.com/o/r.git"},
        {},
        [
            "airflow:gitSyncRepository = 'http://github.com/o/r.git': must not use http:// or git://, which let anyone on "
            "the network path change the DAGs: use the https:// or the SSH URL"
        ],
        id="plain http",
    ),
    pytest.param(
        {"gitSyncRepository": "https://bot:hunter2@github.com/o/r.git"},
        {},
        [
            "airflow:gitSyncRepository = 'https://bot:***@github.com/o/r.git': must not carry a user name or password: set "
            "airflow:gitSyncUsername, and airflow:gitSyncToken with --secret"
        ],
        id="password in URL, not echoed",
    ),
    pytest.param(
        SSH_ONLY,
        {"gitSyncSshKey": FAKE_HOST_KEY + " me@laptop", "gitSyncToken": TOKEN},
        [
            f"airflow:gitSyncSshKey = (secret): {PUBLIC_KEY}",
            "airflow:gitSyncToken = (secret): is for HTTPS repositories, but airflow:gitSyncRepository is an SSH URL: use "
            "airflow:gitSyncSshKey, or the repository's https:// URL",
        ],
        id="public key, and an HTTPS token for an SSH URL",
    ),
    pytest.param(
        SSH_ONLY,
        {"gitSyncSshKey": base64.b64encode(FAKE_HOST_KEY.encode()).decode()},
        [f"airflow:gitSyncSshKey = (secret): {PUBLIC_KEY}"],
        id="base64 of a public key",
    ),
    pytest.param(
        SSH_ONLY, {"gitSyncSshKey": "hunter2 is not a key"}, [f"airflow:gitSyncSshKey = (secret): {KEY_RULE}"], id="not a key"
    ),
    pytest.param(
        SSH_ONLY,
        {"gitSyncSshKey": base64.b64encode(b"hunter2").decode()},
        [f"airflow:gitSyncSshKey = (secret): {KEY_RULE}"],
        id="base64 of not a key",
    ),
    pytest.param(
        SSH_ONLY,
        {"gitSyncSshKey": base64.b64encode(SSH_KEY.encode()).decode() + "*"},
        [f"airflow:gitSyncSshKey = (secret): {KEY_RULE}"],
        id="base64 of a key with a character outside base64",
    ),
    pytest.param(
        SSH_ONLY,
        {"gitSyncSshKey": SSH_KEY.replace("OPENSSH PRIVATE KEY", "CERTIFICATE")},
        [f"airflow:gitSyncSshKey = (secret): {KEY_RULE}"],
        id="PEM but no key",
    ),
    pytest.param(
        SSH_ONLY,
        {"gitSyncSshKey": passphrase_protected_key()},
        [
            "airflow:gitSyncSshKey = (secret): is protected by a passphrase, which git-sync cannot type: use a deploy key "
            "without one (ssh-keygen -t ed25519 -N '' -f airflow-dags)"
        ],
        id="passphrase",
    ),
    pytest.param(
        SSH_ONLY,
        {"gitSyncSshKey": pem("ENCRYPTED PRIVATE KEY", b"\x30\x82\x01\x00")},
        [f"airflow:gitSyncSshKey = (secret): {PASSPHRASE_RULE}"],
        id="passphrase, PKCS#8",
    ),
    pytest.param(
        SSH_ONLY,
        {
            "gitSyncSshKey": "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\n"
            "MIIBAA==\n-----END RSA PRIVATE KEY-----\n"
        },
        [f"airflow:gitSyncSshKey = (secret): {PASSPHRASE_RULE}"],
        id="passphrase, legacy PEM header",
    ),
    pytest.param(
        SSH_ONLY,
        {"gitSyncSshKey": pem("OPENSSH PRIVATE KEY", b"openssh-key-v1\x00" + struct.pack(">I", 4) + b"n\xf6ne")},
        [f"airflow:gitSyncSshKey = (secret): {PASSPHRASE_RULE}"],
        id="OpenSSH key with a cipher name that is not ASCII",
    ),
    pytest.param(
        SSH_ONLY,
        {"gitSyncSshKey": pem("RSA PRIVATE KEY", b"\x31\x82\x01\x00")},
        [f"airflow:gitSyncSshKey = (secret): {KEY_RULE}"],
        id="PEM private key that is no DER sequence",
    ),
    pytest.param(
        SSH_ONLY,
        {"gitSyncSshKey": "-----BEGIN OPENSSH PRIVATE KEY-----\nnot*base64\n-----END OPENSSH PRIVATE KEY-----\n"},
        [f"airflow:gitSyncSshKey = (secret): {KEY_RULE}"],
        id="OpenSSH key whose body is not base64",
    ),
    pytest.param(
        SSH_ONLY,
        {"gitSyncSshKey": SSH_KEY.replace("\n", "\n*", 2)},
        [f"airflow:gitSyncSshKey = (secret): {KEY_RULE}"],
        id="OpenSSH key with a character outside base64 in its body",
    ),
    pytest.param(
        SSH_ONLY,
        {"gitSyncSshKey": pem("OPENSSH PRIVATE KEY", b"openssh-key-v2\x00" + struct.pack(">I", 4) + b"none")},
        [f"airflow:gitSyncSshKey = (secret): {KEY_RULE}"],
        id="OpenSSH key without the magic",
    ),
    pytest.param(
        SSH_ONLY,
        {"gitSyncSshKey": pem("OPENSSH PRIVATE KEY", b"openssh-key-v1\x00\x00\x00")},
        [f"airflow:gitSyncSshKey = (secret): {KEY_RULE}"],
        id="OpenSSH key cut short before the cipher's length",
    ),
    pytest.param(
        SSH_ONLY,
        {"gitSyncSshKey": pem("OPENSSH PRIVATE KEY", b"openssh-key-v1\x00" + struct.pack(">I", 5) + b"none")},
        [f"airflow:gitSyncSshKey = (secret): {KEY_RULE}"],
        id="OpenSSH key cut short inside the cipher's name",
    ),
    pytest.param(
        SSH_ONLY,
        # Any cipher but 'none' means a passphrase, an empty name too, even where the file ends right after it.
        {"gitSyncSshKey": pem("OPENSSH PRIVATE KEY", b"openssh-key-v1\x00" + struct.pack(">I", 0))},
        [f"airflow:gitSyncSshKey = (secret): {PASSPHRASE_RULE}"],
        id="OpenSSH key whose cipher name is empty, at its end",
    ),
    pytest.param(
        SSH_ONLY,
        {},
        [
            f"airflow:gitSyncSshKey = (not set): is required for the SSH repository {SSH_URL}: a read-only deploy key "
            "of that repository, pulumi config set --secret gitSyncSshKey < airflow-dags (docs/dags.md)"
        ],
        id="SSH URL without key",
    ),
    pytest.param(
        {**SSH_ONLY, "gitSyncUsername": "bot"},
        WITH_KEY,
        [
            "airflow:gitSyncUsername = 'bot': is for HTTPS repositories, but airflow:gitSyncRepository is an SSH URL: use "
            "airflow:gitSyncSshKey, or the repository's https:// URL"
        ],
        id="HTTPS user name for an SSH URL",
    ),
    pytest.param(
        HTTPS_ONLY,
        WITH_KEY,
        [
            "airflow:gitSyncSshKey = (secret): is for SSH repositories, but airflow:gitSyncRepository is an HTTPS URL: use "
            "the repository's SSH URL (git@host:org/repo.git), or airflow:gitSyncUsername and airflow:gitSyncToken"
        ],
        id="SSH key for an HTTPS URL",
    ),
    pytest.param(
        {**HTTPS_ONLY, "gitSyncKnownHosts": f"github.com {FAKE_HOST_KEY}"},
        {},
        [
            f"airflow:gitSyncKnownHosts = 'github.com {FAKE_HOST_KEY}': applies to SSH repositories only; an HTTPS host "
            "is verified by its TLS certificate"
        ],
        id="known_hosts for an HTTPS URL",
    ),
    pytest.param(
        HTTPS_ONLY,
        {"gitSyncToken": TOKEN},
        ["airflow:gitSyncUsername = '': is required with airflow:gitSyncToken"],
        id="token without user",
    ),
    pytest.param(
        {**HTTPS_ONLY, "gitSyncUsername": "bot"},
        {},
        [
            "airflow:gitSyncToken = (not set): is required with airflow:gitSyncUsername: pulumi config set --secret "
            "gitSyncToken (it prompts)"
        ],
        id="user without token",
    ),
    pytest.param(
        {**HTTPS_ONLY, "gitSyncUsername": "bot"},
        {"gitSyncToken": "two words"},
        [
            "airflow:gitSyncToken = (secret): must be an access token: one line, no spaces (a personal access token or app "
            "password)"
        ],
        id="token with a space",
    ),
    pytest.param(
        {**HTTPS_ONLY, "gitSyncUsername": "bot"},
        {"gitSyncToken": "t" * 1025},
        [
            "airflow:gitSyncToken = (secret): must be an access token: one line, no spaces (a personal access token or app "
            "password)"
        ],
        id="token one character past 1024",
    ),
    pytest.param(
        {"gitSyncUsername": "bot"},
        WITH_KEY,
        [
            "airflow:gitSyncSshKey = (secret): is set, but airflow:gitSyncRepository is empty (the DAGs come from the image): "
            "set both or neither",
            "airflow:gitSyncUsername = 'bot': is set, but airflow:gitSyncRepository is empty (the DAGs come from the image): "
            "set both or neither",
        ],
        id="credentials without repository",
    ),
    pytest.param(
        {"gitSyncUsername": "bot", "gitSyncKnownHosts": f"github.com {FAKE_HOST_KEY}"},
        {"gitSyncToken": TOKEN},
        [
            "airflow:gitSyncToken = (secret): is set, but airflow:gitSyncRepository is empty (the DAGs come from the image): "
            "set both or neither",
            "airflow:gitSyncUsername = 'bot': is set, but airflow:gitSyncRepository is empty (the DAGs come from the image): "
            "set both or neither",
            f"airflow:gitSyncKnownHosts = 'github.com {FAKE_HOST_KEY}': is set, but airflow:gitSyncRepository is empty (the "
            "DAGs come from the image): set both or neither",
        ],
        id="token and host keys without repository",
    ),
    pytest.param(
        {**SSH_ONLY, "gitSyncVerifyHostKeys": False, "gitSyncKnownHosts": f"github.com {FAKE_HOST_KEY}"},
        WITH_KEY,
        [f"airflow:gitSyncKnownHosts = 'github.com {FAKE_HOST_KEY}': is unused while airflow:gitSyncVerifyHostKeys is false"],
        id="known_hosts without verification",
    ),
    pytest.param(
        {**SSH_ONLY, "gitSyncKnownHosts": "github.com"},
        WITH_KEY,
        [
            "airflow:gitSyncKnownHosts = 'github.com': line 1 is not a known_hosts line '<host> <key type> <base64 key>' "
            "as printed by ssh-keyscan"
        ],
        id="known_hosts garbage",
    ),
    *[
        pytest.param(
            {**SSH_ONLY, "gitSyncKnownHosts": line},
            WITH_KEY,
            [
                f"airflow:gitSyncKnownHosts = '{line}': line 1 is not a known_hosts line '<host> <key type> <base64 key>' "
                "as printed by ssh-keyscan"
            ],
            id=case,
        )
        for line, case in [
            (f"github.com {FAKE_HOST_KEY}*", "key not base64"),
            (f"github.com ssh-rsa {FAKE_HOST_KEY.split()[1]}", "key of another type than its line says"),
            (f"@trusted github.com {FAKE_HOST_KEY}", "unknown marker"),
            (f"github.com,|1|bm90IGhhc2hlZA== {FAKE_HOST_KEY}", "hashed name without its hash, after a plain name"),
            # ssh compares a hashed name as written: one it can never match must not pass for the repository's host.
            (f"{hashed_host('github.com')}| {FAKE_HOST_KEY}", "hashed name with a stray '|'"),
            (f"{hashed_host('github.com').replace('|AAEC', '|AA*EC')} {FAKE_HOST_KEY}", "salt not base64"),
        ]
    ],
    pytest.param(
        {"gitSyncDagRefreshInterval": 60},
        {},
        [
            "airflow:gitSyncDagRefreshInterval = 60: is set, but airflow:gitSyncRepository is empty (the DAGs come from the "
            "image): set both or neither"
        ],
        id="refresh interval without repository",
    ),
    pytest.param(
        {**HTTPS_ONLY, "gitSyncDagRefreshInterval": 86401},
        {},
        ["airflow:gitSyncDagRefreshInterval = '86401': must be a whole number from 0 to 86400"],
        id="refresh interval too long",
    ),
    pytest.param(
        {**HTTPS_ONLY, "gitSyncPeriod": "10"}, {}, [f"airflow:gitSyncPeriod = '10': {PERIOD_RULE}"], id="period without unit"
    ),
    pytest.param(
        {**HTTPS_ONLY, "gitSyncPeriod": "ten seconds"},
        {},
        [f"airflow:gitSyncPeriod = 'ten seconds': {PERIOD_RULE}"],
        id="period in words",
    ),
    pytest.param(
        {**HTTPS_ONLY, "gitSyncPeriod": "500ms"}, {}, [f"airflow:gitSyncPeriod = '500ms': {PERIOD_RULE}"], id="period too short"
    ),
    pytest.param(
        {**HTTPS_ONLY, "gitSyncPeriod": "999ms"},
        {},
        [f"airflow:gitSyncPeriod = '999ms': {PERIOD_RULE}"],
        id="period one millisecond short of 1s",
    ),
    pytest.param(
        {**HTTPS_ONLY, "gitSyncPeriod": "86401s"},
        {},
        [f"airflow:gitSyncPeriod = '86401s': {PERIOD_RULE}"],
        id="period one second past 24h",
    ),
    pytest.param(
        {**HTTPS_ONLY, "gitSyncPeriod": "25h"}, {}, [f"airflow:gitSyncPeriod = '25h': {PERIOD_RULE}"], id="period too long"
    ),
    pytest.param(
        {**HTTPS_ONLY, "gitSyncSubPath": "../dags"},
        {},
        ["airflow:gitSyncSubPath = '../dags': must stay inside the repository: no '..'"],
        id="sub-path with ..",
    ),
    pytest.param(
        {**HTTPS_ONLY, "gitSyncSubPath": "dags/../../etc"},
        {},
        ["airflow:gitSyncSubPath = 'dags/../../etc': must stay inside the repository: no '..'"],
        id="sub-path with .. inside",
    ),
    pytest.param(
        {**HTTPS_ONLY, "gitSyncSubPath": "/opt/dags"},
        {},
        [
            "airflow:gitSyncSubPath = '/opt/dags': must be relative to the repository's root, without a leading '/', such "
            "as part2/dags"
        ],
        id="absolute sub-path",
    ),
    pytest.param(
        {**HTTPS_ONLY, "gitSyncSubPath": "part 2//dags"},
        {},
        [
            "airflow:gitSyncSubPath = 'part 2//dags': must be a folder such as part2/dags: names of letters, digits, '.', "
            "'_' and '-' joined by '/'"
        ],
        id="odd sub-path",
    ),
    pytest.param(
        {**HTTPS_ONLY, "gitSyncRef": "-main"},
        {},
        [
            "airflow:gitSyncRef = '-main': must be a branch, tag or commit such as main, v1.4.0 or a commit hash (HEAD: the "
            "default branch)"
        ],
        id="ref like an option",
    ),
    pytest.param(
        {**HTTPS_ONLY, "gitSyncRef": "main..dev"},
        {},
        [
            "airflow:gitSyncRef = 'main..dev': must be a branch, tag or commit such as main, v1.4.0 or a commit hash (HEAD: "
            "the default branch)"
        ],
        id="ref range",
    ),
    pytest.param(
        {**HTTPS_ONLY, "gitSyncDepth": -1},
        {},
        ["airflow:gitSyncDepth = '-1': must be a whole number from 0 to 1000000"],
        id="negative depth",
    ),
    pytest.param(
        {**HTTPS_ONLY, "gitSyncMaxFailures": -2},
        {},
        ["airflow:gitSyncMaxFailures = '-2': must be a whole number from -1 to 1000"],
        id="max failures",
    ),
    pytest.param(
        {**HTTPS_ONLY, "gitSyncImage": "registry.k8s.io/git-sync/git-sync"},
        {},
        [
            "airflow:gitSyncImage = 'registry.k8s.io/git-sync/git-sync': must be a pinned image reference repository:tag "
            "(or @sha256:digest), such as postgres:18.1"
        ],
        id="unpinned image",
    ),
    *[
        pytest.param(
            {**HTTPS_ONLY, "gitSyncRef": ref},
            {},
            [
                f"airflow:gitSyncRef = '{ref}': must be a branch, tag or commit such as main, v1.4.0 or a commit hash "
                "(HEAD: the default branch)"
            ],
            id=f"ref {case}",
        )
        for ref, case in [
            ("feature//x", "with an empty part"),
            ("feature/", "ending in '/'"),
            ("v1.", "ending in '.'"),
            ("main.lock", "ending in '.lock'"),
        ]
    ],
    pytest.param(
        {**HTTPS_ONLY, "gitSyncSubPath": "./dags"},
        {},
        [
            "airflow:gitSyncSubPath = './dags': must be a folder such as part2/dags: names of letters, digits, '.', '_' "
            "and '-' joined by '/'"
        ],
        id="sub-path with .",
    ),
    pytest.param(
        {**HTTPS_ONLY, "gitSyncUsername": "dags bot"},
        {},
        ["airflow:gitSyncUsername = 'dags bot': must be empty or 1 to 64 letters, digits, '_', '.', '@' or '-'"],
        id="user name with a space",
    ),
    pytest.param(
        {**HTTPS_ONLY, "gitSyncUsername": "dags bot"},
        {"gitSyncToken": TOKEN},
        ["airflow:gitSyncUsername = 'dags bot': must be empty or 1 to 64 letters, digits, '_', '.', '@' or '-'"],
        id="user name with a space, with its token",
    ),
    pytest.param(
        {"gitSyncRepository": "https://bot:hun@ter2@github.com/o/r.git"},
        {},
        [
            "airflow:gitSyncRepository = 'https://bot:***@github.com/o/r.git': must not carry a user name or password: set "
            "airflow:gitSyncUsername, and airflow:gitSyncToken with --secret"
        ],
        id="password with an @ in URL, not echoed",
    ),
    pytest.param(
        {"gitSyncRepository": "https://bot@github.com/o/r.git"},
        {},
        [
            "airflow:gitSyncRepository = 'https://bot@github.com/o/r.git': must not carry a user name or password: set "
            "airflow:gitSyncUsername, and airflow:gitSyncToken with --secret"
        ],
        id="user name in an HTTPS URL",
    ),
    *[
        pytest.param({"gitSyncRepository": url}, {}, [f"airflow:gitSyncRepository = '{url}': {REPOSITORY_RULE}"], id=case)
        for url, case in [
            ("https://github.com/o/r.git?ref=main", "query"),
            ("https://github.com/", "no repository path"),
            ("ssh://git@github.com:0/o/r.git", "port 0"),
            ("https://git_host.example.com/o/r.git", "host name with '_'"),
        ]
    ],
]


@pytest.mark.parametrize(("values", "secrets", "messages"), BAD_INPUTS)
def test_should_refuse_bad_input_with_key_value_and_rule(
    values: dict[str, object], secrets: dict[str, str], messages: list[str]
) -> None:
    problems = problems_of(values, secrets)
    assert problems == messages
    assert "hunter2" not in "\n".join(problems)


@pytest.mark.parametrize(
    ("values", "secrets", "period"),
    [
        pytest.param({**HTTPS_ONLY, "gitSyncUsername": "bot"}, {"gitSyncToken": "t" * 1024}, "10s", id="token of 1024"),
        pytest.param({**HTTPS_ONLY, "gitSyncPeriod": "1s"}, {}, "1s", id="period of 1s"),
        pytest.param({**HTTPS_ONLY, "gitSyncPeriod": "1000ms"}, {}, "1000ms", id="period of 1000ms"),
        pytest.param({**HTTPS_ONLY, "gitSyncPeriod": "24h"}, {}, "24h", id="period of 24h"),
        pytest.param({**HTTPS_ONLY, "gitSyncPeriod": "86400s"}, {}, "86400s", id="period of 86400s"),
    ],
)
def test_should_accept_settings_at_their_limits(values: dict[str, str], secrets: dict[str, str], period: str) -> None:
    config = {**config_of(**values), **config_of(**secrets)}
    settings = settings_of(config, tuple(config_of(**secrets)))
    assert settings is not None
    assert settings.period == period


@pytest.mark.parametrize(
    ("values", "secrets", "repository"),
    [
        pytest.param(
            {"gitSyncRepository": "git@GitHub.com:o/r.git"},
            WITH_KEY,
            GitRepository("git@GitHub.com:o/r.git", GitTransport.SSH, "github.com", 22),
            id="scp-like, host in lower case",
        ),
        pytest.param(
            {
                "gitSyncRepository": "ssh://git@git.example.com:1/o/r.git",
                "gitSyncKnownHosts": f"[git.example.com]:1 {FAKE_HOST_KEY}",
            },
            WITH_KEY,
            GitRepository("ssh://git@git.example.com:1/o/r.git", GitTransport.SSH, "git.example.com", 1),
            id="ssh:// on port 1",
        ),
        pytest.param(
            HTTPS_ONLY, {}, GitRepository(HTTPS_URL, GitTransport.HTTPS, "github.com", 443), id="https:// on its own port"
        ),
        pytest.param(
            {"gitSyncRepository": "https://git.example.com:65535/X"},
            {},
            GitRepository("https://git.example.com:65535/X", GitTransport.HTTPS, "git.example.com", 65535),
            id="https:// on port 65535, a one-letter path",
        ),
    ],
)
def test_should_read_the_repositorys_transport_host_and_port(
    values: dict[str, str], secrets: dict[str, str], repository: GitRepository
) -> None:
    config = {**config_of(**values), **config_of(**secrets)}
    settings = settings_of(config, tuple(config_of(**secrets)))
    assert settings is not None
    assert settings.repository == repository


def test_should_read_a_sub_path_without_its_final_slash_and_a_user_name_in_any_case() -> None:
    values = config_of(**HTTPS_ONLY, gitSyncSubPath="teams/X/", gitSyncUsername="Dags.Bot@example")
    settings = settings_of({**values, **config_of(gitSyncToken=TOKEN)}, ("airflow:gitSyncToken",))
    assert settings is not None
    assert (settings.sub_path, settings.username) == ("teams/X", "Dags.Bot@example")


@pytest.mark.parametrize(
    ("label", "body"),
    [
        pytest.param("RSA PRIVATE KEY", b"\x30\x82\x01\x00", id="PKCS#1"),
        pytest.param("EC PRIVATE KEY", b"\x30\x77", id="SEC1"),
        pytest.param("PRIVATE KEY", b"\x30\x82\x01\x00", id="PKCS#8 without passphrase"),
    ],
)
def test_should_accept_a_pem_private_key_without_passphrase(label: str, body: bytes) -> None:
    assert ssh_private_key(pem(label, body).rstrip("\n")) == pem(label, body)


def test_should_refuse_bad_input_before_creating_any_resource(monkeypatch: pytest.MonkeyPatch, run: Run) -> None:
    captures: list[Capture] = []

    def recording_capture() -> Capture:
        captures.append(Capture())
        return captures[-1]

    monkeypatch.setattr(tools.harness, "Capture", recording_capture)
    with pytest.raises(pulumi.RunError) as caught:
        run(gitSyncRepository=SSH_URL, gitSyncPeriod="10", secrets={"gitSyncSshKey": SSH_KEY})
    assert f"airflow:gitSyncPeriod = '10': {PERIOD_RULE}" in str(caught.value)
    assert [c.registrations for c in captures] == [[]]


@pytest.mark.parametrize(
    ("key", "values"), [("gitSyncSshKey", SSH_ONLY), ("gitSyncToken", {**HTTPS_ONLY, "gitSyncUsername": "x"})]
)
def test_should_render_stack_files_with_placeholders_that_pass_validation(key: str, values: dict[str, object]) -> None:
    secret = config_of(**{key: RENDER_PLACEHOLDERS[key]})
    assert settings_of({**config_of(**values), **secret}, tuple(secret)) is not None


def test_should_use_a_placeholder_key_that_holds_no_key_material() -> None:
    body = "".join(RENDER_PLACEHOLDERS["gitSyncSshKey"].splitlines()[1:-1])
    assert base64.b64decode(body).count(bytes(32)) >= 3, "the placeholder's key bytes must all be zero"
