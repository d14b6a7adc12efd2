"""TlsIssuer: the cert-manager release (or an existing cert-manager) and the ClusterIssuers, checked against its CRDs."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Run, config_of, settings_problems
from tools import validate
from tools.harness import Capture, Registration

RELEASE = "tls-release"
HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
CLUSTER_ISSUER = "kubernetes:cert-manager.io/v1:ClusterIssuer"
CERTIFICATE = "kubernetes:cert-manager.io/v1:Certificate"
STAGING = {"issuerKind": "letsencrypt-staging", "acmeEmail": "ops@airflow.dev"}
PRODUCTION = {"issuerKind": "letsencrypt-production", "acmeEmail": "ops@airflow.dev"}


def schema_errors(manifest: dict[str, Any]) -> list[str]:
    """Problems of a cert-manager object against its CRD schema, unknown fields refused (the proof gate's check)."""
    return [str(problem) for problem in validate.validate_object(manifest, validate.KUBERNETES_VERSIONS[-1])]


def cert_manager_objects(capture: Capture) -> list[Registration]:
    return [r for r in capture.kubernetes_objects() if r.type in (CLUSTER_ISSUER, CERTIFICATE)]


def depends_on(capture: Capture, registration: Registration, urn: str) -> bool:
    """Whether `registration` waits for `urn`, directly or through the resources it waits for."""
    by_urn = capture.by_urn()
    seen: set[str] = set()
    pending = list(registration.dependencies)
    while pending:
        current = pending.pop()
        if current == urn:
            return True
        if current not in seen and current in by_urn:
            seen.add(current)
            pending.extend(by_urn[current].dependencies)
    return False




# --- the release -----------------------------------------------------------------------------------------------------


def test_should_install_the_pinned_cert_manager_chart(default_run: Capture) -> None:
    release = default_run.one(HELM_RELEASE, RELEASE).plain_inputs
    assert (release["name"], release["chart"], release["version"]) == ("cert-manager", "cert-manager", "v1.21.1"), RELEASE
    assert release["repositoryOpts"] == {"repo": "https://charts.jetstack.io"}, RELEASE
    assert release["namespace"] == "cert-manager", RELEASE


def test_should_install_and_keep_the_crds(default_run: Capture) -> None:
    values = default_run.one(HELM_RELEASE, RELEASE).plain_inputs["values"]
    assert values["crds"] == {"enabled": True, "keep": True}, RELEASE
    assert "installCRDs" not in values, f"{RELEASE}: installCRDs is deprecated"


def test_should_keep_the_leader_election_lease_in_its_namespace(run: Run) -> None:
    release = run(certManagerNamespace="certs").one(HELM_RELEASE, RELEASE).plain_inputs
    assert release["namespace"] == "certs", RELEASE
    assert release["values"]["global"]["leaderElection"]["namespace"] == "certs", RELEASE


def test_should_create_a_restricted_namespace_for_it(default_run: Capture) -> None:
    labels = default_run.object("Namespace", "cert-manager")["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted", "Namespace cert-manager"


# --- the issuers -----------------------------------------------------------------------------------------------------

KINDS = [pytest.param({}, id="self-signed"), pytest.param(STAGING, id="staging"), pytest.param(PRODUCTION, id="production")]


@pytest.mark.parametrize("values", KINDS)
def test_should_match_the_cert_manager_crd_schemas(run: Run, values: dict[str, str]) -> None:
    objects = cert_manager_objects(run(**values))
    assert objects
    for registration in objects:
        assert schema_errors(registration.plain_inputs) == [], registration.name


def test_should_refuse_a_misspelled_field_in_the_schema_check() -> None:
    """The check itself can fail."""
    issuer = {"apiVersion": "cert-manager.io/v1", "kind": "ClusterIssuer", "metadata": {}, "spec": {"selfSigend": {}}}
    assert schema_errors(issuer) != []


@pytest.mark.parametrize("values", KINDS)
def test_should_create_every_issuer_after_the_crds_of_the_release(run: Run, values: dict[str, str]) -> None:
    capture = run(**values)
    release_urn = capture.one(HELM_RELEASE, RELEASE).urn
    for registration in cert_manager_objects(capture):
        assert depends_on(capture, registration, release_urn), registration.name


ACME = [
    ("letsencrypt-staging", "https://acme-staging-v02.api.letsencrypt.org/directory"),
    ("letsencrypt-production", "https://acme-v02.api.letsencrypt.org/directory"),
]


@pytest.mark.parametrize(("kind", "server"), ACME, ids=[kind for kind, _ in ACME])
def test_should_issue_from_lets_encrypt_with_an_http01_solver(run: Run, kind: str, server: str) -> None:
    capture = run(issuerKind=kind, acmeEmail="ops@airflow.dev", ingressClassName="public")
    issuer = capture.object("ClusterIssuer", f"airflow-{kind}")
    assert issuer["spec"]["acme"] == {
        "server": server,
        "email": "ops@airflow.dev",
        "privateKeySecretRef": {"name": f"airflow-{kind}-account-key"},
        "solvers": [{"http01": {"ingress": {"ingressClassName": "public"}}}],
    }, f"airflow-{kind}"
    assert capture.outputs["issuer"] == f"airflow-{kind}"


def test_should_depend_on_the_release_directly_for_lets_encrypt(run: Run) -> None:
    capture = run(**PRODUCTION)
    issuer = capture.one(CLUSTER_ISSUER, "tls-issuer")
    assert capture.one(HELM_RELEASE, RELEASE).urn in issuer.dependencies, "tls-issuer"


def test_should_chain_a_self_signed_ca(default_run: Capture) -> None:
    bootstrap = default_run.object("ClusterIssuer", "airflow-self-signed-bootstrap")
    ca = default_run.object("Certificate", "airflow-self-signed-ca")
    issuer = default_run.object("ClusterIssuer", "airflow-self-signed")
    assert bootstrap["spec"] == {"selfSigned": {}}, "airflow-self-signed-bootstrap"
    assert ca["metadata"]["namespace"] == "cert-manager", "airflow-self-signed-ca"
    assert ca["spec"]["isCA"] is True, "airflow-self-signed-ca"
    assert ca["spec"]["issuerRef"] == {
        "group": "cert-manager.io",
        "kind": "ClusterIssuer",
        "name": "airflow-self-signed-bootstrap",
    }, "airflow-self-signed-ca"
    assert issuer["spec"] == {"ca": {"secretName": ca["spec"]["secretName"]}}, "airflow-self-signed"
    assert default_run.outputs["issuer"] == "airflow-self-signed"


def test_should_give_the_ca_certificate_exactly_this_spec(default_run: Capture) -> None:
    """Three years, never re-keyed: the CA users import into their browsers stays the one that signs."""
    assert default_run.object("Certificate", "airflow-self-signed-ca")["spec"] == {
        "isCA": True,
        "commonName": "airflow local CA",
        "secretName": "airflow-self-signed-ca",
        "duration": "26280h",
        "privateKey": {"algorithm": "ECDSA", "size": 256, "rotationPolicy": "Never"},
        "issuerRef": {"group": "cert-manager.io", "kind": "ClusterIssuer", "name": "airflow-self-signed-bootstrap"},
    }


def test_should_keep_the_ca_key_on_renewal(default_run: Capture) -> None:
    """Re-keying would invalidate the CA certificate users imported into their browsers."""
    ca = default_run.object("Certificate", "airflow-self-signed-ca")
    assert ca["spec"]["privateKey"]["rotationPolicy"] == "Never", "airflow-self-signed-ca"


def test_should_prefix_cluster_scoped_names_with_the_stacks_namespace(run: Run) -> None:
    capture = run(namespace="airflow-prod")
    names = sorted(r.plain_inputs["metadata"]["name"] for r in capture.of_type(CLUSTER_ISSUER))
    assert names == ["airflow-prod-self-signed", "airflow-prod-self-signed-bootstrap"]


def logged(monkeypatch: pytest.MonkeyPatch, level: str) -> list[tuple[str, str]]:
    """The messages the program logs at `level` ("warn", "info"), each with the type of the resource it is attached
    to: the CLI shows a message under that resource."""
    messages: list[tuple[str, str]] = []

    def record(message: str, resource: object = None, *args: object, **kwargs: object) -> None:
        messages.append((message, type(resource).__name__))

    monkeypatch.setattr(f"pulumi.log.{level}", record)
    return messages


def test_should_warn_that_staging_certificates_are_untrusted(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    warnings = logged(monkeypatch, "warn")
    run(**STAGING, domain="airflow.example.com")
    assert warnings == [
        (
            "issuerKind letsencrypt-staging: browsers do not trust staging certificates (expect a warning page); "
            "switch to letsencrypt-production once the staging certificate is issued.",
            "TlsIssuer",
        )
    ]


def test_should_tell_how_to_import_the_local_ca(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    """The command is all a user has to trust the self-signed UI: it must name the namespace and Secret that hold it."""
    messages = logged(monkeypatch, "info")
    run(certManagerNamespace="security", namespace="airflow-prod")
    assert messages == [
        (
            "issuerKind self-signed: browsers do not trust the local CA until you import it: kubectl -n security get "
            "secret airflow-prod-self-signed-ca -o jsonpath='{.data.ca\\.crt}' | base64 -d > airflow-prod-self-signed-ca.crt",
            "TlsIssuer",
        )
    ]


# --- existing cert-manager -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("values", KINDS)
def test_should_only_create_the_issuer_with_an_existing_cert_manager(run: Run, values: dict[str, str]) -> None:
    capture = run(tlsMode="existing", **values)
    assert [r.name for r in capture.of_type(HELM_RELEASE) if r.name == RELEASE] == [], RELEASE
    assert [r for r in capture.kubernetes_objects() if r.name == "tls-namespace"] == [], "tls-namespace"
    assert cert_manager_objects(capture), "issuers"
    for registration in cert_manager_objects(capture):
        assert schema_errors(registration.plain_inputs) == [], registration.name


OWNED_WITH_AN_EXISTING_CERT_MANAGER = [
    pytest.param(
        {},
        {
            "tls": ("airflow:index:TlsIssuer", None),
            "tls-bootstrap-issuer": (CLUSTER_ISSUER, "tls"),
            "tls-ca-certificate": (CERTIFICATE, "tls"),
            "tls-issuer": (CLUSTER_ISSUER, "tls"),
        },
        id="self-signed",
    ),
    pytest.param(
        PRODUCTION, {"tls": ("airflow:index:TlsIssuer", None), "tls-issuer": (CLUSTER_ISSUER, "tls")}, id="production"
    ),
]


@pytest.mark.parametrize(("values", "owned"), OWNED_WITH_AN_EXISTING_CERT_MANAGER)
def test_should_own_the_issuers_with_an_existing_cert_manager_too(
    run: Run, values: dict[str, str], owned: dict[str, tuple[str, str | None]]
) -> None:
    """With nothing to wait for, the issuers still belong to the component: an issuer re-parented by a switch of
    tlsMode would be a new resource to Pulumi, deleted and created again."""
    capture = run(tlsMode="existing", **values)
    by_urn = {r.urn: r.name for r in capture.registrations}
    assert {r.name: (r.type, by_urn.get(r.parent)) for r in capture.registrations if r.name.startswith("tls")} == owned


def test_should_store_the_ca_in_the_existing_cert_managers_namespace(run: Run) -> None:
    capture = run(tlsMode="existing", certManagerNamespace="security")
    assert capture.object("Certificate", "airflow-self-signed-ca")["metadata"]["namespace"] == "security"


# --- bad input -------------------------------------------------------------------------------------------------------

BAD_INPUT = [
    (
        {"issuerKind": "vault"},
        ["airflow:issuerKind = 'vault': must be one of letsencrypt-staging, letsencrypt-production, self-signed"],
    ),
    (
        {"issuerKind": "letsencrypt-production"},
        [
            "airflow:acmeEmail = '': is required when airflow:issuerKind is letsencrypt-production: "
            "the contact address of the ACME account"
        ],
    ),
    (
        {"issuerKind": "letsencrypt-staging", "acmeEmail": "ops"},
        ["airflow:acmeEmail = 'ops': must be an e-mail address such as ops@example.com"],
    ),
    (
        {"issuerKind": "letsencrypt-staging", "acmeEmail": "ops@example.com"},
        [
            "airflow:acmeEmail = 'ops@example.com': Let's Encrypt refuses contact addresses at reserved domains such "
            "as example.com: use a real mailbox"
        ],
    ),
    (
        {"issuerKind": "letsencrypt-production", "acmeEmail": "ops@corp.internal"},
        [
            "airflow:acmeEmail = 'ops@corp.internal': Let's Encrypt refuses contact addresses at reserved domains such "
            "as example.com: use a real mailbox"
        ],
    ),
    (
        {"issuerKind": "letsencrypt-staging", "acmeEmail": "ops@airflow.dev", "domain": "airflow.e2e.test"},
        [
            "airflow:domain = 'airflow.e2e.test': Let's Encrypt cannot certify reserved names (.test, .example, "
            ".invalid, .localhost, .local, .internal): use airflow:issuerKind self-signed"
        ],
    ),
    (
        {"tlsMode": "helm"},
        ["airflow:tlsMode = 'helm': must be one of install, existing"],
    ),
    (
        {"certManagerNamespace": "cert_manager"},
        [
            "airflow:certManagerNamespace = 'cert_manager': must be a DNS-1123 label: 1 to 63 lower-case letters, "
            "digits or '-', starting and ending with a letter or digit"
        ],
    ),
]


@pytest.mark.parametrize(("values", "messages"), BAD_INPUT, ids=[str(v) for v, _ in BAD_INPUT])
def test_should_name_key_value_and_rule_for_bad_issuer_settings(values: dict[str, str], messages: list[str]) -> None:
    assert settings_problems(config_of(**values)) == messages


def test_should_refuse_a_malformed_email_even_for_self_signed() -> None:
    """A set but malformed address is refused even when no issuer uses it: it would bite when switching to ACME."""
    assert settings_problems(config_of(acmeEmail="ops@")) == [
        "airflow:acmeEmail = 'ops@': must be an e-mail address such as ops@example.com"
    ]
