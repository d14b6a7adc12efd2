"""Pod Security gate: every rendered pod template passes the restricted profile, exemptions are named and off by
default, and the namespace enforces a profile every pod in it passes; the checker itself catches each control."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from components.worker_logs import PERMISSIONS_FIX_NAME
from tests.conftest import shared
from tools import pod_security
from tools.harness import Capture
from tools.pod_security import (
    BASELINE,
    ENFORCE_LABEL,
    EXEMPTION_ANNOTATION,
    LOG_PERMISSIONS_FIX,
    RESTRICTED,
    PodTemplate,
    check_pod_spec,
    namespace_problems,
    pod_templates,
    rendered,
)
from tools.validate import Render, renders

RENDERS = renders()
AIRFLOW_NAMESPACE = "airflow"


def hardened_pod() -> dict[str, Any]:
    """A pod spec that passes restricted: what components/kube.py's helpers produce."""
    context = {
        "runAsNonRoot": True,
        "allowPrivilegeEscalation": False,
        "privileged": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    return {
        "securityContext": {"runAsNonRoot": True, "runAsUser": 50000, "seccompProfile": {"type": "RuntimeDefault"}},
        "initContainers": [{"name": "init", "image": "busybox", "securityContext": copy.deepcopy(context)}],
        "containers": [
            {
                "name": "main",
                "image": "busybox",
                "securityContext": copy.deepcopy(context),
                "ports": [{"containerPort": 8080}],
                "livenessProbe": {"httpGet": {"path": "/", "port": 8080}},
            }
        ],
        "volumes": [{"name": "tmp", "emptyDir": {}}, {"name": "config", "configMap": {"name": "c"}}],
    }


def main_context(pod: dict[str, Any]) -> dict[str, Any]:
    context: dict[str, Any] = pod["containers"][0]["securityContext"]
    return context


# Changes a pod spec in place (what it returns is ignored).
Damage = Callable[[dict[str, Any]], object]

# (what is broken, the control it breaks, the profile that control belongs to)
VIOLATIONS: list[tuple[str, Damage, str, str]] = [
    ("hostNetwork", lambda p: p.update(hostNetwork=True), "hostNamespaces", BASELINE),
    ("hostPID", lambda p: p.update(hostPID=True), "hostNamespaces", BASELINE),
    ("hostIPC", lambda p: p.update(hostIPC=True), "hostNamespaces", BASELINE),
    ("privileged", lambda p: main_context(p).update(privileged=True), "privileged", BASELINE),
    ("add SYS_ADMIN", lambda p: main_context(p)["capabilities"].update(add=["SYS_ADMIN"]), "capabilities", BASELINE),
    ("hostPath", lambda p: p["volumes"].append({"name": "h", "hostPath": {"path": "/"}}), "hostPathVolumes", BASELINE),
    ("hostPort", lambda p: p["containers"][0]["ports"][0].update(hostPort=8080), "hostPorts", BASELINE),
    ("procMount", lambda p: main_context(p).update(procMount="Unmasked"), "procMount", BASELINE),
    (
        "pod seccomp Unconfined",
        lambda p: p["securityContext"].update(seccompProfile={"type": "Unconfined"}),
        "seccomp",
        BASELINE,
    ),
    (
        "container seccomp Unconfined",
        lambda p: main_context(p).update(seccompProfile={"type": "Unconfined"}),
        "seccomp",
        BASELINE,
    ),
    (
        "unsafe sysctl",
        lambda p: p["securityContext"].update(sysctls=[{"name": "kernel.msgmax", "value": "1"}]),
        "sysctls",
        BASELINE,
    ),
    (
        "AppArmor profile Unconfined",
        lambda p: main_context(p).update(appArmorProfile={"type": "Unconfined"}),
        "appArmor",
        BASELINE,
    ),
    (
        "SELinux type spc_t",
        lambda p: p["securityContext"].update(seLinuxOptions={"type": "spc_t"}),
        "seLinux",
        BASELINE,
    ),
    ("SELinux user", lambda p: main_context(p).update(seLinuxOptions={"user": "system_u"}), "seLinux", BASELINE),
    (
        "Windows HostProcess",
        lambda p: main_context(p).update(windowsOptions={"hostProcess": True}),
        "hostProcess",
        BASELINE,
    ),
    (
        "probe to another host",
        lambda p: p["containers"][0]["livenessProbe"]["httpGet"].update(host="10.0.0.1"),
        "hostProbes",
        BASELINE,
    ),
    (
        "lifecycle hook to another host",
        lambda p: p["containers"][0].update(lifecycle={"preStop": {"tcpSocket": {"host": "10.0.0.1", "port": 1}}}),
        "hostProbes",
        BASELINE,
    ),
    ("nfs volume", lambda p: p["volumes"].append({"name": "n", "nfs": {"server": "s", "path": "/"}}), "volumeTypes", RESTRICTED),
    (
        "escalation allowed",
        lambda p: main_context(p).update(allowPrivilegeEscalation=True),
        "allowPrivilegeEscalation",
        RESTRICTED,
    ),
    ("escalation unset", lambda p: main_context(p).pop("allowPrivilegeEscalation"), "allowPrivilegeEscalation", RESTRICTED),
    ("runAsNonRoot false", lambda p: main_context(p).update(runAsNonRoot=False), "runAsNonRoot", RESTRICTED),
    (
        "runAsNonRoot nowhere",
        lambda p: [p["securityContext"].pop("runAsNonRoot"), main_context(p).pop("runAsNonRoot")],
        "runAsNonRoot",
        RESTRICTED,
    ),
    ("pod uid 0", lambda p: p["securityContext"].update(runAsUser=0), "runAsUser", RESTRICTED),
    ("container uid 0", lambda p: main_context(p).update(runAsUser=0), "runAsUser", RESTRICTED),
    (
        "seccomp nowhere",
        lambda p: [p["securityContext"].pop("seccompProfile"), main_context(p).pop("seccompProfile")],
        "seccomp",
        RESTRICTED,
    ),
    ("drop not ALL", lambda p: main_context(p)["capabilities"].update(drop=["NET_RAW"]), "capabilities", RESTRICTED),
    ("add CHOWN", lambda p: main_context(p)["capabilities"].update(add=["CHOWN"]), "capabilities", RESTRICTED),
    (
        "init container escalation",
        lambda p: p["initContainers"][0]["securityContext"].update(allowPrivilegeEscalation=True),
        "allowPrivilegeEscalation",
        RESTRICTED,
    ),
    (
        "ephemeral container privileged",
        lambda p: p.update(ephemeralContainers=[{"name": "debug", "securityContext": {"privileged": True}}]),
        "privileged",
        BASELINE,
    ),
]


def test_should_pass_a_hardened_pod() -> None:
    assert check_pod_spec(hardened_pod()) == []


@pytest.mark.parametrize(("damage", "control", "profile"), [v[1:] for v in VIOLATIONS], ids=[v[0] for v in VIOLATIONS])
def test_should_catch_each_control_of_the_restricted_profile(damage: Damage, control: str, profile: str) -> None:
    pod = hardened_pod()
    damage(pod)
    found = check_pod_spec(pod, profile=RESTRICTED)
    assert found, f"{control} not caught"
    assert {v.control for v in found} >= {control}, found
    assert all(v.profile in (BASELINE, RESTRICTED) for v in found)
    assert any(v.control == control and v.profile == profile for v in found), found


@pytest.mark.parametrize(("damage", "control", "profile"), [v[1:] for v in VIOLATIONS], ids=[v[0] for v in VIOLATIONS])
def test_should_hold_the_baseline_profile_to_its_own_controls_only(damage: Damage, control: str, profile: str) -> None:
    pod = hardened_pod()
    damage(pod)
    caught = any(v.control == control for v in check_pod_spec(pod, profile=BASELINE))
    assert caught == (profile == BASELINE), control


def test_should_accept_an_apparmor_annotation_only_for_runtime_default_or_localhost() -> None:
    key = "container.apparmor.security.beta.kubernetes.io/main"
    assert check_pod_spec(hardened_pod(), {key: "runtime/default"}) == []
    assert check_pod_spec(hardened_pod(), {key: "localhost/airflow"}) == []
    assert [v.control for v in check_pod_spec(hardened_pod(), {key: "unconfined"})] == ["appArmor"]


def test_should_accept_seccomp_set_on_every_container_instead_of_the_pod() -> None:
    pod = hardened_pod()
    pod["securityContext"].pop("seccompProfile")
    assert check_pod_spec(pod) == []


def test_should_name_the_container_and_the_field_of_a_violation() -> None:
    pod = hardened_pod()
    main_context(pod).update(runAsUser=0)
    assert [str(v) for v in check_pod_spec(pod)] == [
        "restricted/runAsUser at spec.containers[0].securityContext.runAsUser (container main): must not be 0"
    ]


# --- the render -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("render", RENDERS, ids=[r.name for r in RENDERS])
def test_should_render_only_pods_that_pass_the_restricted_profile(render: Render) -> None:
    templates = pod_templates(rendered(render.run()))
    assert templates, f"{render.name} renders no pod"
    found = [f"{t.kind}/{t.name}: {v}" for t in templates for v in t.check(RESTRICTED)]
    assert not found, "\n".join(found)


@pytest.mark.parametrize("render", RENDERS, ids=[r.name for r in RENDERS])
def test_should_enforce_in_each_namespace_a_profile_its_pods_pass_without_exemptions(render: Render) -> None:
    problems = namespace_problems(rendered(render.run()))
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("render", [r for r in RENDERS if r.stack], ids=[r.name for r in RENDERS if r.stack])
def test_should_claim_no_exemption_in_any_stack_file(render: Render) -> None:
    claimed = [(t.name, e.name) for t in pod_templates(rendered(render.run())) for e in t.claimed_exemptions()]
    assert claimed == []


def test_should_claim_no_exemption_by_default(default_run: Capture) -> None:
    claimed = [(t.name, e.name) for t in pod_templates(rendered(default_run)) for e in t.claimed_exemptions()]
    assert claimed == []


@pytest.mark.parametrize(
    ("label", "value"),
    [
        (ENFORCE_LABEL, RESTRICTED),
        ("pod-security.kubernetes.io/enforce-version", "latest"),
        ("pod-security.kubernetes.io/audit", RESTRICTED),
        ("pod-security.kubernetes.io/warn", RESTRICTED),
    ],
)
def test_should_label_the_airflow_namespace_for_restricted_admission(default_run: Capture, label: str, value: str) -> None:
    labels = default_run.object("Namespace", AIRFLOW_NAMESPACE)["metadata"]["labels"]
    assert labels.get(label) == value, f"Namespace/{AIRFLOW_NAMESPACE}: {label}"


@pytest.fixture(scope=shared("module"))
def permissions_fix_run() -> Capture:
    (render,) = [r for r in RENDERS if r.values.get("workerLogsFixPermissions") == "true"]
    return render.run()


def worker(capture: Capture) -> PodTemplate:
    (template,) = [t for t in pod_templates(rendered(capture)) if t.kind == "StatefulSet" and t.name == "airflow-worker"]
    return template


def test_should_claim_only_the_log_permissions_exemption_when_that_fix_is_on(permissions_fix_run: Capture) -> None:
    template = worker(permissions_fix_run)
    assert template.annotations.get(EXEMPTION_ANNOTATION), "StatefulSet/airflow-worker"
    assert template.claimed_exemptions() == [LOG_PERMISSIONS_FIX]
    assert template.check(RESTRICTED) == []


def test_should_need_the_exemption_only_for_the_permissions_fix_container(permissions_fix_run: Capture) -> None:
    unexempted = worker(permissions_fix_run).check(RESTRICTED, exempt=False)
    assert unexempted, "the root init container should break restricted"
    assert {v.container for v in unexempted} == {PERMISSIONS_FIX_NAME}
    assert {v.control for v in unexempted} <= LOG_PERMISSIONS_FIX.controls


def test_should_enforce_baseline_where_the_permissions_fix_runs(permissions_fix_run: Capture) -> None:
    labels = permissions_fix_run.object("Namespace", AIRFLOW_NAMESPACE)["metadata"]["labels"]
    assert labels[ENFORCE_LABEL] == BASELINE
    assert labels["pod-security.kubernetes.io/warn"] == RESTRICTED


def test_should_not_let_an_exemption_cover_another_container(permissions_fix_run: Capture) -> None:
    template = worker(permissions_fix_run)
    spec = copy.deepcopy(template.spec)
    spec["containers"][0]["securityContext"]["runAsUser"] = 0
    renamed = PodTemplate(template.kind, template.name, template.namespace, template.path, {**template.template, "spec": spec})
    assert [(v.control, v.container) for v in renamed.check(RESTRICTED)] == [("runAsUser", spec["containers"][0]["name"])]


def test_should_apply_no_exemption_to_a_template_that_does_not_claim_it(permissions_fix_run: Capture) -> None:
    template = worker(permissions_fix_run)
    unclaimed = PodTemplate(template.kind, template.name, template.namespace, template.path, {"spec": template.spec})
    assert unclaimed.claimed_exemptions() == []
    assert unclaimed.check(RESTRICTED)


def test_should_refuse_a_pod_that_needs_an_exemption_in_a_namespace_enforcing_restricted(
    permissions_fix_run: Capture,
) -> None:
    objects = rendered(permissions_fix_run)
    for obj in objects:
        if obj["kind"] == "Namespace" and obj["metadata"]["name"] == AIRFLOW_NAMESPACE:
            obj["metadata"]["labels"][ENFORCE_LABEL] = RESTRICTED
    problems = namespace_problems(objects)
    assert problems
    assert all(p.startswith("StatefulSet/airflow-worker in namespace 'airflow': would be refused") for p in problems)


def test_should_refuse_a_pod_in_a_namespace_the_stack_does_not_create(default_run: Capture) -> None:
    objects = [o for o in rendered(default_run) if not (o["kind"] == "Namespace" and o["metadata"]["name"] == AIRFLOW_NAMESPACE)]
    problems = namespace_problems(objects)
    assert problems
    assert all("the namespace is not created by this stack" in p for p in problems)


def test_should_find_the_pod_template_of_every_workload_kind() -> None:
    pod = {"spec": hardened_pod()}
    objects = [
        {"kind": "Deployment", "metadata": {"name": "d"}, "spec": {"template": pod}},
        {"kind": "CronJob", "metadata": {"name": "c"}, "spec": {"jobTemplate": {"spec": {"template": pod}}}},
        {"kind": "Pod", "metadata": {"name": "p"}, **pod},
        {"kind": "Service", "metadata": {"name": "s"}, "spec": {}},
    ]
    found = {(t.kind, t.path): t.spec == pod["spec"] for t in pod_templates(objects)}
    assert found == {
        ("Deployment", "spec.template"): True,
        ("CronJob", "spec.jobTemplate.spec.template"): True,
        ("Pod", ""): True,
    }


def test_should_report_the_path_inside_the_workload() -> None:
    pod = hardened_pod()
    pod["hostPID"] = True
    (template,) = pod_templates([{"kind": "StatefulSet", "metadata": {"name": "w"}, "spec": {"template": {"spec": pod}}}])
    assert [v.path for v in template.check()] == ["spec.template.spec.hostPID"]


def test_should_exit_1_from_the_command_line_when_a_pod_breaks_the_profile(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(pod_security, "check_pod_spec", lambda *args, **kwargs: check_pod_spec({"hostIPC": True}))
    assert pod_security.main(["--stack", "dev"]) == 1
    assert "baseline/hostNamespaces at spec.hostIPC" in capsys.readouterr().out
