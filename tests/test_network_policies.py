"""NetworkPolicies: the rendered policies allow exactly the flows Airflow needs and nothing else.

The policies are evaluated here as a CNI would (selectors, namespaces, ports, both ends' isolation), over the pods the
render actually creates. What Airflow needs is written out here as literals (components, ports, who talks to whom),
not taken from the module under test, so a wrong constant there fails here; and the servers' ports are checked against
the ports their containers declare.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest

from components.settings import ConfigReader, SettingsError, read_settings
from tests.conftest import Run, settings_problems, shared
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
# The default install's ingress-nginx controller, in the stack's default `ingressNamespace`.
CONTROLLER = Endpoint("ingress-nginx", "ingress", {"app.kubernetes.io/name": "ingress-nginx"})
# A pod as cert-manager v1.21 creates it for an HTTP-01 challenge of the UI's Ingress: in that Ingress's namespace,
# with the solver label and hashes of the domain and token (pkg/issuer/acme/http/pod.go).
ACME_SOLVER = Endpoint(
    "cm-acme-http-solver",
    "airflow",
    {
        "acme.cert-manager.io/http01-solver": "true",
        "acme.cert-manager.io/http-domain": "1592199331",
        "acme.cert-manager.io/http-token": "1003950468",
    },
)
ACME_SOLVER_PORT = 8089


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
    container_ports: dict[str, set[int]]

    def pod(self, component: str) -> Endpoint:
        assert component in self.pods, f"the render has no {component} pod"
        return self.pods[component]

    def policy(self, name: str) -> dict[str, Any]:
        found = [p for p in self.policies if p["metadata"]["name"] == name]
        assert len(found) == 1, f"NetworkPolicy/{name} is rendered {len(found)} times"
        return found[0]

    def policy_names(self) -> set[str]:
        return {p["metadata"]["name"] for p in self.policies}

    def flows(self, ports: list[int]) -> set[tuple[str, str, int]]:
        """Every (client, server, port) allowed between the render's own pods."""
        return {
            (source, target, port)
            for source in self.pods
            for target in self.pods
            for port in ports
            if allows(self.policies, self.pods[source], self.pods[target], port)
        }


def cluster_of(capture: Capture) -> Cluster:
    objects = rendered(capture)
    pods: dict[str, Endpoint] = {}
    git_sync_pods = set()
    container_ports: dict[str, set[int]] = {}
    for template in pod_templates(objects):
        labels = (template.template.get("metadata") or {}).get("labels") or {}
        component = labels[COMPONENT_LABEL]
        pods[component] = Endpoint(component, template.namespace, labels)
        if any("git-sync" in container.get("image", "") for container in template.spec["containers"]):
            git_sync_pods.add(component)
        container_ports[component] = {
            port["containerPort"] for container in template.spec["containers"] for port in container.get("ports") or []
        }
    return Cluster([o for o in objects if o["kind"] == "NetworkPolicy"], pods, git_sync_pods, container_ports)


def feature(name: str) -> Render:
    (render,) = [r for r in FEATURE_RENDERS if r.name == name]
    return render


@pytest.fixture(scope=shared("module"))
def default_cluster(default_run: Capture) -> Cluster:
    return cluster_of(default_run)


@pytest.fixture(scope=shared("module"))
def git_cluster() -> Cluster:
    return cluster_of(feature("git-sync").run())


@pytest.fixture(scope=shared("module"))
def acme_run() -> Capture:
    """The default install (ingress-nginx in `ingress`) with a Let's Encrypt issuer."""
    values = {"issuerKind": "letsencrypt-staging", "acmeEmail": "platform@acme-corp.io", "domain": "airflow.acme-corp.io"}
    return Render("acme", values=values).run()


@pytest.fixture(scope=shared("module"))
def acme_cluster(acme_run: Capture) -> Cluster:
    return cluster_of(acme_run)


AIRFLOW_PODS = {"api-server", "scheduler", "dag-processor", "triggerer", "worker", "migrations"}
# The CronJobs' pods: both reach the database only. The backup is on by default with the in-cluster database alone.
CLEANUP, BACKUP = "metadata-cleanup", "database-backup"
# Every flow inside the namespace that Airflow needs: (client, server, port). Only the scheduler (CeleryExecutor
# publishes tasks) and the Celery workers (consume them) use the broker.
NEEDED = {
    ("scheduler", "api-server", 8080),
    ("dag-processor", "api-server", 8080),
    ("triggerer", "api-server", 8080),
    ("worker", "api-server", 8080),
    ("api-server", "worker", 8793),
    ("api-server", "triggerer", 8794),
    ("api-server", "postgresql", 5432),
    ("scheduler", "postgresql", 5432),
    ("dag-processor", "postgresql", 5432),
    ("triggerer", "postgresql", 5432),
    ("worker", "postgresql", 5432),
    ("migrations", "postgresql", 5432),
    ("database-backup", "postgresql", 5432),
    ("metadata-cleanup", "postgresql", 5432),
    ("scheduler", "redis", 6379),
    ("worker", "redis", 6379),
}
# Every port above, the git and web ports, the solver's, and the external database's and broker's of the tests below.
PORTS = [22, 80, 443, 5432, 6379, 6380, 6432, 8080, 8089, 8793, 8794]


def test_should_deny_all_traffic_in_the_namespace_by_default(default_cluster: Cluster) -> None:
    deny = default_cluster.policy("airflow-default-deny")
    assert deny["spec"]["podSelector"] == {}, "NetworkPolicy/airflow-default-deny"
    assert sorted(deny["spec"]["policyTypes"]) == ["Egress", "Ingress"]
    assert not deny["spec"].get("ingress")
    assert not deny["spec"].get("egress")


def test_should_allow_exactly_the_flows_airflow_needs_between_its_pods(default_cluster: Cluster) -> None:
    assert set(default_cluster.pods) == {*AIRFLOW_PODS, CLEANUP, BACKUP, "postgresql", "redis"}
    allowed = default_cluster.flows(PORTS)
    assert allowed - NEEDED == set(), "allowed but not needed"
    assert NEEDED - allowed == set(), "needed but not allowed"


@pytest.mark.parametrize("client", ["api-server", "dag-processor", "triggerer", "migrations"])
def test_should_keep_the_pods_that_never_use_celery_away_from_the_broker(default_cluster: Cluster, client: str) -> None:
    assert not allows(default_cluster.policies, default_cluster.pod(client), default_cluster.pod("redis"), 6379), client


@pytest.mark.parametrize(("server", "port"), sorted({(server, port) for _, server, port in NEEDED}))
def test_should_open_the_port_the_server_container_listens_on(default_cluster: Cluster, server: str, port: int) -> None:
    assert port in default_cluster.container_ports[server], (server, default_cluster.container_ports[server])


@pytest.mark.parametrize("protocol", ["UDP", "TCP"])
def test_should_let_every_pod_resolve_names_with_kube_dns(default_cluster: Cluster, protocol: str) -> None:
    for component, pod in default_cluster.pods.items():
        assert allows(default_cluster.policies, pod, KUBE_DNS, 53, protocol), component
        assert not allows(default_cluster.policies, pod, STRANGER, 53, protocol), component


def test_should_open_port_53_of_the_dns_pods_alone(default_cluster: Cluster) -> None:
    assert default_cluster.policy("airflow-dns")["spec"] == {
        "egress": [
            {
                "to": [
                    {
                        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                        "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
                    }
                ],
                "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}],
            }
        ],
        "podSelector": {},
        "policyTypes": ["Egress"],
    }
    metrics_server = Endpoint("metrics-server", "kube-system", {"k8s-app": "metrics-server"})
    dns_elsewhere = Endpoint("a copy of kube-dns", "default", KUBE_DNS.labels)
    for component, pod in default_cluster.pods.items():
        for port in PORTS:
            assert not allows(default_cluster.policies, pod, KUBE_DNS, port), (component, port)
        assert not allows(default_cluster.policies, pod, metrics_server, 53, "UDP"), component
        assert not allows(default_cluster.policies, pod, dns_elsewhere, 53, "UDP"), component


@pytest.mark.parametrize("protocol", ["UDP", "TCP"])
def test_should_follow_the_clusters_dns_where_it_runs_elsewhere(run: Run, protocol: str) -> None:
    cluster = cluster_of(run(dnsNamespace="openshift-dns", dnsPodLabels="dns.operator.openshift.io/daemonset-dns=default"))
    openshift_dns = Endpoint("dns-default", "openshift-dns", {"dns.operator.openshift.io/daemonset-dns": "default"})
    for component, pod in cluster.pods.items():
        assert allows(cluster.policies, pod, openshift_dns, 53, protocol), component
        assert not allows(cluster.policies, pod, KUBE_DNS, 53, protocol), component


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("dnsNamespace", "Kube_System", "airflow:dnsNamespace = 'Kube_System': must be a DNS-1123 label"),
        ("dnsPodLabels", "k8s-app", "airflow:dnsPodLabels = 'k8s-app': must be comma-separated key=value labels"),
        ("dnsPodLabels", "app=core dns", "airflow:dnsPodLabels = 'app=core dns': must be comma-separated key=value labels"),
    ],
)
def test_should_refuse_a_dns_setting_no_selector_can_hold(key: str, value: str, message: str) -> None:
    [problem] = settings_problems({f"airflow:{key}": value})
    assert problem.startswith(message), problem


def test_should_let_only_the_ingress_controller_namespace_reach_the_api_server(default_cluster: Cluster) -> None:
    for component, pod in default_cluster.pods.items():
        for port in PORTS:
            expected = (component, port) == ("api-server", 8080)
            assert allows(default_cluster.policies, CONTROLLER, pod, port) == expected, (component, port)
            assert not allows(default_cluster.policies, STRANGER, pod, port), (component, port)


def test_should_follow_the_ingress_namespace_of_an_existing_controller() -> None:
    cluster = cluster_of(feature("existing-edge-letsencrypt").run())
    existing = Endpoint("nginx-controller", "edge", {"app": "nginx"})
    assert allows(cluster.policies, existing, cluster.pod("api-server"), 8080)
    assert allows(cluster.policies, existing, ACME_SOLVER, ACME_SOLVER_PORT), "NetworkPolicy/airflow-acme-http01-solver"
    assert not allows(cluster.policies, CONTROLLER, cluster.pod("api-server"), 8080)
    assert not allows(cluster.policies, CONTROLLER, ACME_SOLVER, ACME_SOLVER_PORT)


def test_should_let_the_ingress_controller_reach_the_acme_solver_on_its_port_only(acme_cluster: Cluster) -> None:
    for port in PORTS:
        assert allows(acme_cluster.policies, CONTROLLER, ACME_SOLVER, port) == (port == ACME_SOLVER_PORT), port
        assert not allows(acme_cluster.policies, STRANGER, ACME_SOLVER, port), port
        for component, pod in acme_cluster.pods.items():
            assert not allows(acme_cluster.policies, pod, ACME_SOLVER, port), (component, port)
            assert not allows(acme_cluster.policies, ACME_SOLVER, pod, port), (component, port)
        assert not allows(acme_cluster.policies, ACME_SOLVER, INTERNET, port), port


def test_should_give_the_acme_solver_a_policy_that_selects_no_airflow_pod(acme_cluster: Cluster) -> None:
    solver = acme_cluster.policy("airflow-acme-http01-solver")
    assert solver["spec"]["policyTypes"] == ["Ingress"], "NetworkPolicy/airflow-acme-http01-solver"
    assert selects(solver["spec"]["podSelector"], ACME_SOLVER.labels)
    for component, pod in acme_cluster.pods.items():
        assert not selects(solver["spec"]["podSelector"], pod.labels), component


def test_should_name_each_policy_resource_after_what_it_selects(acme_run: Capture) -> None:
    names = {r.name for r in acme_run.of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")}
    assert names == {
        "network-policies-default-deny",
        "network-policies-dns",
        "network-policies-acme-http01-solver",
        *(
            f"network-policies-{component}"
            for component in (*sorted(AIRFLOW_PODS), CLEANUP, BACKUP, "postgresql", "redis")
        ),
    }


def test_should_not_open_the_acme_solver_without_a_lets_encrypt_issuer(default_cluster: Cluster) -> None:
    assert "airflow-acme-http01-solver" not in default_cluster.policy_names()
    assert not allows(default_cluster.policies, CONTROLLER, ACME_SOLVER, ACME_SOLVER_PORT)


def test_should_keep_the_flows_inside_the_namespace_with_a_lets_encrypt_issuer(acme_cluster: Cluster) -> None:
    assert acme_cluster.flows(PORTS) == NEEDED


def test_should_let_no_pod_leave_the_cluster_when_dags_are_in_the_image(default_cluster: Cluster) -> None:
    for component, pod in default_cluster.pods.items():
        for port in PORTS:
            assert not allows(default_cluster.policies, pod, INTERNET, port), (component, port)


def test_should_let_the_pods_that_run_git_sync_reach_the_repository_port_only(git_cluster: Cluster) -> None:
    dag_readers = {"dag-processor", "triggerer", "worker"}
    assert git_cluster.git_sync_pods == dag_readers
    repository_port = 8443  # from the git-sync render's URL
    for component, pod in git_cluster.pods.items():
        assert allows(git_cluster.policies, pod, INTERNET, repository_port) == (component in dag_readers), component
        for port in PORTS:
            assert not allows(git_cluster.policies, pod, INTERNET, port), (component, port)


def test_should_keep_the_flows_inside_the_namespace_when_git_sync_is_on(git_cluster: Cluster) -> None:
    assert git_cluster.flows(PORTS) == NEEDED


DATABASE_PASSWORD = "db-Pa55word-in-url"
EXTERNAL = [
    pytest.param(
        "postgresql://airflow:" + DATABASE_PASSWORD + "@db.acme-corp.io:5432/airflow",
        "redis://:secret@broker.acme-corp.io:6379/0",
        5432,
        6379,
        id="well-known-ports-named",
    ),
    pytest.param(
        "postgresql+psycopg2://airflow:" + DATABASE_PASSWORD + "@pgbouncer.acme-corp.io:6432/airflow?sslmode=require",
        "rediss://:secret@cache.acme-corp.io:6380/0",
        6432,
        6380,
        id="other-ports",
    ),
    pytest.param(
        "postgresql://airflow:" + DATABASE_PASSWORD + "@db.acme-corp.io/airflow",
        "rediss://:secret@cache.acme-corp.io/0",
        5432,
        6379,
        id="no-port-means-the-default",
    ),
]


@pytest.mark.parametrize(("database_url", "broker_url", "database_port", "broker_port"), EXTERNAL)
def test_should_reach_an_external_database_and_broker_on_the_ports_of_their_urls(
    database_url: str, broker_url: str, database_port: int, broker_port: int
) -> None:
    secrets = {"externalDatabaseUrl": database_url, "externalBrokerUrl": broker_url}
    cluster = cluster_of(Render("external", secrets=secrets).run())
    assert set(cluster.pods) == {*AIRFLOW_PODS, CLEANUP}
    assert cluster.policy_names().isdisjoint({"airflow-postgresql", "airflow-redis"})
    for component in sorted({*AIRFLOW_PODS, CLEANUP}):
        pod = cluster.pod(component)
        for port in sorted({*PORTS, database_port, broker_port}):
            expected = port == database_port or (port == broker_port and component in {"scheduler", "worker"})
            assert allows(cluster.policies, pod, INTERNET, port) == expected, (component, port)
    assert DATABASE_PASSWORD not in json.dumps(cluster.policies)


def test_should_keep_the_flows_inside_the_namespace_with_an_external_database_and_broker() -> None:
    cluster = cluster_of(feature("external-database-and-broker").run())
    assert cluster.flows(PORTS) == {
        ("scheduler", "api-server", 8080),
        ("dag-processor", "api-server", 8080),
        ("triggerer", "api-server", 8080),
        ("worker", "api-server", 8080),
        ("api-server", "worker", 8793),
        ("api-server", "triggerer", 8794),
    }


def settings_of(secrets: dict[str, str]) -> Any:
    values = {f"airflow:{key}": value for key, value in secrets.items()}
    return read_settings(ConfigReader(raw=values.get, is_secret=lambda key: key in values))


@pytest.mark.parametrize(("database_url", "broker_url", "database_port", "broker_port"), EXTERNAL)
def test_should_read_the_ports_of_the_external_urls_as_plain_numbers(
    database_url: str, broker_url: str, database_port: int, broker_port: int
) -> None:
    settings = settings_of({"externalDatabaseUrl": database_url, "externalBrokerUrl": broker_url})
    assert (settings.postgres.external_port, settings.redis.external_port) == (database_port, broker_port)
    assert type(settings.postgres.external_port) is int
    assert type(settings.redis.external_port) is int


def test_should_have_no_external_ports_when_the_database_and_broker_are_in_the_cluster() -> None:
    settings = settings_of({})
    assert (settings.postgres.external_port, settings.redis.external_port) == (None, None)


@pytest.mark.parametrize(
    ("key", "url", "problem"),
    [
        (
            "externalDatabaseUrl",
            "postgresql://airflow:" + DATABASE_PASSWORD + "@db.acme-corp.io:65536/airflow",
            "airflow:externalDatabaseUrl = (secret): must be a PostgreSQL URL such as "
            "postgresql://user:password@host:5432/airflow",
        ),
        (
            "externalDatabaseUrl",
            "postgresql://airflow:" + DATABASE_PASSWORD + "@db.acme-corp.io:pgbouncer/airflow",
            "airflow:externalDatabaseUrl = (secret): must be a PostgreSQL URL such as "
            "postgresql://user:password@host:5432/airflow",
        ),
        (
            "externalBrokerUrl",
            "rediss://:" + DATABASE_PASSWORD + "@cache.acme-corp.io:0/0",
            "airflow:externalBrokerUrl = (secret): must be a Redis URL such as redis://:password@host:6379/0 or rediss://...",
        ),
    ],
)
def test_should_reject_an_external_url_whose_port_is_not_a_port(key: str, url: str, problem: str) -> None:
    with pytest.raises(SettingsError) as caught:
        settings_of({key: url})
    assert caught.value.problems == [problem]
    assert DATABASE_PASSWORD not in str(caught.value)


def test_should_select_every_rendered_pod_with_a_policy_of_its_own(default_cluster: Cluster) -> None:
    for component, pod in default_cluster.pods.items():
        own = [
            p["metadata"]["name"]
            for p in default_cluster.policies
            if p["spec"]["podSelector"] and selects(p["spec"]["podSelector"], pod.labels)
        ]
        assert own == [f"airflow-{component}"], component


def test_should_put_the_policies_in_the_airflow_namespace(default_cluster: Cluster, acme_cluster: Cluster) -> None:
    for cluster in (default_cluster, acme_cluster):
        assert cluster.policies
        assert {p["metadata"]["namespace"] for p in cluster.policies} == {"airflow"}
