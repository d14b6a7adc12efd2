"""The edge: ingress controller, TLS issuer, UI host (IngressController, TlsIssuer, AirflowIngress)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from components.settings.reader import ConfigReader
from components.settings.rules import DNS_SUBDOMAIN, dns_label, email, member_of


class InstallMode(StrEnum):
    """Whether the stack installs a cluster add-on (ingress-nginx, cert-manager) or uses one already there."""

    INSTALL = "install"
    EXISTING = "existing"


class ServiceType(StrEnum):
    """Type of the ingress controller's Service."""

    LOAD_BALANCER = "LoadBalancer"
    NODE_PORT = "NodePort"


class IssuerKind(StrEnum):
    """Who signs the UI's certificate."""

    LETSENCRYPT_STAGING = "letsencrypt-staging"
    LETSENCRYPT_PRODUCTION = "letsencrypt-production"
    SELF_SIGNED = "self-signed"

    @property
    def is_acme(self) -> bool:
        """Let's Encrypt: needs a contact e-mail, a public name and port 80 reachable from the internet."""
        return self is not IssuerKind.SELF_SIGNED


class WildcardDns(StrEnum):
    """Public DNS services that resolve a name with an IP address in it to that address."""

    SSLIP = "sslip.io"
    NIP = "nip.io"


# Names no public CA may certify (RFC 2606, RFC 6761, and `.internal` reserved by ICANN for private use).
RESERVED_SUFFIXES = (".test", ".example", ".invalid", ".localhost", ".local", ".internal")
RESERVED_EMAIL_DOMAINS = ("example.com", "example.net", "example.org")
EXISTING_SERVICE = re.compile(r"^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)/([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)$")


@dataclass(frozen=True)
class EdgeSettings:
    """How the UI is reached from outside: the ingress controller, the certificate issuer and the host name."""

    ingress_mode: InstallMode
    ingress_namespace: str
    ingress_service_type: ServiceType
    ingress_class_name: str
    ingress_existing_service: str
    """`<namespace>/<name>` of an existing controller's Service; empty in install mode."""
    tls_mode: InstallMode
    cert_manager_namespace: str
    issuer_kind: IssuerKind
    acme_email: str
    domain: str
    """The UI's host name; empty means derived from the load balancer's address."""
    wildcard_dns_service: WildcardDns


def host_name_or_empty(raw: str) -> str:
    labels = raw.split(".")
    if raw and (
        not DNS_SUBDOMAIN.match(raw)
        or len(labels) < 2
        or any(len(label) > 63 for label in labels)
        or labels[-1].isdigit()
    ):
        raise ValueError(
            "must be empty or a fully qualified host name such as airflow.example.com "
            "(lower-case labels of letters, digits and '-', separated by '.')"
        )
    return raw


def email_or_empty(raw: str) -> str:
    return email(raw) if raw else raw


def service_reference_or_empty(raw: str) -> str:
    if raw and not EXISTING_SERVICE.match(raw):
        raise ValueError("must be empty or <namespace>/<name> of a Service, such as ingress-nginx/ingress-nginx-controller")
    return raw


def is_reserved(name: str) -> bool:
    return any(f".{name}".endswith(suffix) for suffix in RESERVED_SUFFIXES)


def read_edge(reader: ConfigReader) -> EdgeSettings:
    edge = EdgeSettings(
        ingress_mode=reader.read("ingressMode", member_of(InstallMode)),
        ingress_namespace=reader.read("ingressNamespace", dns_label),
        ingress_service_type=reader.read("ingressServiceType", member_of(ServiceType)),
        ingress_class_name=reader.read("ingressClassName", dns_label),
        ingress_existing_service=reader.read("ingressExistingService", service_reference_or_empty),
        tls_mode=reader.read("tlsMode", member_of(InstallMode)),
        cert_manager_namespace=reader.read("certManagerNamespace", dns_label),
        issuer_kind=reader.read("issuerKind", member_of(IssuerKind)),
        acme_email=reader.read("acmeEmail", email_or_empty),
        domain=reader.read("domain", host_name_or_empty),
        wildcard_dns_service=reader.read("wildcardDnsService", member_of(WildcardDns)),
    )
    # A bad value already reported stands as its default (empty): `reader.text` tells it from a missing one.
    if edge.ingress_mode is InstallMode.EXISTING and not reader.text("ingressExistingService"):
        reader.fail(
            "ingressExistingService",
            "''",
            "is required when airflow:ingressMode is existing: the <namespace>/<name> of the controller's Service",
        )
    if edge.ingress_mode is InstallMode.INSTALL and edge.ingress_service_type is ServiceType.NODE_PORT and not edge.domain:
        reader.fail(
            "domain",
            "''",
            "is required when airflow:ingressServiceType is NodePort: a NodePort Service has no load-balancer address "
            "to derive a host name from",
        )
    if edge.issuer_kind.is_acme:
        if not reader.text("acmeEmail"):
            reader.fail(
                "acmeEmail",
                "''",
                f"is required when airflow:issuerKind is {edge.issuer_kind}: the contact address of the ACME account",
            )
        elif edge.acme_email and (
            edge.acme_email.rsplit("@", 1)[-1].lower() in RESERVED_EMAIL_DOMAINS or is_reserved(edge.acme_email)
        ):
            reader.fail(
                "acmeEmail",
                repr(edge.acme_email),
                "Let's Encrypt refuses contact addresses at reserved domains such as example.com: use a real mailbox",
            )
        if edge.domain and is_reserved(edge.domain):
            reader.fail(
                "domain",
                repr(edge.domain),
                f"Let's Encrypt cannot certify reserved names ({', '.join(RESERVED_SUFFIXES)}): "
                "use airflow:issuerKind self-signed",
            )
    return edge

