"""The UI's host and Ingress: host derivation, the Ingress object, base_url, the edge's stack outputs."""

from __future__ import annotations

from typing import Any

import kubernetes_validate
import pulumi
import pytest

from components.ingress import HostError, wildcard_host
from components.settings import ConfigReader, WildcardDns, read_settings
from tests.conftest import Run, config_of, settings_problems
from tools.harness import Capture

INGRESS = "airflow-ingress"
API_SERVER = "airflow-api-server"
EDGE_PREFIXES = ("ingress-controller", "tls", "ui")
DOMAIN = {"domain": "airflow.example.com"}


def env_of(manifest: dict[str, Any], name: str) -> str | None:
    (container,) = [c for c in manifest["spec"]["template"]["spec"]["containers"] if c["name"] == "api-server"]
    values = [e.get("value") for e in container.get("env", []) if e["name"] == name]
    return values[0] if values else None




def edge_urns(capture: Capture) -> set[str]:
    return {r.urn for r in capture.registrations if r.name.startswith(EDGE_PREFIXES)}


# --- the host --------------------------------------------------------------------------------------------------------

HOSTS = [
    ("203.0.113.10", WildcardDns.SSLIP, "203-0-113-10.sslip.io"),
    ("203.0.113.10", WildcardDns.NIP, "203.0.113.10.nip.io"),
    ("2001:db8::1", WildcardDns.SSLIP, "2001-db8--1.sslip.io"),
]


@pytest.mark.parametrize(("address", "service", "host"), HOSTS, ids=[f"{a}-{s}" for a, s, _ in HOSTS])
def test_should_name_an_ip_address_with_the_wildcard_dns_service(address: str, service: WildcardDns, host: str) -> None:
    assert wildcard_host(address, service) == host


# Each message whole: it is all an operator gets when `pulumi up` stops here, so it names the setting to change and
# the command or the page that tells how.
UNNAMEABLE = [
    (
        "a1b2c3.elb.eu-west-1.amazonaws.com",
        WildcardDns.SSLIP,
        "The ingress controller's load balancer has a host name (a1b2c3.elb.eu-west-1.amazonaws.com), not an IP "
        "address, so no sslip.io name can be derived from it. Set airflow:domain to a host name of yours with a CNAME "
        "record pointing at a1b2c3.elb.eu-west-1.amazonaws.com (pulumi config set domain airflow.example.com).",
    ),
    (
        "",
        WildcardDns.SSLIP,
        "The ingress controller's Service has no load-balancer address, so there is no IP to name the UI after. Set "
        "airflow:domain to a host name whose DNS record points at the controller (pulumi config set domain "
        "airflow.example.com), or give the Service an external address (docs/troubleshooting.md, 'The load-balancer "
        "address stays pending').",
    ),
    (
        "2001:db8::1",
        WildcardDns.NIP,
        "The ingress controller's load balancer has an IPv6 address (2001:db8::1), which nip.io cannot name. Set "
        "airflow:wildcardDnsService to sslip.io, or set airflow:domain.",
    ),
]


@pytest.mark.parametrize(("address", "service", "message"), UNNAMEABLE, ids=[a or "empty" for a, _, _ in UNNAMEABLE])
def test_should_ask_for_a_domain_when_the_address_cannot_be_named(address: str, service: WildcardDns, message: str) -> None:
    with pytest.raises(HostError) as caught:
        wildcard_host(address, service)
    assert str(caught.value) == message


URLS = [
    ({}, "203.0.113.10", "https://203-0-113-10.sslip.io"),
    ({"wildcardDnsService": "nip.io"}, "203.0.113.10", "https://203.0.113.10.nip.io"),
    (DOMAIN, "203.0.113.10", "https://airflow.example.com"),
    (DOMAIN, "a1b2c3.elb.eu-west-1.amazonaws.com", "https://airflow.example.com"),
]


@pytest.mark.parametrize(("values", "address", "url"), URLS, ids=[u for _, _, u in URLS])
def test_should_export_the_url_of_the_host(run: Run, values: dict[str, str], address: str, url: str) -> None:
    capture = run(lb_address=address, **values)
    assert capture.outputs["url"] == url
    assert capture.object("Ingress", INGRESS)["spec"]["rules"][0]["host"] == url.removeprefix("https://"), INGRESS


def test_should_fail_clearly_for_a_host_name_address_without_a_domain(run: Run) -> None:
    with pytest.raises(pulumi.RunError) as caught:
        run(lb_address="a1b2c3.elb.eu-west-1.amazonaws.com")
    assert "Set airflow:domain" in str(caught.value)


def test_should_give_the_api_server_the_https_url_as_base_url(run: Run) -> None:
    capture = run(**DOMAIN)
    assert env_of(capture.object("Deployment", API_SERVER), "AIRFLOW__API__BASE_URL") == "https://airflow.example.com"


def test_should_give_the_api_server_the_derived_url_as_base_url(default_run: Capture) -> None:
    base_url = env_of(default_run.object("Deployment", API_SERVER), "AIRFLOW__API__BASE_URL")
    assert base_url == "https://203-0-113-10.sslip.io", API_SERVER


def test_should_keep_airflow_workloads_independent_of_the_edge_when_a_domain_is_set(run: Run) -> None:
    capture = run(**DOMAIN)
    edge = edge_urns(capture)
    for registration in capture.kubernetes_objects():
        if registration.plain_inputs.get("kind") in ("Deployment", "StatefulSet", "Job"):
            assert not edge & set(registration.dependencies), registration.name


def test_should_make_only_the_api_server_wait_for_the_load_balancer(default_run: Capture) -> None:
    edge = edge_urns(default_run)
    waiting = sorted(
        r.plain_inputs["metadata"]["name"]
        for r in default_run.kubernetes_objects()
        if r.plain_inputs.get("kind") in ("Deployment", "StatefulSet", "Job") and edge & set(r.dependencies)
    )
    assert waiting == [API_SERVER]


# --- the Ingress -----------------------------------------------------------------------------------------------------


def test_should_route_the_host_to_the_api_server_service(default_run: Capture) -> None:
    (rule,) = default_run.object("Ingress", INGRESS)["spec"]["rules"]
    assert rule["http"]["paths"] == [
        {
            "path": "/",
            "pathType": "Prefix",
            "backend": {"service": {"name": "airflow-webserver", "port": {"number": 8080}}},
        }
    ], INGRESS


def test_should_put_the_ingress_beside_the_api_server(default_run: Capture) -> None:
    assert default_run.object("Ingress", INGRESS)["metadata"]["namespace"] == "airflow", INGRESS


def test_should_request_tls_for_the_host_into_a_named_secret(default_run: Capture) -> None:
    spec = default_run.object("Ingress", INGRESS)["spec"]
    assert spec["tls"] == [{"hosts": ["203-0-113-10.sslip.io"], "secretName": "ingress-webserver-secret"}], INGRESS


INGRESS_ANNOTATIONS = [
    ({}, "cert-manager.io/cluster-issuer", "airflow-self-signed"),
    (
        {"issuerKind": "letsencrypt-production", "acmeEmail": "ops@airflow.dev"},
        "cert-manager.io/cluster-issuer",
        "airflow-letsencrypt-production",
    ),
    ({}, "nginx.ingress.kubernetes.io/ssl-redirect", "true"),
    ({}, "nginx.ingress.kubernetes.io/force-ssl-redirect", "true"),
]


@pytest.mark.parametrize(("values", "key", "value"), INGRESS_ANNOTATIONS, ids=[f"{k}={v}" for _, k, v in INGRESS_ANNOTATIONS])
def test_should_annotate_the_ingress(run: Run, values: dict[str, str], key: str, value: str) -> None:
    annotations = run(**values).object("Ingress", INGRESS)["metadata"]["annotations"]
    assert annotations[key] == value, INGRESS


def test_should_use_the_controllers_class(run: Run) -> None:
    assert run(ingressClassName="edge").object("Ingress", INGRESS)["spec"]["ingressClassName"] == "edge", INGRESS


def test_should_take_the_issuer_annotation_from_the_issuers_output(default_run: Capture) -> None:
    """The Ingress waits for its issuer: cert-manager would otherwise report a missing issuer first."""
    ingress = default_run.one("kubernetes:networking.k8s.io/v1:Ingress", "ui-ingress")
    issuer = default_run.one("kubernetes:cert-manager.io/v1:ClusterIssuer", "tls-issuer")
    assert issuer.urn in ingress.dependencies, "ui-ingress"
    issuer_name = issuer.plain_inputs["metadata"]["name"]
    assert issuer_name == "airflow-self-signed", "tls-issuer"
    assert ingress.plain_inputs["metadata"]["annotations"]["cert-manager.io/cluster-issuer"] == issuer_name, "ui-ingress"


def test_should_be_a_valid_ingress_for_kubernetes_1_37(default_run: Capture) -> None:
    ingress = default_run.object("Ingress", INGRESS)
    kubernetes_validate.validate(ingress, "1.37.0", strict=True)


# --- warnings and bad input ------------------------------------------------------------------------------------------


@pytest.fixture
def warnings(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    recorded: list[str] = []
    monkeypatch.setattr("pulumi.log.warn", lambda message, *args, **kwargs: recorded.append(message))
    return recorded


def test_should_warn_about_rate_limits_of_shared_domains(run: Run, warnings: list[str]) -> None:
    run(issuerKind="letsencrypt-production", acmeEmail="ops@airflow.dev")
    assert (
        "No airflow:domain: the UI gets a sslip.io name. Let's Encrypt limits certificates per registered domain, and "
        "sslip.io is shared by everyone who uses it, so issuance may fail for days (rate limited). Set airflow:domain to "
        "a name of yours for a lasting stack."
    ) in warnings, warnings


def test_should_not_warn_about_rate_limits_with_a_domain(run: Run, warnings: list[str]) -> None:
    run(issuerKind="letsencrypt-production", acmeEmail="ops@airflow.dev", **DOMAIN)
    assert not any("rate limited" in w for w in warnings), warnings


def test_should_warn_that_lets_encrypt_cannot_reach_a_private_address(run: Run, warnings: list[str]) -> None:
    run(issuerKind="letsencrypt-staging", acmeEmail="ops@airflow.dev", lb_address="172.18.0.2")
    assert (
        "The load balancer's address 172.18.0.2 is not reachable from the internet, so Let's Encrypt's HTTP-01 "
        "challenge will fail. Use airflow:issuerKind self-signed on a local cluster."
    ) in warnings, warnings


def test_should_not_warn_about_lets_encrypt_with_a_self_signed_issuer(run: Run, warnings: list[str]) -> None:
    """A private address is what a local cluster has, and a local CA needs no challenge."""
    run(lb_address="172.18.0.2")
    assert warnings == []


BAD_INPUT = [
    (
        {"domain": "Airflow.Example.com"},
        "airflow:domain = 'Airflow.Example.com': must be empty or a fully qualified host name such as "
        "airflow.example.com (lower-case labels of letters, digits and '-', separated by '.')",
    ),
    (
        {"domain": "airflow"},
        "airflow:domain = 'airflow': must be empty or a fully qualified host name such as airflow.example.com "
        "(lower-case labels of letters, digits and '-', separated by '.')",
    ),
    (
        {"domain": "https://airflow.example.com"},
        "airflow:domain = 'https://airflow.example.com': must be empty or a fully qualified host name such as "
        "airflow.example.com (lower-case labels of letters, digits and '-', separated by '.')",
    ),
    (
        {"domain": "203.0.113.10"},
        "airflow:domain = '203.0.113.10': must be empty or a fully qualified host name such as airflow.example.com "
        "(lower-case labels of letters, digits and '-', separated by '.')",
    ),
    (
        {"domain": "a" * 64 + ".acme-corp.io"},
        f"airflow:domain = '{'a' * 64}.acme-corp.io': must be empty or a fully qualified host name such as "
        "airflow.example.com (lower-case labels of letters, digits and '-', separated by '.')",
    ),
    (
        {"domain": "airflow.acme-corp.123"},
        "airflow:domain = 'airflow.acme-corp.123': must be empty or a fully qualified host name such as "
        "airflow.example.com (lower-case labels of letters, digits and '-', separated by '.')",
    ),
    (
        {"wildcardDnsService": "xip.io"},
        "airflow:wildcardDnsService = 'xip.io': must be one of sslip.io, nip.io",
    ),
]


@pytest.mark.parametrize(("values", "message"), BAD_INPUT, ids=[str(v) for v, _ in BAD_INPUT])
def test_should_name_key_value_and_rule_for_bad_host_settings(values: dict[str, str], message: str) -> None:
    assert settings_problems(config_of(**values)) == [message]


@pytest.mark.parametrize("domain", ["airflow.dev", "a" * 63 + ".acme-corp.io"], ids=["two labels", "a label of 63"])
def test_should_accept_a_domain_at_the_limits_of_a_host_name(domain: str) -> None:
    reader = ConfigReader(raw=config_of(domain=domain).get, is_secret=lambda key: False)
    assert read_settings(reader).edge.domain == domain


def test_should_fail_the_program_with_every_bad_edge_setting(run: Run) -> None:
    with pytest.raises(pulumi.RunError) as caught:
        run(domain="not a domain", issuerKind="acme")
    assert "airflow:domain = 'not a domain'" in str(caught.value)
    assert "airflow:issuerKind = 'acme'" in str(caught.value)


# --- stack outputs ---------------------------------------------------------------------------------------------------


def test_should_export_the_edge(default_run: Capture) -> None:
    outputs = default_run.outputs
    assert {key: outputs[key] for key in ("url", "loadBalancerAddress", "issuer", "ingressNamespace", "adminUser")} == {
        "url": "https://203-0-113-10.sslip.io",
        "loadBalancerAddress": "203.0.113.10",
        "issuer": "airflow-self-signed",
        "ingressNamespace": "ingress",
        "adminUser": "admin",
    }


def test_should_export_the_url_only_once_the_ingress_exists(run: Run) -> None:
    """With a domain the host is known from the start; the URL still waits for the Ingress, so that it exists only
    once something serves it."""
    capture = run(**DOMAIN)
    ingress = capture.one("kubernetes:networking.k8s.io/v1:Ingress", "ui-ingress")
    assert capture.output_dependencies["url"] == {ingress.urn}


def test_should_export_the_admin_password_as_a_secret(default_run: Capture) -> None:
    assert "adminPassword" in default_run.secret_outputs
    assert "url" not in default_run.secret_outputs
