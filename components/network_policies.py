"""NetworkPolicies: the Airflow namespace denies all traffic, then allows only the flows Airflow needs.

Owns one default-deny policy for the whole namespace, one DNS policy for every pod in it, one policy per component
(api-server, scheduler, dag-processor, triggerer, worker, migrations, PostgreSQL, Redis, and PgBouncer, the database
backups, clean-up and StatsD exporter when they are on) whose ingress and egress rules
come from a single table of flows (`FLOWS`, each TCP unless it says UDP): each flow opens the client's egress and the
server's ingress together, so the two sides cannot disagree; and, with a Let's Encrypt issuer, one for cert-manager's
HTTP-01 solver pods. Three flows come from other namespaces, so they are rules of the server's policy alone: the
ingress controller's to the api-server, KEDA's operator's to the in-cluster database when it scales the workers, and
the scraper's (Prometheus) to the StatsD exporter's metrics port when metrics are on. With metrics on, every pod that
runs Airflow sends StatsD to the exporter (UDP), and the exporter itself opens no connection but DNS. Policies
are additive: an operator whose DAGs must reach other systems adds a policy that selects the worker pods
(`app.kubernetes.io/component: worker`) and allows that egress; nothing here changes.

It takes the edge's namespace, the issuer's kind, the DAG repository's port, the external database's and broker's
ports, the exporter's ports and its scraper's namespace, and where the cluster's DNS pods run (`dnsNamespace`,
`dnsPodLabels`) as inputs, and the component labels and ports from the components' constants; it creates no
workload. It needs a CNI that enforces NetworkPolicies (Calico, Cilium, the managed offerings' policy add-ons); one
without support ignores all of it, and the namespace is then open.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

import pulumi
import pulumi_kubernetes as k8s

from components import connection_pool, kube, metrics_exporter, postgres, redis
from components.airflow import API_PORT, TRIGGERER_LOG_PORT, WORKER_LOG_PORT

COMPONENT = "network-policy"
API_SERVER = "api-server"
SCHEDULER = "scheduler"
DAG_PROCESSOR = "dag-processor"
TRIGGERER = "triggerer"
WORKER = "worker"
MIGRATIONS = "migrations"
# Every pod that runs Airflow code, and so talks to its metadata database.
AIRFLOW_PODS = (API_SERVER, SCHEDULER, DAG_PROCESSOR, TRIGGERER, WORKER, MIGRATIONS)
# The only broker clients: the scheduler's CeleryExecutor publishes tasks (and revokes stuck ones), the workers consume
# them. The api-server builds a Celery app only to ask the executor for task logs, which Celery's does not override, and
# a Celery app connects lazily; the dag-processor, triggerer and `airflow db migrate` never load an executor. Task
# results go to the database (Airflow's default result backend), not the broker.
BROKER_CLIENTS = (SCHEDULER, WORKER)
# The processes that read DAG files (AirflowCore's `parses_dags`): where git-sync runs when DAGs come from git.
DAG_READERS = (DAG_PROCESSOR, TRIGGERER, WORKER)
DNS_PORT = 53
NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"
# cert-manager (v1.21, `pkg/issuer/acme/http`) runs an HTTP-01 solver pod per challenge in the Challenge's namespace,
# which is the Ingress's, so this one; it labels the pod so and listens on this port, behind a Service the ingress
# controller routes the challenge path to.
ACME_SOLVER_LABELS = {"acme.cert-manager.io/http01-solver": "true"}
ACME_SOLVER_PORT = 8089


@dataclass(frozen=True)
class Flow:
    """Clients (components) that open connections to (or send datagrams to) a server component's port."""

    clients: tuple[str, ...]
    server: str
    port: int
    why: str
    protocol: str = "TCP"


FLOWS = (
    Flow((SCHEDULER, DAG_PROCESSOR, TRIGGERER, WORKER), API_SERVER, API_PORT, "execution API (task and DAG runtime)"),
    Flow((API_SERVER,), WORKER, WORKER_LOG_PORT, "logs of tasks, read from the worker that ran them"),
    Flow((API_SERVER,), TRIGGERER, TRIGGERER_LOG_PORT, "logs of triggers, read from the triggerer that runs them"),
    Flow(BROKER_CLIENTS, redis.COMPONENT, redis.PORT, "Celery broker"),
)


@dataclass(frozen=True)
class NetworkPoliciesArgs:
    """What the policies must let through."""

    namespace: pulumi.Input[str]
    """Namespace of Airflow, its database and its broker: the one the policies guard."""
    dns_namespace: str
    """Namespace of the cluster's DNS pods, which every pod may reach on port 53."""
    dns_pod_labels: Mapping[str, str]
    """Labels of the cluster's DNS pods."""
    ingress_namespace: pulumi.Input[str] | None = None
    """Namespace of the ingress controller that forwards to the api-server; None when nothing does."""
    git_port: int | None = None
    """Port of the DAG repository (22 for SSH, 443 for HTTPS, or the URL's), which the pods that run git-sync reach
    at any address (git hosts have no fixed addresses); None when the DAGs are in the image."""
    acme_http01: bool = False
    """Whether the UI's certificate comes from an ACME issuer (Let's Encrypt) by HTTP-01: the ingress controller then
    forwards the challenges to cert-manager's solver pods in this namespace."""
    external_database_port: int | None = None
    """Port of the external metadata database, which its clients then reach at any address instead of the in-cluster
    pod; None when the database runs in the cluster."""
    external_broker_port: int | None = None
    """Port of the external broker, which its clients then reach at any address instead of the in-cluster pod; None
    when the broker runs in the cluster."""
    database_clients: tuple[str, ...] = ()
    """Components beside the Airflow processes that reach the metadata database by Airflow's URL (the clean-up):
    through PgBouncer when it runs."""
    direct_database_clients: tuple[str, ...] = ()
    """Components that reach the metadata database itself, never through PgBouncer (the backups)."""
    pool_port: int | None = None
    """Port of PgBouncer, which then stands between the Airflow processes and the database; None without it."""
    autoscaler_namespace: pulumi.Input[str] | None = None
    """Namespace of KEDA's operator, whose scaler queries the in-cluster database directly; None without worker
    autoscaling."""
    statsd_port: int | None = None
    """UDP port of the StatsD exporter, which every pod that runs Airflow sends its metrics to; None without it."""
    metrics_port: int | None = None
    """TCP port where the exporter serves its metrics to Prometheus."""
    metrics_scraper_namespace: str | None = None
    """Namespace of the Prometheus that scrapes the exporter: the only one that may reach `metrics_port`."""


def pods(*components: str) -> k8s.networking.v1.NetworkPolicyPeerArgs:
    """Pods of these components, in the policy's own namespace."""
    return k8s.networking.v1.NetworkPolicyPeerArgs(
        pod_selector=k8s.meta.v1.LabelSelectorArgs(
            match_labels={"app.kubernetes.io/name": kube.PART_OF},
            match_expressions=[
                k8s.meta.v1.LabelSelectorRequirementArgs(
                    key="app.kubernetes.io/component", operator="In", values=sorted(components)
                )
            ],
        )
    )


def tcp(*ports: int) -> list[k8s.networking.v1.NetworkPolicyPortArgs]:
    return [k8s.networking.v1.NetworkPolicyPortArgs(protocol="TCP", port=port) for port in ports]


def flow_ports(flow: Flow) -> list[k8s.networking.v1.NetworkPolicyPortArgs]:
    return [k8s.networking.v1.NetworkPolicyPortArgs(protocol=flow.protocol, port=flow.port)]


def from_namespace(namespace: pulumi.Input[str], port: int) -> k8s.networking.v1.NetworkPolicyIngressRuleArgs:
    """Connections from any pod of that namespace (the ingress controller's, KEDA's), on this port."""
    return k8s.networking.v1.NetworkPolicyIngressRuleArgs(
        from_=[
            k8s.networking.v1.NetworkPolicyPeerArgs(
                namespace_selector=k8s.meta.v1.LabelSelectorArgs(match_labels={NAMESPACE_NAME_LABEL: namespace})
            )
        ],
        ports=tcp(port),
    )


class NetworkPolicies(pulumi.ComponentResource):
    """Default deny for the Airflow namespace, and one policy per component for exactly the flows it needs.

    It has no outputs: nothing consumes a policy; the policies act in the cluster."""

    def __init__(self, name: str, args: NetworkPoliciesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("airflow:index:NetworkPolicies", name, None, opts)
        self._name = name
        self._args = args
        self._flows = self._resolved_flows()
        everything = k8s.meta.v1.LabelSelectorArgs()

        # Selects every pod and allows nothing: whatever no other policy allows is dropped, both ways.
        self._policy("default-deny", "airflow-default-deny", everything, ingress=[], egress=[])
        self._policy(
            "dns",
            "airflow-dns",
            everything,
            egress=[
                k8s.networking.v1.NetworkPolicyEgressRuleArgs(
                    to=[
                        k8s.networking.v1.NetworkPolicyPeerArgs(
                            namespace_selector=k8s.meta.v1.LabelSelectorArgs(
                                match_labels={NAMESPACE_NAME_LABEL: args.dns_namespace}
                            ),
                            pod_selector=k8s.meta.v1.LabelSelectorArgs(match_labels=dict(args.dns_pod_labels)),
                        )
                    ],
                    ports=[
                        k8s.networking.v1.NetworkPolicyPortArgs(protocol=protocol, port=DNS_PORT) for protocol in ("UDP", "TCP")
                    ],
                )
            ],
        )
        components = {c for flow in self._flows for c in (*flow.clients, flow.server)} - self._external_servers()
        for component in sorted(components):
            self._component_policy(component)
        if args.acme_http01 and args.ingress_namespace is not None:
            # Ingress only: the solver answers Let's Encrypt through the controller and opens no connection itself.
            self._policy(
                "acme-http01-solver",
                "airflow-acme-http01-solver",
                k8s.meta.v1.LabelSelectorArgs(match_labels=ACME_SOLVER_LABELS),
                ingress=[from_namespace(args.ingress_namespace, ACME_SOLVER_PORT)],
            )

        self.register_outputs({})

    def _policy(
        self,
        suffix: str,
        policy_name: str,
        selector: k8s.meta.v1.LabelSelectorArgs,
        ingress: list[k8s.networking.v1.NetworkPolicyIngressRuleArgs] | None = None,
        egress: list[k8s.networking.v1.NetworkPolicyEgressRuleArgs] | None = None,
    ) -> None:
        # A direction is listed in policyTypes only when this policy has rules for it (an empty list denies it).
        types = [kind for kind, rules in (("Ingress", ingress), ("Egress", egress)) if rules is not None]
        k8s.networking.v1.NetworkPolicy(
            f"{self._name}-{suffix}",
            metadata=kube.object_meta(policy_name, self._args.namespace, COMPONENT),
            spec=k8s.networking.v1.NetworkPolicySpecArgs(
                pod_selector=selector, policy_types=types, ingress=ingress, egress=egress
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _component_policy(self, component: str) -> None:
        args = self._args
        ingress = [
            k8s.networking.v1.NetworkPolicyIngressRuleArgs(from_=[pods(*flow.clients)], ports=flow_ports(flow))
            for flow in self._flows
            if flow.server == component
        ]
        if component == API_SERVER and args.ingress_namespace is not None:
            ingress.append(from_namespace(args.ingress_namespace, API_PORT))
        if component == postgres.COMPONENT and args.autoscaler_namespace is not None:
            ingress.append(from_namespace(args.autoscaler_namespace, postgres.PORT))
        if component == metrics_exporter.COMPONENT and args.metrics_scraper_namespace and args.metrics_port:
            ingress.append(from_namespace(args.metrics_scraper_namespace, args.metrics_port))
        egress = [
            k8s.networking.v1.NetworkPolicyEgressRuleArgs(to=self._servers(flow), ports=flow_ports(flow))
            for flow in self._flows
            if component in flow.clients
        ]
        if args.git_port is not None and component in DAG_READERS:
            # No `to`: any address, on the repository's port only.
            egress.append(k8s.networking.v1.NetworkPolicyEgressRuleArgs(ports=tcp(args.git_port)))
        self._policy(
            component,
            f"airflow-{component}",
            k8s.meta.v1.LabelSelectorArgs(match_labels=kube.selector_labels(component)),
            ingress=ingress,
            egress=egress,
        )

    def _external_ports(self) -> dict[str, int]:
        """Port of each server of the flow table that runs outside the cluster, so has no pods here."""
        ports = {postgres.COMPONENT: self._args.external_database_port, redis.COMPONENT: self._args.external_broker_port}
        return {server: port for server, port in ports.items() if port is not None}

    def _external_servers(self) -> set[str]:
        return set(self._external_ports())

    def _database_flows(self) -> tuple[Flow, ...]:
        args = self._args
        airflow_clients = AIRFLOW_PODS + args.database_clients
        if args.pool_port is None:
            clients = airflow_clients + args.direct_database_clients
            return (Flow(clients, postgres.COMPONENT, postgres.PORT, "metadata database"),)
        return (
            Flow(airflow_clients, connection_pool.COMPONENT, args.pool_port, "metadata database, through PgBouncer"),
            Flow(
                (connection_pool.COMPONENT, *args.direct_database_clients),
                postgres.COMPONENT,
                postgres.PORT,
                "metadata database (PgBouncer's server connections, the backups' dumps)",
            ),
        )

    def _metrics_flows(self) -> tuple[Flow, ...]:
        """StatsD from every pod that runs Airflow with its environment (the clean-up too), when the exporter runs."""
        args = self._args
        if args.statsd_port is None:
            return ()
        clients = AIRFLOW_PODS + args.database_clients
        return (Flow(clients, metrics_exporter.COMPONENT, args.statsd_port, "StatsD metrics", protocol="UDP"),)

    def _resolved_flows(self) -> tuple[Flow, ...]:
        """The flow table with the database's and metrics' flows as configured, an external server's port taken from
        its URL."""
        external = self._external_ports()
        flows = FLOWS + self._database_flows() + self._metrics_flows()
        return tuple(replace(flow, port=external.get(flow.server, flow.port)) for flow in flows)

    def _servers(self, flow: Flow) -> list[k8s.networking.v1.NetworkPolicyPeerArgs] | None:
        """The server's pods, or None (any address) for a database or broker outside the cluster."""
        return None if flow.server in self._external_servers() else [pods(flow.server)]
