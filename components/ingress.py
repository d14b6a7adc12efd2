"""The UI's host name and its Ingress: how https://<host> reaches the api-server Service.

`ui_host` decides the host: the configured domain, or a wildcard-DNS name made from the load balancer's IP address.
`AirflowIngress` owns the one Ingress (TLS through a cert-manager annotation, HTTP→HTTPS redirect; HSTS is the
controller's). It takes the ingress class, the issuer and the backend Service as inputs and knows nothing of how they
are made, so the controller and issuer behind them can be replaced (a Gateway API implementation) without touching it
or the Airflow code, which only ever sees the resulting URL.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Literal

import pulumi
import pulumi_kubernetes as k8s

from components import kube
from components.settings import WildcardDns

# The seed article's names: `kubectl describe certificate ingress-webserver-secret` keeps working.
INGRESS_NAME = "airflow-ingress"
TLS_SECRET_NAME = "ingress-webserver-secret"
IssuerResourceKind = Literal["ClusterIssuer", "Issuer"]
ISSUER_ANNOTATIONS: dict[IssuerResourceKind, str] = {
    "ClusterIssuer": "cert-manager.io/cluster-issuer",
    "Issuer": "cert-manager.io/issuer",
}


class HostError(pulumi.RunError):
    """The UI's host name cannot be derived: the message says which setting to change."""


def wildcard_host(address: str, service: WildcardDns) -> str:
    """The wildcard-DNS name of an IP address: `1-2-3-4.sslip.io` or `1.2.3.4.nip.io`.

    Raises HostError for an empty address or a host name (some clouds give their load balancers only a name), both of
    which need `domain`."""
    if not address:
        raise HostError(
            "The ingress controller's Service has no load-balancer address, so there is no IP to name the UI after. "
            "Set airflow:domain to a host name whose DNS record points at the controller (pulumi config set domain "
            "airflow.example.com), or give the Service an external address (docs/troubleshooting.md, 'The "
            "load-balancer address stays pending')."
        )
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        raise HostError(
            f"The ingress controller's load balancer has a host name ({address}), not an IP address, so no "
            f"{service} name can be derived from it. Set airflow:domain to a host name of yours with a CNAME record "
            f"pointing at {address} (pulumi config set domain airflow.example.com)."
        ) from None
    if service is WildcardDns.SSLIP:
        return f"{str(ip).replace('.', '-').replace(':', '-')}.{service}"
    if ip.version == 6:
        raise HostError(
            f"The ingress controller's load balancer has an IPv6 address ({address}), which nip.io cannot name. "
            "Set airflow:wildcardDnsService to sslip.io, or set airflow:domain."
        )
    return f"{ip}.{service}"


def ui_host(domain: str, lb_address: pulumi.Input[str], service: WildcardDns, public_ca: bool) -> pulumi.Output[str]:
    """The UI's host name: `domain` if set (then nothing waits for the load balancer), else derived from its address.

    The check runs whenever the address is known: at preview for an existing controller, at `up` for one the stack
    installs (its address does not exist before)."""
    if domain:
        return pulumi.Output.from_input(domain)
    if public_ca:
        pulumi.log.warn(
            f"No airflow:domain: the UI gets a {service} name. Let's Encrypt limits certificates per registered domain, "
            f"and {service} is shared by everyone who uses it, so issuance may fail for days (rate limited). Set "
            "airflow:domain to a name of yours for a lasting stack."
        )

    def derive(address: str) -> str:
        host = wildcard_host(address, service)
        if public_ca and not ipaddress.ip_address(address).is_global:
            pulumi.log.warn(
                f"The load balancer's address {address} is not reachable from the internet, so Let's Encrypt's "
                "HTTP-01 challenge will fail. Use airflow:issuerKind self-signed on a local cluster."
            )
        return host

    return pulumi.Output.from_input(lb_address).apply(derive)


def https_url(host: pulumi.Input[str]) -> pulumi.Output[str]:
    """The UI's external URL, also Airflow's [api] base_url: redirects Airflow sends then stay on HTTPS."""
    return pulumi.Output.concat("https://", host)


@dataclass(frozen=True)
class AirflowIngressArgs:
    """What the UI's Ingress routes, and through which controller and issuer."""

    namespace: pulumi.Input[str]
    """Namespace of the api-server Service (the Ingress must be beside it)."""
    host: pulumi.Input[str]
    """Host name of the UI (`ui_host`)."""
    ingress_class_name: pulumi.Input[str]
    """IngressClass of the controller that serves it."""
    issuer_name: pulumi.Input[str]
    """cert-manager issuer that signs its certificate."""
    issuer_kind: IssuerResourceKind
    """`ClusterIssuer` or `Issuer`: picks the cert-manager annotation."""
    service_name: pulumi.Input[str]
    """The api-server Service."""
    service_port: pulumi.Input[int]
    """Its port."""


class AirflowIngress(pulumi.ComponentResource):
    """The Ingress that publishes the api-server (UI, REST API) at https://<host>."""

    url: pulumi.Output[str]
    """https://<host>, the UI's external URL ([api] base_url)."""
    host: pulumi.Output[str]
    """The host name in it."""

    def __init__(self, name: str, args: AirflowIngressArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("airflow:index:AirflowIngress", name, None, opts)
        host = pulumi.Output.from_input(args.host)
        ingress = k8s.networking.v1.Ingress(
            f"{name}-ingress",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=INGRESS_NAME,
                namespace=args.namespace,
                labels=kube.labels("ingress"),
                annotations={
                    ISSUER_ANNOTATIONS[args.issuer_kind]: args.issuer_name,
                    # HTTP answers with a redirect to HTTPS, also before the certificate exists (then the controller's
                    # fallback certificate serves), so no page is ever sent in the clear. ACME challenges are exempt.
                    "nginx.ingress.kubernetes.io/ssl-redirect": "true",
                    "nginx.ingress.kubernetes.io/force-ssl-redirect": "true",
                },
            ),
            spec=k8s.networking.v1.IngressSpecArgs(
                ingress_class_name=args.ingress_class_name,
                tls=[k8s.networking.v1.IngressTLSArgs(hosts=[host], secret_name=TLS_SECRET_NAME)],
                rules=[
                    k8s.networking.v1.IngressRuleArgs(
                        host=host,
                        http=k8s.networking.v1.HTTPIngressRuleValueArgs(
                            paths=[
                                k8s.networking.v1.HTTPIngressPathArgs(
                                    path="/",
                                    path_type="Prefix",
                                    backend=k8s.networking.v1.IngressBackendArgs(
                                        service=k8s.networking.v1.IngressServiceBackendArgs(
                                            name=args.service_name,
                                            port=k8s.networking.v1.ServiceBackendPortArgs(number=args.service_port),
                                        )
                                    ),
                                )
                            ]
                        ),
                    )
                ],
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        # Taken through the Ingress, so the exported URL exists only once the Ingress does.
        self.host = pulumi.Output.all(ingress.metadata, host).apply(lambda values: str(values[1]))
        self.url = https_url(self.host)
        self.register_outputs({"url": self.url, "host": self.host})
