"""IngressController: the ingress-nginx release (or an existing controller), its Service lookup, its outputs."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest
from pulumi.runtime import rpc

from tests.conftest import Run, config_of, settings_problems
from tools.harness import Capture, ProgramMocks, Registration, run_program

RELEASE = "ingress-controller-release"
LOOKUP = "ingress-controller-service"
HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
SERVICE = "kubernetes:core/v1:Service"
EXISTING = {"ingressMode": "existing", "ingressExistingService": "edge/nginx-controller", "domain": "airflow.example.com"}


def release_of(capture: Capture) -> dict[str, Any]:
    return capture.one(HELM_RELEASE, RELEASE).plain_inputs


def lookups(capture: Capture) -> list[Registration]:
    return [r for r in capture.registrations if r.type == SERVICE and r.lookup_id]


def value_at(values: dict[str, Any], path: str) -> Any:
    for key in path.split("."):
        values = values[key]
    return values




# --- install mode ----------------------------------------------------------------------------------------------------


def test_should_install_the_pinned_ingress_nginx_chart(default_run: Capture) -> None:
    release = release_of(default_run)
    assert (release["name"], release["chart"], release["version"]) == ("ingress-nginx", "ingress-nginx", "4.15.1"), RELEASE
    assert release["repositoryOpts"] == {"repo": "https://kubernetes.github.io/ingress-nginx"}, RELEASE


def test_should_install_into_its_own_restricted_namespace(default_run: Capture) -> None:
    namespace = default_run.object("Namespace", "ingress")
    assert release_of(default_run)["namespace"] == "ingress", RELEASE
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted", "Namespace ingress"


def test_should_install_into_the_configured_namespace(run: Run) -> None:
    capture = run(ingressNamespace="edge")
    assert release_of(capture)["namespace"] == "edge", RELEASE
    assert capture.outputs["ingressNamespace"] == "edge"


DEFAULT_VALUES = [
    # The Service name the lookup relies on is `<fullnameOverride>-controller`.
    ("fullnameOverride", "ingress-nginx"),
    ("controller.ingressClassResource.name", "nginx"),
    ("controller.ingressClass", "nginx"),
    ("controller.service.type", "LoadBalancer"),
    ("controller.metrics.enabled", False),
    ("controller.allowSnippetAnnotations", False),
    ("controller.image.runAsNonRoot", True),
    ("controller.image.allowPrivilegeEscalation", False),
    ("controller.image.seccompProfile", {"type": "RuntimeDefault"}),
    ("controller.config.hsts", "true"),
    ("controller.config.hsts-max-age", "31536000"),
    ("controller.config.hsts-include-subdomains", "false"),
    ("controller.config.ssl-redirect", "true"),
]


@pytest.mark.parametrize(("path", "expected"), DEFAULT_VALUES, ids=[path for path, _ in DEFAULT_VALUES])
def test_should_set_the_chart_value(default_run: Capture, path: str, expected: object) -> None:
    assert value_at(release_of(default_run)["values"], path) == expected, f"{RELEASE} values.{path}"


def test_should_set_exactly_these_chart_values(default_run: Capture) -> None:
    """The whole table: a value added or changed (HSTS preload, which commits the domain to browsers' lists for
    months) must show up here rather than slip into a release."""
    assert release_of(default_run)["values"] == {
        "fullnameOverride": "ingress-nginx",
        "controller": {
            "image": {
                "runAsNonRoot": True,
                "seccompProfile": {"type": "RuntimeDefault"},
                "allowPrivilegeEscalation": False,
                "readOnlyRootFilesystem": False,
            },
            "config": {
                "hsts": "true",
                "hsts-max-age": "31536000",
                "hsts-include-subdomains": "false",
                "hsts-preload": "false",
                "ssl-redirect": "true",
            },
            "service": {"type": "LoadBalancer"},
            "ingressClassResource": {"name": "nginx", "controllerValue": "k8s.io/ingress-nginx-nginx"},
            "ingressClass": "nginx",
            "metrics": {"enabled": False},
            "allowSnippetAnnotations": False,
        },
    }, RELEASE


def test_should_leave_admission_webhooks_to_the_chart(default_run: Capture) -> None:
    assert "admissionWebhooks" not in release_of(default_run)["values"]["controller"], RELEASE


def test_should_name_the_ingress_class_and_service_type_from_settings(run: Run) -> None:
    values = release_of(run(ingressClassName="edge", ingressServiceType="NodePort", domain="airflow.example.com"))["values"]
    assert value_at(values, "controller.ingressClassResource.name") == "edge", RELEASE
    assert value_at(values, "controller.service.type") == "NodePort", RELEASE


def test_should_claim_only_its_own_ingress_class(run: Run) -> None:
    """Two ingress-nginx installations with the default controller value would serve each other's classes."""
    edge = value_at(release_of(run(ingressClassName="edge"))["values"], "controller.ingressClassResource.controllerValue")
    nginx = value_at(release_of(run())["values"], "controller.ingressClassResource.controllerValue")
    assert edge != nginx, RELEASE
    assert "k8s.io/ingress-nginx" not in (edge, nginx), "the chart's default value is shared by every installation"


def test_should_read_the_controller_service_the_chart_creates(default_run: Capture) -> None:
    assert [r.lookup_id for r in lookups(default_run)] == ["ingress/ingress-nginx-controller"], LOOKUP


def test_should_read_the_service_only_once_the_release_is_deployed() -> None:
    """In a preview the release's status is unknown, so the id is too, and the engine skips the read."""
    capture = run_program(preview=True)
    assert [r.lookup_id for r in lookups(capture)] == [rpc.UNKNOWN], LOOKUP


@pytest.mark.parametrize("address", ["203.0.113.10", "a1b2c3.elb.eu-west-1.amazonaws.com"])
def test_should_export_the_load_balancer_address(run: Run, address: str) -> None:
    capture = run(lb_address=address, domain="airflow.example.com")
    assert capture.outputs["loadBalancerAddress"] == address


def test_should_not_look_up_a_node_port_service(run: Run) -> None:
    capture = run(ingressServiceType="NodePort", domain="airflow.example.com")
    assert lookups(capture) == [], LOOKUP
    assert capture.outputs["loadBalancerAddress"] == ""


def test_should_pass_the_class_to_the_ingress_only_through_the_release(default_run: Capture) -> None:
    """The Ingress waits for the controller and its admission webhook."""
    release_urn = default_run.one(HELM_RELEASE, RELEASE).urn
    ingress = default_run.one("kubernetes:networking.k8s.io/v1:Ingress", "ui-ingress")
    assert release_urn in ingress.dependencies, "ui-ingress"
    assert ingress.plain_inputs["spec"]["ingressClassName"] == "nginx", "ui-ingress"


# --- existing mode ---------------------------------------------------------------------------------------------------


def test_should_install_nothing_for_an_existing_controller(run: Run) -> None:
    capture = run(**EXISTING)
    assert [r.name for r in capture.of_type(HELM_RELEASE) if r.name == RELEASE] == [], RELEASE
    assert [r.name for r in capture.kubernetes_objects() if r.name == "ingress-controller-namespace"] == []


def test_should_read_the_existing_controllers_service(run: Run) -> None:
    capture = run(**EXISTING, lb_address="198.51.100.7")
    assert [r.lookup_id for r in lookups(capture)] == ["edge/nginx-controller"], LOOKUP
    assert capture.outputs["loadBalancerAddress"] == "198.51.100.7"
    assert capture.outputs["ingressNamespace"] == "edge"


def test_should_use_the_existing_class(run: Run) -> None:
    capture = run(**EXISTING, ingressClassName="public")
    ingress = capture.object("Ingress", "airflow-ingress")
    assert ingress["spec"]["ingressClassName"] == "public", "airflow-ingress"


def test_should_not_need_an_address_when_a_domain_is_set(run: Run) -> None:
    """The e2e cluster: an existing Service without a load balancer."""
    capture = run(**EXISTING, lb_address="")
    assert capture.outputs["loadBalancerAddress"] == ""
    assert capture.outputs["url"] == "https://airflow.example.com"


@pytest.mark.parametrize(
    "status", [{}, {"status": {}}, {"status": {"loadBalancer": {}}}], ids=["none", "empty", "no-ingress"]
)
def test_should_read_no_address_from_a_service_without_a_load_balancer_status(
    run: Run, monkeypatch: pytest.MonkeyPatch, status: dict[str, Any]
) -> None:
    """A Service read back without a status, or without its load-balancer part, has no address: with a domain set
    the stack needs none, so it goes on."""
    answer = ProgramMocks.new_resource

    def without_status(mocks: ProgramMocks, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        resource_id, outputs = answer(mocks, args)
        if args.typ == SERVICE and args.resource_id:
            outputs = {**{k: v for k, v in outputs.items() if k != "status"}, **status}
        return resource_id, outputs

    monkeypatch.setattr(ProgramMocks, "new_resource", without_status)
    capture = run(**EXISTING)
    assert (capture.outputs["loadBalancerAddress"], capture.outputs["url"]) == ("", "https://airflow.example.com")


def test_should_own_the_lookup_of_an_existing_controllers_service(run: Run) -> None:
    """Read under the component as in install mode: re-parented, it would be a different resource to Pulumi."""
    capture = run(**EXISTING)
    by_urn = {r.urn: r.name for r in capture.registrations}
    owned = {r.name: (r.type, by_urn.get(r.parent)) for r in capture.registrations if r.name.startswith("ingress-controller")}
    assert owned == {
        "ingress-controller": ("airflow:index:IngressController", None),
        "ingress-controller-service": (SERVICE, "ingress-controller"),
    }


# --- bad input -------------------------------------------------------------------------------------------------------

BAD_INPUT = [
    (
        {"ingressMode": "helm"},
        ["airflow:ingressMode = 'helm': must be one of install, existing"],
    ),
    (
        {"ingressServiceType": "ClusterIP"},
        ["airflow:ingressServiceType = 'ClusterIP': must be one of LoadBalancer, NodePort"],
    ),
    (
        {"ingressClassName": "Nginx"},
        [
            "airflow:ingressClassName = 'Nginx': must be a DNS-1123 label: 1 to 63 lower-case letters, digits or '-', "
            "starting and ending with a letter or digit"
        ],
    ),
    (
        {"ingressMode": "existing"},
        [
            "airflow:ingressExistingService = '': is required when airflow:ingressMode is existing: "
            "the <namespace>/<name> of the controller's Service"
        ],
    ),
    (
        {"ingressMode": "existing", "ingressExistingService": "ingress-nginx-controller"},
        [
            "airflow:ingressExistingService = 'ingress-nginx-controller': must be empty or <namespace>/<name> of a "
            "Service, such as ingress-nginx/ingress-nginx-controller"
        ],
    ),
    (
        {"ingressServiceType": "NodePort"},
        [
            "airflow:domain = '': is required when airflow:ingressServiceType is NodePort: a NodePort Service has no "
            "load-balancer address to derive a host name from"
        ],
    ),
]


@pytest.mark.parametrize(("values", "messages"), BAD_INPUT, ids=[str(v) for v, _ in BAD_INPUT])
def test_should_name_key_value_and_rule_for_bad_controller_settings(values: dict[str, str], messages: list[str]) -> None:
    assert settings_problems(config_of(**values)) == messages
