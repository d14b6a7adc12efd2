"""NetworkPolicies: the rendered policies allow exactly the flows Airflow needs and nothing else.

The policies are evaluated here as a CNI would (selectors, namespaces, ports, both ends' isolation), over the pods the
render actually creates, so a new pod, label or port is checked without touching this file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from components.airflow import API_PORT, TRIGGERER_LOG_PORT, WORKER_LOG_PORT
from components.network_policies import AIRFLOW_PODS, DAG_READERS, DNS_PORT
from components.postgres import PORT as POSTGRES_PORT
from components.redis import PORT as REDIS_PORT
from tools.harness import Capture
from tools.pod_security import pod_templates, rendered
from tools.validate import FEATURE_RENDERS, Render

COMPONENT_LABEL = "app.kubernetes.io/component"
NAMESPACE_LABEL = "kubernetes.io/metadata.name"


@dataclass(frozen=True)
class Endpoint:
    """A pod (namespace and labels), or an address outside the cluster (namespace None)."""

    name: str
    namespace: str | None
    labels: dict[str, str] = field(default_factory=dict, hash=False)


KUBE_DNS = Endpoint("kube-dns", "kube-system", {"k8s-app": "kube-dns"})
INTERNET = Endpoint("internet", None)
STRANGER = Endpoint("a pod of another team", "default", {"app": "stranger"})


def selects(selector: dict[str, Any] | None, labels: dict[str, str]) -> bool:
    selector = selector or {}
    if any(labels.get(key) != value for key, value in (selector.get("matchLabels") or {}).items()):
        return False
    for requirement in selector.get("matchExpressions") or []:
        key, operator, values = requirement["key"], requirement["operator"], requirement.get("values") or []
        matched = {
            "In": key in labels and labels[key] in values,
            "NotIn": key not in labels or labels[key] not in values,
            "Exists": key in labels,
            "DoesNotExist": key not in labels,
        }[operator]
        if not matched:
            return False
    return True


def peer_matches(peer: dict[str, Any], policy_namespace: str, other: Endpoint) -> bool:
    assert "ipBlock" not in peer, "the evaluator does not model ipBlock peers"
    if other.namespace is None:
        return False
    if "namespaceSelector" in peer:
        if not selects(peer["namespaceSelector"], {NAMESPACE_LABEL: other.namespace}):
            return False
    elif other.namespace != policy_namespace:
        return False
    return "podSelector" not in peer or selects(peer["podSelector"], other.labels)


def port_matches(rule_ports: list[dict[str, Any]] | None, port: int, protocol: str) -> bool:
    if not rule_ports:
        return True
    return any(p.get("protocol", "TCP") == protocol and p.get("port") in (None, port) for p in rule_ports)


def side_allows(policies: list[dict[str, Any]], pod: Endpoint, other: Endpoint, port: int, protocol: str, direction: str) -> bool:
    """Whether the policies selecting `pod` let this connection through in `direction` (Ingress or Egress)."""
    if pod.namespace is None:
        return True
    rules_key, peers_key = ("ingress", "from") if direction == "Ingress" else ("egress", "to")
    isolating = [
        policy
        for policy in policies
        if policy["metadata"]["namespace"] == pod.namespace
        and direction in policy["spec"].get("policyTypes", [])
        and selects(policy["spec"]["podSelector"], pod.labels)
    ]
    if not isolating:
        return True
    return any(
        port_matches(rule.get("ports"), port, protocol)
        and (not rule.get(peers_key) or any(peer_matches(p, policy["metadata"]["namespace"], other) for p in rule[peers_key]))
        for policy in isolating
        for rule in policy["spec"].get(rules_key) or []
    )


def allows(policies: list[dict[str, Any]], source: Endpoint, target: Endpoint, port: int, protocol: str = "TCP") -> bool:
    return side_allows(policies, source, target, port, protocol, "Egress") and side_allows(
        policies, target, source, port, protocol, "Ingress"
    )


@dataclass
class Cluster:
    """The render's policies and pods, keyed by component."""

    policies: list[dict[str, Any]]
    pods: dict[str, Endpoint]
    git_sync_pods: set[str]

    def pod(self, component: str) -> Endpoint:
        assert component in self.pods, f"the render has no {component} pod"
        return self.pods[component]


def cluster_of(capture: Capture) -> Cluster:
    objects = rendered(capture)
    pods: dict[str, Endpoint] = {}
    git_sync_pods = set()
    for template in pod_templates(objects):
        labels = (template.template.get("metadata") or {}).get("labels") or {}
        component = labels[COMPONENT_LABEL]
        pods[component] = Endpoint(component, template.namespace, labels)
        if any("git-sync" in container.get("image", "") for container in template.spec["containers"]):
            git_sync_pods.add(component)
    return Cluster([o for o in objects if o["kind"] == "NetworkPolicy"], pods, git_sync_pods)


def feature(name: str) -> Render:
    (render,) = [r for r in FEATURE_RENDERS if r.name == name]
    return render


@pytest.fixture(scope="module")
def default_cluster(default_run: Capture) -> Cluster:
    return cluster_of(default_run)


@pytest.fixture(scope="module")
def git_cluster() -> Cluster:
    return cluster_of(feature("git-sync").run())


# Every flow inside the namespace that Airflow needs: (client, server, port).
NEEDED = {
    *((client, "api-server", API_PORT) for client in ("scheduler", "dag-processor", "triggerer", "worker")),
    ("api-server", "worker", WORKER_LOG_PORT),
    ("api-server", "triggerer", TRIGGERER_LOG_PORT),
    *((client, "postgresql", POSTGRES_PORT) for client in AIRFLOW_PODS),
    *((client, "redis", REDIS_PORT) for client in AIRFLOW_PODS),
}
PORTS = sorted({API_PORT, WORKER_LOG_PORT, TRIGGERER_LOG_PORT, POSTGRES_PORT, REDIS_PORT, 22, 443, 80})


def test_should_deny_all_traffic_in_the_namespace_by_default(default_cluster: Cluster) -> None:
    (deny,) = [p for p in default_cluster.policies if p["metadata"]["name"] == "airflow-default-deny"]
    assert deny["spec"]["podSelector"] == {}, "NetworkPolicy/airflow-default-deny"
    assert sorted(deny["spec"]["policyTypes"]) == ["Egress", "Ingress"]
    assert not deny["spec"].get("ingress")
    assert not deny["spec"].get("egress")


def test_should_allow_exactly_the_flows_airflow_needs_between_its_pods(default_cluster: Cluster) -> None:
    pods = default_cluster.pods
    assert set(pods) == {*AIRFLOW_PODS, "postgresql", "redis"}
    allowed = {
        (source, target, port)
        for source in pods
        for target in pods
        for port in PORTS
        if allows(default_cluster.policies, pods[source], pods[target], port)
    }
    assert allowed - NEEDED == set(), "allowed but not needed"
    assert NEEDED - allowed == set(), "needed but not allowed"


@pytest.mark.parametrize("protocol", ["UDP", "TCP"])
def test_should_let_every_pod_resolve_names_with_kube_dns(default_cluster: Cluster, protocol: str) -> None:
    for component, pod in default_cluster.pods.items():
        assert allows(default_cluster.policies, pod, KUBE_DNS, DNS_PORT, protocol), component
        assert not allows(default_cluster.policies, pod, STRANGER, DNS_PORT, protocol), component


def test_should_let_only_the_ingress_controller_namespace_reach_the_api_server(default_cluster: Cluster) -> None:
    controller = Endpoint("ingress-nginx", "ingress", {"app.kubernetes.io/name": "ingress-nginx"})
    for component, pod in default_cluster.pods.items():
        for port in PORTS:
            expected = (component, port) == ("api-server", API_PORT)
            assert allows(default_cluster.policies, controller, pod, port) == expected, (component, port)
            assert not allows(default_cluster.policies, STRANGER, pod, port), (component, port)


def test_should_follow_the_ingress_namespace_of_an_existing_controller() -> None:
    cluster = cluster_of(feature("existing-edge-letsencrypt").run())
    existing = Endpoint("nginx-controller", "edge", {"app": "nginx"})
    installed = Endpoint("ingress-nginx", "ingress", {"app.kubernetes.io/name": "ingress-nginx"})
    assert allows(cluster.policies, existing, cluster.pod("api-server"), API_PORT)
    assert not allows(cluster.policies, installed, cluster.pod("api-server"), API_PORT)


def test_should_let_no_pod_leave_the_cluster_when_dags_are_in_the_image(default_cluster: Cluster) -> None:
    for component, pod in default_cluster.pods.items():
        for port in PORTS:
            assert not allows(default_cluster.policies, pod, INTERNET, port), (component, port)


def test_should_let_the_pods_that_run_git_sync_reach_the_repository_port_only(git_cluster: Cluster) -> None:
    assert git_cluster.git_sync_pods == set(DAG_READERS)
    repository_port = 8443  # from the git-sync render's URL
    for component, pod in git_cluster.pods.items():
        assert allows(git_cluster.policies, pod, INTERNET, repository_port) == (component in DAG_READERS), component
        for port in PORTS:
            assert not allows(git_cluster.policies, pod, INTERNET, port), (component, port)


def test_should_keep_the_flows_inside_the_namespace_when_git_sync_is_on(git_cluster: Cluster, default_cluster: Cluster) -> None:
    def inside(cluster: Cluster) -> set[tuple[str, str, int]]:
        return {
            (s, t, port)
            for s in cluster.pods
            for t in cluster.pods
            for port in PORTS
            if allows(cluster.policies, cluster.pods[s], cluster.pods[t], port)
        }

    assert inside(git_cluster) == inside(default_cluster)


def test_should_reach_an_external_database_and_broker_on_their_ports_only() -> None:
    cluster = cluster_of(feature("external-database-and-broker").run())
    assert set(cluster.pods) == set(AIRFLOW_PODS)
    assert {p["metadata"]["name"] for p in cluster.policies}.isdisjoint({"airflow-postgresql", "airflow-redis"})
    for component in AIRFLOW_PODS:
        pod = cluster.pod(component)
        assert allows(cluster.policies, pod, INTERNET, POSTGRES_PORT), component
        assert allows(cluster.policies, pod, INTERNET, REDIS_PORT), component
        assert not allows(cluster.policies, pod, INTERNET, 443), component


def test_should_select_every_rendered_pod_with_a_policy_of_its_own(default_cluster: Cluster) -> None:
    for component, pod in default_cluster.pods.items():
        own = [
            p["metadata"]["name"]
            for p in default_cluster.policies
            if p["spec"]["podSelector"] and selects(p["spec"]["podSelector"], pod.labels)
        ]
        assert own == [f"airflow-{component}"], component


def test_should_put_the_policies_in_the_airflow_namespace(default_cluster: Cluster) -> None:
    assert default_cluster.policies
    assert {p["metadata"]["namespace"] for p in default_cluster.policies} == {"airflow"}
