"""Schema gate: every rendered object is valid for the oldest and newest supported Kubernetes, unknown fields rejected;
the validator itself reports every error of a broken object with kind, name and path. Also: mypy rejects a misspelled
field of a typed `*Args` class, the same mistake caught one step earlier."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from components import tls_issuer, worker_autoscaler
from components.settings import PROJECT_DIR
from tests.conftest import shared
from tools import crd_schemas, validate
from tools.harness import Capture
from tools.validate import KUBERNETES_VERSIONS, Render, SchemaProblem, renders, validate_manifests, validate_object

RENDERS = renders()


def first(capture: Capture, kind: str) -> dict[str, Any]:
    """A deep copy of the first rendered object of this kind, to break on purpose."""
    objects = [obj for obj, _ in validate.rendered_objects(capture) if obj["kind"] == kind]
    assert objects, f"the default render has no {kind}"
    return copy.deepcopy(objects[0])


def problems(obj: dict[str, Any], version: str = KUBERNETES_VERSIONS[-1]) -> list[tuple[str, str]]:
    return [(p.path, p.message) for p in validate_object(obj, version)]


CLUSTER_ISSUER: dict[str, Any] = {
    "apiVersion": "cert-manager.io/v1",
    "kind": "ClusterIssuer",
    "metadata": {"name": "airflow-selfsigned"},
    "spec": {"selfSigned": {}},
}


@pytest.mark.parametrize("render", RENDERS, ids=[r.name for r in RENDERS])
def test_should_render_only_objects_valid_for_every_supported_kubernetes(render: Render) -> None:
    capture = render.run()
    assert capture.kubernetes_objects(), f"{render.name} renders no Kubernetes object"
    found = validate.validate_capture(capture)
    assert not found, f"{render.name}: {len(found)} schema problems:\n" + "\n".join(map(str, sorted(found, key=str)))


def test_should_check_the_oldest_and_the_newest_supported_kubernetes() -> None:
    assert KUBERNETES_VERSIONS == ("1.32", "1.37")


def test_should_check_every_stack_file_of_the_repository() -> None:
    stack_files = sorted(p.name for p in PROJECT_DIR.glob("Pulumi.*.yaml"))
    assert stack_files
    assert sorted(f"Pulumi.{r.stack}.yaml" for r in RENDERS if r.stack) == stack_files


def test_should_report_a_misspelled_field_with_kind_name_and_path(default_run: Capture) -> None:
    deployment = first(default_run, "Deployment")
    deployment["spec"]["template"]["spec"]["containers"][0]["imagePulPolicy"] = "Always"
    found = validate_object(deployment, "1.37")
    assert found == [
        SchemaProblem(
            kind="Deployment",
            name=deployment["metadata"]["name"],
            path="spec.template.spec.containers[0].imagePulPolicy",
            message="unknown field",
            schema="Kubernetes 1.37",
        )
    ]


def test_should_report_a_wrong_type_with_its_path(default_run: Capture) -> None:
    statefulset = first(default_run, "StatefulSet")
    statefulset["spec"]["replicas"] = "two"
    assert problems(statefulset) == [("spec.replicas", "'two' is not of type 'integer', 'null'")]


def test_should_report_every_error_of_an_object_not_only_the_first(default_run: Capture) -> None:
    deployment = first(default_run, "Deployment")
    pod = deployment["spec"]["template"]["spec"]
    pod["containers"][0]["nmae"] = "typo"
    pod["securityContext"]["runAsUser"] = "50000"
    pod["volumes"][0]["emptyDir"]["sizeLimit"] = ["1Gi"]
    deployment["metadata"]["lables"] = {}
    found = problems(deployment)
    assert [path for path, _ in found] == [
        "metadata.lables",
        "spec.template.spec.containers[0].nmae",
        "spec.template.spec.securityContext.runAsUser",
        "spec.template.spec.volumes[0].emptyDir.sizeLimit",
    ], found


def test_should_name_what_an_int_or_string_field_accepts(default_run: Capture) -> None:
    service = first(default_run, "Service")
    service["spec"]["ports"][0]["targetPort"] = {"name": "http"}
    wanted = "{'name': 'http'} is not of type 'integer', 'null'; {'name': 'http'} is not of type 'string', 'null'"
    assert problems(service) == [("spec.ports[0].targetPort", wanted)]


def test_should_reject_a_field_the_oldest_supported_kubernetes_does_not_know(default_run: Capture) -> None:
    deployment = first(default_run, "Deployment")
    # PodSpec.hostnameOverride exists from 1.34: a cluster on 1.32 would refuse it.
    deployment["spec"]["template"]["spec"]["hostnameOverride"] = "worker"
    assert problems(deployment, "1.37") == []
    assert problems(deployment, "1.32") == [("spec.template.spec.hostnameOverride", "unknown field")]


def test_should_say_once_that_a_problem_is_in_both_versions(default_run: Capture) -> None:
    namespace = first(default_run, "Namespace")
    namespace["spec"] = {"finalizer": ["kubernetes"]}
    found = validate_manifests([(namespace, "namespace")])
    assert [(p.path, p.schema) for p in found] == [("spec.finalizer", "Kubernetes 1.32, Kubernetes 1.37")]


def test_should_reject_a_kind_without_a_schema() -> None:
    unknown = {"apiVersion": "apps/v1", "kind": "Deploymnet", "metadata": {"name": "airflow-api-server"}}
    found = validate_object(unknown, "1.37")
    assert [(p.kind, p.name, p.path) for p in found] == [("Deploymnet", "airflow-api-server", "")]
    assert "no schema for apiVersion 'apps/v1' kind 'Deploymnet'" in found[0].message


def test_should_name_an_unnamed_object_by_its_pulumi_resource() -> None:
    unnamed = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}, "dataa": {}}
    found = validate_manifests([(unnamed, "airflow-config")], versions=["1.37"])
    assert [str(p) for p in found] == ["ConfigMap/airflow-config at dataa: unknown field [Kubernetes 1.37]"]


def test_should_read_the_cert_manager_crds_of_the_release_the_edge_installs_from_the_repository() -> None:
    set_name = f"cert-manager-{tls_issuer.CHART_VERSION}"
    installed = crd_schemas.schema_dir(set_name)
    assert installed == PROJECT_DIR / ".schemas" / "cert-manager-v1.21.1"
    assert crd_schemas.is_current(set_name), "./test.sh installs them first"
    source = crd_schemas.CRD_SETS[set_name]
    assert (source.module, source.version) == ("github.com/cert-manager/cert-manager", tls_issuer.CHART_VERSION)
    assert sorted(p.name for p in installed.glob("*.yaml")) == [
        "acme.cert-manager.io_challenges.yaml",
        "acme.cert-manager.io_orders.yaml",
        "cert-manager.io_certificaterequests.yaml",
        "cert-manager.io_certificates.yaml",
        "cert-manager.io_clusterissuers.yaml",
        "cert-manager.io_issuers.yaml",
    ]
    assert validate.crd_schemas()[("cert-manager.io/v1", "ClusterIssuer")].crd_set == set_name
    assert validate.crd_schemas()[("cert-manager.io/v1", "Certificate")].crd_set == set_name


def test_should_accept_a_valid_cluster_issuer() -> None:
    assert problems(CLUSTER_ISSUER) == []


@pytest.mark.parametrize(
    ("damage", "expected"),
    [
        (lambda o: o["spec"].update(selfSigend={}), [("spec.selfSigend", "unknown field")]),
        (
            lambda o: o["spec"].update(acme={"server": 42, "privateKeySecretRef": {"name": "k"}, "solvers": []}),
            [("spec.acme.server", "42 is not of type 'string'")],
        ),
        (lambda o: o["metadata"].update(labels={"team": 7}), [("metadata.labels.team", "7 is not of type 'string', 'null'")]),
        (
            lambda o: o["spec"].update(ca={"secretName": "airflow-ca", "crlDistributionPoint": []}),
            [("spec.ca.crlDistributionPoint", "unknown field")],
        ),
    ],
    ids=["misspelled-issuer-type", "wrong-type", "metadata-checked-as-object-meta", "misspelled-nested-field"],
)
def test_should_validate_cert_manager_objects_against_their_crd(damage: Any, expected: list[tuple[str, str]]) -> None:
    issuer = copy.deepcopy(CLUSTER_ISSUER)
    damage(issuer)
    found = validate_object(issuer, "1.37")
    assert [(p.path, p.message) for p in found] == expected
    assert {p.schema for p in found} == {"cert-manager-v1.21.1 CRD"}


@pytest.fixture(scope=shared("module"))
def autoscaled() -> Capture:
    (render,) = [r for r in RENDERS if r.name == "operated"]
    return render.run()


@pytest.mark.parametrize(
    ("kind", "damage", "expected"),
    [
        ("ScaledObject", lambda o: o["spec"].update(minReplicas=0), [("spec.minReplicas", "unknown field")]),
        ("ScaledObject", lambda o: o["spec"].update(pollingInterval="10"),
         [("spec.pollingInterval", "'10' is not of type 'integer'")]),
        ("ScaledObject", lambda o: o["spec"]["triggers"][0]["metadata"].update(targetQueryValue=16),
         [("spec.triggers[0].metadata.targetQueryValue", "16 is not of type 'string'")]),
        ("TriggerAuthentication", lambda o: o["spec"]["secretTargetRef"][0].pop("key"),
         [("spec.secretTargetRef[0]", "'key' is a required property")]),
    ],
    ids=["misspelled-field", "interval-as-text", "target-as-number", "reference-without-key"],
)
def test_should_validate_keda_objects_against_the_crds_of_the_release_the_autoscaler_installs(
    autoscaled: Capture, kind: str, damage: Any, expected: list[tuple[str, str]]
) -> None:
    assert crd_schemas.CRD_SETS[f"keda-{worker_autoscaler.CHART_VERSION}"].version == f"v{worker_autoscaler.CHART_VERSION}"
    obj = first(autoscaled, kind)
    assert problems(obj) == []
    damage(obj)
    found = validate_object(obj, "1.37")
    assert [(p.path, p.message) for p in found] == expected
    assert {p.schema for p in found} == {"keda-2.21.0 CRD"}


def test_should_keep_open_what_a_crd_preserves_on_purpose() -> None:
    schema = {
        "type": "object",
        "properties": {
            "webhook": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
            "solver": {"type": "object", "properties": {"name": {"type": "string"}}},
        },
    }
    closed = validate.close_objects(schema, crd=True)
    assert closed["additionalProperties"] is False
    assert "additionalProperties" not in closed["properties"]["webhook"]
    assert closed["properties"]["solver"]["additionalProperties"] is False


def test_should_read_openapi_nullable_and_int_or_string() -> None:
    converted = validate.openapi_to_jsonschema(
        {"properties": {"a": {"type": "string", "nullable": True}, "b": {"x-kubernetes-int-or-string": True}}}
    )
    assert converted["properties"]["a"] == {"type": ["string", "null"]}
    assert converted["properties"]["b"] == {"anyOf": [{"type": "integer"}, {"type": "string"}]}


def test_should_exit_1_and_print_every_problem_from_the_command_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], default_run: Capture
) -> None:
    broken = first(default_run, "Deployment")
    broken["spec"]["replikas"] = 1
    monkeypatch.setattr(validate, "validate_capture", lambda capture: validate_manifests([(broken, "api-server")]))
    assert validate.main(["--stack", "dev"]) == 1
    out = capsys.readouterr().out
    assert "stack-dev: 1 schema problems" in out
    assert f"Deployment/{broken['metadata']['name']} at spec.replikas: unknown field" in out


def test_should_fail_type_checking_on_a_misspelled_args_field(tmp_path: Path) -> None:
    snippet = tmp_path / "snippet.py"
    snippet.write_text(
        "import pulumi_kubernetes as k8s\n\n"
        "def container() -> k8s.core.v1.ContainerArgs:\n"
        '    return k8s.core.v1.ContainerArgs(nmae="airflow", image="apache/airflow:3.3.2")\n'
    )
    completed = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(PROJECT_DIR / "pyproject.toml"), str(snippet)],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 1, completed.stdout + completed.stderr
    assert 'Unexpected keyword argument "nmae" for "ContainerArgs"' in completed.stdout
