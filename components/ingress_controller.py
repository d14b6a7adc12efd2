"""IngressController: the cluster's entry point for HTTP(S), and the address it is reached at.

In install mode it owns a namespace and an ingress-nginx Helm release in it; in existing mode it owns nothing and
describes a controller someone else runs. Either way it exposes the same three outputs (the IngressClass to use, the
load balancer's address, the controller's namespace), and nothing else leaves this module: the Airflow code never
learns that the edge is ingress-nginx, so a Gateway API implementation can replace this component later.

ingress-nginx was retired upstream in March 2026: chart 4.15.1 (controller v1.15.1) is its last release and gets no
further security fixes. It stays pinned here until the edge moves to a Gateway API implementation.

In install mode it also turns on the controller's own Prometheus metrics when asked (`ingressMetrics`), with the
chart's ServiceMonitor or the scrape annotations on the chart's metrics Service.

It deliberately leaves certificates to TlsIssuer and the UI's Ingress to AirflowIngress.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s

from components import kube
from components.settings import InstallMode, ServiceType

CHART = "ingress-nginx"
# The last release of the retired project (controller v1.15.1, image pinned by digest in the chart). Pinned so that
# every `pulumi up` installs exactly what was reviewed.
CHART_VERSION = "4.15.1"
CHART_REPOSITORY = "https://kubernetes.github.io/ingress-nginx"
RELEASE_NAME = "ingress-nginx"
# The chart names its objects after fullnameOverride; fixing it makes the controller's Service name predictable
# (`<fullname>-controller`), whatever the release is called.
FULLNAME = "ingress-nginx"
SERVICE_NAME = f"{FULLNAME}-controller"
HSTS_MAX_AGE_SECONDS = 365 * 24 * 3600


@dataclass(frozen=True)
class IngressControllerArgs:
    """Which controller serves the UI, and how it is reached."""

    mode: InstallMode
    """`install`: deploy ingress-nginx here; `existing`: use the controller described by `existing_service`."""
    class_name: str
    """IngressClass name: created by the chart in install mode, an existing class in existing mode."""
    namespace: str
    """Namespace created for the release (install mode)."""
    service_type: ServiceType
    """Type of the controller's Service (install mode). A NodePort Service has no load-balancer address."""
    existing_service: str
    """`<namespace>/<name>` of the existing controller's Service (existing mode)."""
    metrics: bool = False
    """Whether the controller serves its Prometheus metrics (install mode)."""
    service_monitor: bool = False
    """Whether the chart adds a Prometheus Operator ServiceMonitor for them."""
    service_monitor_labels: dict[str, str] = field(default_factory=dict)
    """Labels of that ServiceMonitor, which the Prometheus selects it by."""


# The chart's metrics port; annotated for a Prometheus that discovers Services by annotations instead of ServiceMonitors.
METRICS_PORT = 10254


def metrics_values(args: IngressControllerArgs) -> dict[str, object]:
    """The chart's `controller.metrics`: off, or on with a ServiceMonitor or the scrape annotations."""
    if not args.metrics:
        return {"enabled": False}
    if args.service_monitor:
        return {"enabled": True, "serviceMonitor": {"enabled": True, "additionalLabels": dict(args.service_monitor_labels)}}
    annotations = {"prometheus.io/scrape": "true", "prometheus.io/port": str(METRICS_PORT)}
    return {"enabled": True, "service": {"annotations": annotations}}


def controller_values(args: IngressControllerArgs) -> dict[str, object]:
    """Helm values of ingress-nginx: only what differs from the chart's defaults, or must not drift with them."""
    return {
        "fullnameOverride": FULLNAME,
        "controller": {
            # A controller value of its own: another ingress-nginx in the cluster (minikube's add-on, say) then neither
            # serves this class nor has its Ingresses served by this controller.
            "ingressClassResource": {"name": args.class_name, "controllerValue": f"k8s.io/ingress-nginx-{args.class_name}"},
            # The legacy `kubernetes.io/ingress.class` annotation value, kept equal to the class name.
            "ingressClass": args.class_name,
            "service": {"type": str(args.service_type)},
            # The chart's container securityContext, stated so a review sees it: non-root uid 101, no privilege
            # escalation, seccomp RuntimeDefault, all capabilities dropped but NET_BIND_SERVICE (ports 80 and 443).
            # The root filesystem stays writable: nginx writes its configuration and temp files under /etc/nginx and
            # /tmp at run time, and the chart offers no volumes for them.
            "image": {
                "runAsNonRoot": True,
                "allowPrivilegeEscalation": False,
                "seccompProfile": {"type": "RuntimeDefault"},
                "readOnlyRootFilesystem": False,
            },
            # Snippet annotations let anyone who can write an Ingress inject nginx configuration: keep them off.
            "allowSnippetAnnotations": False,
            "metrics": metrics_values(args),
            "config": {
                # Browsers that once reached the UI over HTTPS refuse plain HTTP for a year. Browsers ignore the header
                # on untrusted certificates (self-signed, Let's Encrypt staging), so those cannot lock anyone out.
                "hsts": "true",
                "hsts-max-age": str(HSTS_MAX_AGE_SECONDS),
                # Names under the UI's host are not ours to pin to HTTPS.
                "hsts-include-subdomains": "false",
                "hsts-preload": "false",
                "ssl-redirect": "true",
            },
        },
    }


def first_address(service: k8s.core.v1.Service) -> pulumi.Output[str]:
    """The Service's load-balancer IP or host name (some clouds give only a host name); empty while there is none."""

    def pick(status: k8s.core.v1.outputs.ServiceStatus | None) -> str:
        entries = (status.load_balancer.ingress if status and status.load_balancer else None) or []
        for entry in entries:
            if entry.ip or entry.hostname:
                return str(entry.ip or entry.hostname)
        return ""

    return service.status.apply(pick)


class IngressController(pulumi.ComponentResource):
    """ingress-nginx installed by the stack, or a controller already in the cluster."""

    ingress_class_name: pulumi.Output[str]
    """IngressClass for Ingresses and ACME HTTP-01 solvers; in install mode known only once the release is deployed."""
    lb_address: pulumi.Output[str]
    """The controller's external IP address or host name; empty for a NodePort Service or while none is assigned."""
    namespace: pulumi.Output[str]
    """Namespace of the controller's pods: the source that NetworkPolicies of the backends must admit."""

    def __init__(self, name: str, args: IngressControllerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("airflow:index:IngressController", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        if args.mode is InstallMode.INSTALL:
            # The chart's pods meet the restricted profile (NET_BIND_SERVICE is the one capability it allows).
            namespace = kube.namespace(f"{name}-namespace", args.namespace, "ingress-controller", child)
            release = k8s.helm.v3.Release(
                f"{name}-release",
                name=RELEASE_NAME,
                chart=CHART,
                version=CHART_VERSION,
                repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=CHART_REPOSITORY),
                namespace=namespace.metadata.name,
                values=controller_values(args),
                opts=child,
            )
            # Taken from the release's outputs, so that every Ingress of this class waits for the controller and its
            # admission webhook, which would otherwise reject an Ingress created in the middle of the install.
            self.ingress_class_name = release.name.apply(lambda _: args.class_name)
            self.namespace = namespace.metadata.name
            if args.service_type is ServiceType.LOAD_BALANCER:
                # `status` is known only once Helm has deployed the release (and, waiting for it, the Service has its
                # address): an id made from it makes Pulumi read the Service then, and skip the read in a preview.
                service_id = release.status.apply(lambda status: f"{status.namespace}/{SERVICE_NAME}")
                service = k8s.core.v1.Service.get(f"{name}-service", service_id, opts=child)
                self.lb_address = first_address(service)
            else:
                self.lb_address = pulumi.Output.from_input("")
        else:
            service_namespace = args.existing_service.partition("/")[0]
            service = k8s.core.v1.Service.get(f"{name}-service", args.existing_service, opts=child)
            self.ingress_class_name = pulumi.Output.from_input(args.class_name)
            self.namespace = pulumi.Output.from_input(service_namespace)
            self.lb_address = first_address(service)

        # pragma: no mutate block - equivalent: nothing reads a component's registered outputs back
        self.register_outputs(
            {"ingress_class_name": self.ingress_class_name, "lb_address": self.lb_address, "namespace": self.namespace}
        )
