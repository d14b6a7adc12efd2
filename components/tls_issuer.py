"""TlsIssuer: the cert-manager ClusterIssuer that signs the UI's certificate.

In install mode it owns a namespace and a cert-manager Helm release (with its CRDs); in existing mode it uses a
cert-manager already in the cluster. Either way it owns the ClusterIssuer(s): Let's Encrypt (staging or production,
ACME with an HTTP-01 solver through the ingress class it is given) or, for clusters Let's Encrypt cannot reach, a local
CA chain (a selfSigned issuer signs a CA certificate, and a CA issuer signs with it). It exposes the issuer's name and
kind; which certificates to request is left to their consumers (the UI's Ingress asks through an annotation).

ClusterIssuers are cluster-scoped, so their names start with `name_prefix`: two stacks can share one cert-manager.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final, Literal

import pulumi
import pulumi_kubernetes as k8s

from components import kube
from components.settings import InstallMode, IssuerKind

CHART = "cert-manager"
# Pinned: the release whose CRD schemas the tests validate against (tools/crd_schemas.py installs them).
CHART_VERSION = "v1.21.1"
CHART_REPOSITORY = "https://charts.jetstack.io"
RELEASE_NAME = "cert-manager"
API_VERSION = "cert-manager.io/v1"
ISSUER_KIND: Final = "ClusterIssuer"
ACME_SERVERS = {
    IssuerKind.LETSENCRYPT_STAGING: "https://acme-staging-v02.api.letsencrypt.org/directory",
    IssuerKind.LETSENCRYPT_PRODUCTION: "https://acme-v02.api.letsencrypt.org/directory",
}
# The local CA: long-lived and never re-keyed on renewal, so a CA certificate imported into a browser stays valid.
CA_DURATION = "26280h"


@dataclass(frozen=True)
class TlsIssuerArgs:
    """Which cert-manager, and which issuer it gets."""

    mode: InstallMode
    """`install`: deploy cert-manager into `namespace`; `existing`: it already runs there."""
    kind: IssuerKind
    """Let's Encrypt staging or production, or a self-signed CA chain."""
    ingress_class_name: pulumi.Input[str]
    """IngressClass through which the ACME HTTP-01 solver answers Let's Encrypt's challenges."""
    name_prefix: str
    """Start of every cluster-scoped name (issuers), so that two stacks on one cluster do not collide."""
    namespace: str
    """cert-manager's namespace, which is also where it reads ClusterIssuers' secrets (its cluster resource namespace)."""
    acme_email: str
    """Contact address of the ACME account (Let's Encrypt kinds only; required there)."""


def cert_manager_values(namespace: str) -> dict[str, object]:
    """Helm values of cert-manager: the chart's defaults are already hardened (non-root, read-only root, no capabilities)."""
    return {
        # The CRDs come with the release (`installCRDs` is deprecated); kept on uninstall, because deleting them would
        # delete every Certificate and issuer in the cluster.
        "crds": {"enabled": True, "keep": True},
        # The chart defaults to kube-system for its leader-election lease; some managed clusters refuse writes there.
        "global": {"leaderElection": {"namespace": namespace}},
    }


def cluster_meta(name: str) -> k8s.meta.v1.ObjectMetaArgs:
    return k8s.meta.v1.ObjectMetaArgs(name=name, labels=kube.labels("tls"))


def acme_spec(kind: IssuerKind, email: str, account_key_secret: str, ingress_class_name: pulumi.Input[str]) -> dict[str, Any]:
    return {
        "acme": {
            "server": ACME_SERVERS[kind],
            "email": email,
            "privateKeySecretRef": {"name": account_key_secret},
            "solvers": [{"http01": {"ingress": {"ingressClassName": ingress_class_name}}}],
        }
    }


def name_of(resource: k8s.apiextensions.CustomResource) -> pulumi.Output[str]:
    """The object's metadata.name as an output: whoever uses it waits for the object."""
    metadata: pulumi.Output[dict[str, Any]] = resource.metadata  # type: ignore[attr-defined]
    return metadata.apply(lambda meta: str(meta["name"]))


class TlsIssuer(pulumi.ComponentResource):
    """cert-manager (installed or existing) and the ClusterIssuer for the UI's certificate."""

    issuer_name: pulumi.Output[str]
    """Name of the ClusterIssuer that signs the UI's certificate."""
    issuer_kind: Literal["ClusterIssuer"]
    """`ClusterIssuer`: which cert-manager annotation refers to it."""

    def __init__(self, name: str, args: TlsIssuerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("airflow:index:TlsIssuer", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        namespace: pulumi.Input[str] = args.namespace
        # The issuers are custom resources: they need the CRDs that the release installs, and no data of the release
        # says so. The one ordering edge that only depends_on can carry.
        after_crds = child
        if args.mode is InstallMode.INSTALL:
            created = kube.namespace(f"{name}-namespace", args.namespace, "cert-manager", child)
            namespace = created.metadata.name
            release = k8s.helm.v3.Release(
                f"{name}-release",
                name=RELEASE_NAME,
                chart=CHART,
                version=CHART_VERSION,
                repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=CHART_REPOSITORY),
                namespace=namespace,
                values=cert_manager_values(args.namespace),
                opts=child,
            )
            after_crds = pulumi.ResourceOptions(parent=self, depends_on=[release])

        if args.kind.is_acme:
            issuer_name = f"{args.name_prefix}-{args.kind}"
            if args.kind is IssuerKind.LETSENCRYPT_STAGING:
                pulumi.log.warn(
                    "issuerKind letsencrypt-staging: browsers do not trust staging certificates (expect a warning page); "
                    "switch to letsencrypt-production once the staging certificate is issued.",
                    resource=self,
                )
            issuer = k8s.apiextensions.CustomResource(
                f"{name}-issuer",
                api_version=API_VERSION,
                kind=ISSUER_KIND,
                metadata=cluster_meta(issuer_name),
                spec=acme_spec(args.kind, args.acme_email, f"{issuer_name}-account-key", args.ingress_class_name),
                opts=after_crds,
            )
        else:
            issuer = self._local_ca(name, args, namespace, after_crds)

        self.issuer_name = name_of(issuer)
        self.issuer_kind = ISSUER_KIND
        self.register_outputs({"issuer_name": self.issuer_name, "issuer_kind": self.issuer_kind})

    def _local_ca(
        self, name: str, args: TlsIssuerArgs, namespace: pulumi.Input[str], after_crds: pulumi.ResourceOptions
    ) -> k8s.apiextensions.CustomResource:
        """selfSigned issuer → CA certificate (its key pair in cert-manager's namespace) → CA issuer.

        Only the first needs `after_crds`: each later one takes a name from the one before, which orders them."""
        prefix = f"{args.name_prefix}-self-signed"
        bootstrap = k8s.apiextensions.CustomResource(
            f"{name}-bootstrap-issuer",
            api_version=API_VERSION,
            kind=ISSUER_KIND,
            metadata=cluster_meta(f"{prefix}-bootstrap"),
            spec={"selfSigned": {}},
            opts=after_crds,
        )
        ca_certificate = k8s.apiextensions.CustomResource(
            f"{name}-ca-certificate",
            api_version=API_VERSION,
            kind="Certificate",
            metadata=kube.object_meta(f"{prefix}-ca", namespace, "tls"),
            spec={
                "isCA": True,
                "commonName": f"{args.name_prefix} local CA",
                "secretName": f"{prefix}-ca",
                "duration": CA_DURATION,
                "privateKey": {"algorithm": "ECDSA", "size": 256, "rotationPolicy": "Never"},
                "issuerRef": {
                    "group": "cert-manager.io",
                    "kind": ISSUER_KIND,
                    "name": name_of(bootstrap),
                },
            },
            opts=pulumi.ResourceOptions(parent=self),
        )
        pulumi.log.info(
            f"issuerKind self-signed: browsers do not trust the local CA until you import it: kubectl -n {args.namespace} "
            f"get secret {prefix}-ca -o jsonpath='{{.data.ca\\.crt}}' | base64 -d > {prefix}-ca.crt",
            resource=self,
        )
        return k8s.apiextensions.CustomResource(
            f"{name}-issuer",
            api_version=API_VERSION,
            kind=ISSUER_KIND,
            metadata=cluster_meta(prefix),
            spec={"ca": {"secretName": ca_certificate.spec.apply(lambda spec: spec["secretName"])}},  # type: ignore[attr-defined]
            opts=pulumi.ResourceOptions(parent=self),
        )
