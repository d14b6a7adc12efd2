"""MetricsExporter: the statsd-exporter's objects, its mapping, the dashboard it is held to, the Airflow environment,
the NetworkPolicies around it, ingress-nginx's metrics and the settings of all of it.

The real exporter runs the rendered mapping against the real Airflow in the smoke tier (smoke/test_metrics.py); here
the mapping is read by a matcher written for this test after the exporter's documented rules (a glob `*` takes one
dot-separated part, a regex is anchored and runs after every glob; `$n` is the n-th capture), and checked against
literal StatsD names of Airflow 3.3.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import yaml

from components import metrics_exporter
from components.ingress_controller import IngressControllerArgs, metrics_values
from components.metrics_exporter import mapping_config, mapping_text
from components.settings import InstallMode, ServiceType, config_schema
from tests.conftest import Run, config_of, settings_problems, shared
from tests.test_network_policies import INTERNET, KUBE_DNS, STRANGER, Endpoint, allows, cluster_of
from tools.dashboard import metric_names, metric_names_of
from tools.harness import Capture, run_program
from tools.validate import validate_object

ON = {"metricsEnabled": True}
EVERYTHING = {
    **ON,
    "metricsServiceMonitor": True,
    "metricsServiceMonitorLabels": "release=kube-prometheus-stack,team=data",
    "metricsGrafanaDashboard": True,
    "ingressMetrics": True,
}
LABELS = {
    "app.kubernetes.io/component": "statsd-exporter",
    "app.kubernetes.io/managed-by": "pulumi",
    "app.kubernetes.io/name": "airflow",
    "app.kubernetes.io/part-of": "airflow",
}
SELECTOR = {"app.kubernetes.io/component": "statsd-exporter", "app.kubernetes.io/name": "airflow"}
METADATA = {"labels": LABELS, "name": "airflow-statsd-exporter", "namespace": "airflow"}
AIRFLOW_ENV = [
    {"name": "AIRFLOW__METRICS__STATSD_ON", "value": "True"},
    {"name": "AIRFLOW__METRICS__STATSD_HOST", "value": "airflow-statsd-exporter.airflow.svc"},
    {"name": "AIRFLOW__METRICS__STATSD_PORT", "value": "9125"},
    {"name": "AIRFLOW__METRICS__STATSD_PREFIX", "value": "airflow"},
    {"name": "AIRFLOW__METRICS__LEGACY_NAMES_ON", "value": "True"},
]


@pytest.fixture(scope=shared("module"))
def metrics_run() -> Capture:
    return run_program(config_of(**EVERYTHING))


# --- the exporter's objects -----------------------------------------------------------------------------------------


def test_should_run_one_restricted_exporter_reading_its_mapping_from_the_config_map(metrics_run: Capture) -> None:
    deployment = metrics_run.object("Deployment", "airflow-statsd-exporter")
    assert deployment["spec"]["replicas"] == 1
    assert deployment["spec"]["selector"] == {"matchLabels": SELECTOR}
    template = deployment["spec"]["template"]
    digest = template["metadata"]["annotations"]["airflow.pulumi.io/statsd-mapping-digest"]
    assert re.fullmatch("[0-9a-f]{64}", digest), digest
    assert template["metadata"] == {"annotations": {"airflow.pulumi.io/statsd-mapping-digest": digest}, "labels": LABELS}

    def probe(path: str) -> dict[str, Any]:
        return {"httpGet": {"path": path, "port": "metrics"}, "timeoutSeconds": 5}

    assert template["spec"] == {
        "automountServiceAccountToken": False,
        "containers": [
            {
                "args": [
                    "--statsd.mapping-config=/etc/statsd-exporter/mapping.yml",
                    "--statsd.listen-udp=:9125",
                    "--statsd.listen-tcp=",
                    "--web.listen-address=:9102",
                    "--web.telemetry-path=/metrics",
                ],
                "image": "prom/statsd-exporter:v0.31.0",
                "imagePullPolicy": "IfNotPresent",
                "livenessProbe": {**probe("/-/healthy"), "failureThreshold": 6, "periodSeconds": 20},
                "name": "statsd-exporter",
                "ports": [
                    {"containerPort": 9125, "name": "statsd", "protocol": "UDP"},
                    {"containerPort": 9102, "name": "metrics", "protocol": "TCP"},
                ],
                "readinessProbe": {**probe("/-/ready"), "failureThreshold": 3, "periodSeconds": 10},
                "resources": {"limits": {"cpu": "500m", "memory": "256Mi"}, "requests": {"cpu": "50m", "memory": "64Mi"}},
                "securityContext": {
                    "allowPrivilegeEscalation": False,
                    "capabilities": {"drop": ["ALL"]},
                    "privileged": False,
                    "readOnlyRootFilesystem": True,
                    "runAsNonRoot": True,
                    "seccompProfile": {"type": "RuntimeDefault"},
                },
                "volumeMounts": [{"mountPath": "/etc/statsd-exporter", "name": "mapping", "readOnly": True}],
            }
        ],
        "enableServiceLinks": False,
        "securityContext": {
            "fsGroup": 65534,
            "fsGroupChangePolicy": "OnRootMismatch",
            "runAsGroup": 65534,
            "runAsNonRoot": True,
            "runAsUser": 65534,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "serviceAccountName": "airflow-statsd-exporter",
        "topologySpreadConstraints": [
            {
                "labelSelector": {"matchLabels": SELECTOR},
                "maxSkew": 1,
                "topologyKey": "kubernetes.io/hostname",
                "whenUnsatisfiable": "ScheduleAnyway",
            }
        ],
        "volumes": [{"configMap": {"defaultMode": 0o440, "name": "airflow-statsd-exporter"}, "name": "mapping"}],
    }


def test_should_hold_exactly_the_mapping_in_its_config_map(metrics_run: Capture) -> None:
    config_map = metrics_run.object("ConfigMap", "airflow-statsd-exporter")
    assert config_map == {"apiVersion": "v1", "kind": "ConfigMap", "metadata": METADATA, "data": {"mapping.yml": mapping_text()}}
    assert yaml.safe_load(config_map["data"]["mapping.yml"]) == mapping_config()


def test_should_publish_statsd_and_metrics_with_scrape_annotations_on_the_service(metrics_run: Capture) -> None:
    assert metrics_run.object("Service", "airflow-statsd-exporter") == {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            **METADATA,
            "annotations": {"prometheus.io/path": "/metrics", "prometheus.io/port": "9102", "prometheus.io/scrape": "true"},
        },
        "spec": {
            "ports": [
                {"name": "statsd", "port": 9125, "protocol": "UDP", "targetPort": "statsd"},
                {"name": "metrics", "port": 9102, "protocol": "TCP", "targetPort": "metrics"},
            ],
            "selector": SELECTOR,
        },
    }
    template = metrics_run.object("Deployment", "airflow-statsd-exporter")["spec"]["template"]
    assert not any(key.startswith("prometheus.io/") for key in template["metadata"]["annotations"])


def test_should_select_the_exporters_service_with_a_labelled_service_monitor(metrics_run: Capture) -> None:
    assert metrics_run.object("ServiceMonitor", "airflow-statsd-exporter") == {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "ServiceMonitor",
        "metadata": {**METADATA, "labels": {**LABELS, "release": "kube-prometheus-stack", "team": "data"}},
        "spec": {
            "endpoints": [{"interval": "30s", "path": "/metrics", "port": "metrics"}],
            "selector": {"matchLabels": SELECTOR},
        },
    }


def test_should_give_the_grafana_sidecar_the_dashboard_in_a_labelled_config_map(metrics_run: Capture, run: Run) -> None:
    dashboard = metrics_run.object("ConfigMap", "airflow-grafana-dashboard")
    assert dashboard == {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"labels": {**LABELS, "grafana_dashboard": "1"}, "name": "airflow-grafana-dashboard", "namespace": "airflow"},
        "data": {"airflow.json": metrics_exporter.DASHBOARD_FILE.read_text()},
    }
    relabelled = run(**ON, metricsGrafanaDashboard=True, metricsGrafanaDashboardLabel="dashboards=airflow")
    labels = relabelled.object("ConfigMap", "airflow-grafana-dashboard")["metadata"]["labels"]
    assert labels == {**LABELS, "dashboards": "airflow"}


def test_should_register_the_exporter_as_one_component_owning_its_objects(metrics_run: Capture) -> None:
    by_urn = {r.urn: r.name for r in metrics_run.registrations}
    assert {r.name: (r.type, by_urn.get(r.parent)) for r in metrics_run.registrations if r.name.startswith("metrics")} == {
        "metrics": ("airflow:index:MetricsExporter", None),
        "metrics-mapping": ("kubernetes:core/v1:ConfigMap", "metrics"),
        "metrics-service": ("kubernetes:core/v1:Service", "metrics"),
        "metrics-sa": ("kubernetes:core/v1:ServiceAccount", "metrics"),
        "metrics-deployment": ("kubernetes:apps/v1:Deployment", "metrics"),
        "metrics-service-monitor": ("kubernetes:monitoring.coreos.com/v1:ServiceMonitor", "metrics"),
        "metrics-dashboard": ("kubernetes:core/v1:ConfigMap", "metrics"),
    }
    assert metrics_run.object("Deployment", "airflow-statsd-exporter")["metadata"] == {
        **METADATA,
        "annotations": {
            "checkov.io/skip1": "CKV_K8S_43=images are pinned to release tags set in the stack config, reviewed in every "
            "preview; a digest would go stale at each rebuild of the same release",
            "checkov.io/skip2": "CKV_K8S_15=imagePullPolicy is a stack setting: IfNotPresent by default since tags are "
            "pinned (no registry round trip per pod start); set Always where nodes are shared with untrusted workloads",
        },
    }
    assert metrics_run.object("ServiceAccount", "airflow-statsd-exporter") == {
        "apiVersion": "v1",
        "automountServiceAccountToken": False,
        "kind": "ServiceAccount",
        "metadata": METADATA,
    }


def test_should_create_only_the_exporter_without_service_monitor_or_dashboard(run: Run) -> None:
    names = {r.name for r in run(**ON).registrations if r.name.startswith("metrics")}
    assert names == {"metrics", "metrics-mapping", "metrics-service", "metrics-sa", "metrics-deployment"}


def test_should_create_nothing_of_it_by_default(default_run: Capture) -> None:
    assert [r.name for r in default_run.registrations if r.name.startswith("metrics") or "statsd" in r.name] == []


def test_should_restart_the_exporter_when_its_mapping_changes(metrics_run: Capture, monkeypatch: pytest.MonkeyPatch) -> None:
    def digest(capture: Capture) -> str:
        annotations = capture.object("Deployment", "airflow-statsd-exporter")["spec"]["template"]["metadata"]["annotations"]
        return str(annotations["airflow.pulumi.io/statsd-mapping-digest"])

    monkeypatch.setattr(metrics_exporter, "HISTOGRAM_BUCKETS", [1, 10])
    assert digest(run_program(config_of(**EVERYTHING))) != digest(metrics_run)


def test_should_budget_the_exporters_disruptions(metrics_run: Capture) -> None:
    assert metrics_run.object("PodDisruptionBudget", "airflow-statsd-exporter")["spec"]["selector"] == {"matchLabels": SELECTOR}


# --- Airflow's environment -----------------------------------------------------------------------------------------


def airflow_envs(capture: Capture) -> dict[str, list[dict[str, Any]]]:
    """Every container that runs Airflow (its image) with its environment."""
    found = {}
    for registration in capture.kubernetes_objects():
        obj = registration.plain_inputs
        spec = obj.get("spec", {})
        if obj.get("kind") == "CronJob":
            spec = spec["jobTemplate"]["spec"]
        pod = spec.get("template", {}).get("spec", {})
        for container in pod.get("initContainers", []) + pod.get("containers", []):
            if container["image"].startswith("apache/airflow:3"):
                found[f"{obj['metadata']['name']}/{container['name']}"] = container.get("env", [])
    return found


def test_should_point_every_airflow_process_at_the_exporter(run: Run) -> None:
    envs = airflow_envs(run(**ON, metadataCleanup=True))
    assert {name.split("/")[0] for name in envs} >= {
        "airflow-api-server", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer", "airflow-worker",
        "airflow-metadata-cleanup",
    }  # fmt: skip
    checked = set()
    for name, env in envs.items():
        if any(e["name"].startswith("AIRFLOW__CORE__") for e in env):
            assert [e for e in env if e["name"].startswith("AIRFLOW__METRICS__")] == AIRFLOW_ENV, name
            checked.add(name)
    assert checked >= {
        "airflow-api-server/api-server", "airflow-scheduler/scheduler", "airflow-dag-processor/dag-processor",
        "airflow-triggerer/triggerer", "airflow-worker/worker", "airflow-metadata-cleanup/clean",
    }, checked  # fmt: skip
    assert any(name.startswith("airflow-db-migrate") for name in checked), checked


def test_should_send_no_statsd_without_metrics(default_run: Capture) -> None:
    for name, env in airflow_envs(default_run).items():
        assert [e for e in env if e["name"].startswith("AIRFLOW__METRICS__")] == [], name


OWNED = "is set by the stack: airflow:metricsEnabled (every process sends StatsD to the stack's exporter)"


@pytest.mark.parametrize(
    ("option", "value", "rule"),
    [
        ("statsd_on", False, OWNED),
        ("statsd_host", "statsd.acme-corp.io", OWNED),
        ("statsd_port", 8125, OWNED),
        ("statsd_prefix", "acme", OWNED + ", whose mapping expects `airflow`"),
        ("legacy_names_on", False, OWNED + ", whose mapping labels the names that carry dag_id, task_id, pool"),
    ],
)
def test_should_refuse_the_statsd_options_the_stack_sets_when_metrics_are_on(option: str, value: object, rule: str) -> None:
    config = config_of(**ON, airflowConfig=json.dumps({"metrics": {option: value}}))
    assert settings_problems(config) == [f"airflow:airflowConfig.metrics.{option} = {value!r}: {rule}"]


def test_should_let_the_team_send_statsd_elsewhere_when_metrics_are_off(run: Run) -> None:
    options = {"statsd_on": True, "statsd_host": "statsd.acme-corp.io", "statsd_port": 8125, "statsd_prefix": "acme"}
    envs = airflow_envs(run(airflowConfig=json.dumps({"metrics": options})))
    assert [e for e in envs["airflow-scheduler/scheduler"] if e["name"].startswith("AIRFLOW__METRICS__")] == [
        {"name": "AIRFLOW__METRICS__STATSD_HOST", "value": "statsd.acme-corp.io"},
        {"name": "AIRFLOW__METRICS__STATSD_ON", "value": "True"},
        {"name": "AIRFLOW__METRICS__STATSD_PORT", "value": "8125"},
        {"name": "AIRFLOW__METRICS__STATSD_PREFIX", "value": "acme"},
    ]


# --- the mapping ----------------------------------------------------------------------------------------------------


def exporter_reading(statsd: str) -> tuple[str, dict[str, str]] | None:
    """What the exporter makes of one StatsD name with the rendered mapping: (metric, labels), or None when dropped.
    Globs in their order, then regexes in theirs; an unmatched name keeps its own, dots and dashes made '_'."""
    mappings = yaml.safe_load(mapping_text())["mappings"]
    globs = [m for m in mappings if m.get("match_type") != "regex"]
    regexes = [m for m in mappings if m.get("match_type") == "regex"]
    parts = statsd.split(".")
    for mapping in globs:
        pattern = mapping["match"].split(".")
        if len(pattern) == len(parts) and all(p in ("*", part) for p, part in zip(pattern, parts, strict=True)):
            captures = [part for p, part in zip(pattern, parts, strict=True) if p == "*"]
            return reading(mapping, captures)
    for mapping in regexes:
        found = re.fullmatch(mapping["match"].removeprefix("^").removesuffix("$"), statsd)
        if found:
            return reading(mapping, list(found.groups()))
    return re.sub(r"[.-]", "_", statsd), {}


def reading(mapping: dict[str, Any], captures: list[str]) -> tuple[str, dict[str, str]] | None:
    if mapping.get("action") == "drop":
        return None

    def fill(template: str) -> str:
        return re.sub(r"\$(\d+)", lambda m: captures[int(m.group(1)) - 1], template)

    return mapping["name"], {label: fill(value) for label, value in mapping["labels"].items()}


# Names Airflow 3.3.2 sends, as its registry and call sites form them (legacy names with a DAG `hello`, its task
# `greet`, the default pool and the CeleryExecutor), and what each must become.
READINGS = [
    ("airflow.ti.finish.hello.greet.success", ("airflow_ti_finish", {"dag_id": "hello", "task_id": "greet", "state": "success"})),
    ("airflow.ti.finish", None),
    ("airflow.ti.start.hello.greet", ("airflow_ti_start", {"dag_id": "hello", "task_id": "greet"})),
    ("airflow.ti.start", None),
    ("airflow.ti.queued.default.hello.greet", ("airflow_ti_queued", {"queue": "default", "dag_id": "hello", "task_id": "greet"})),
    ("airflow.ti.queued", None),
    ("airflow.dag.hello.greet.duration", ("airflow_task_duration", {"dag_id": "hello", "task_id": "greet"})),
    ("airflow.task.duration", None),
    ("airflow.dag.hello.greet.queued_duration", ("airflow_task_queued_duration", {"dag_id": "hello", "task_id": "greet"})),
    ("airflow.operator_successes_PythonOperator", ("airflow_operator_successes", {"operator": "PythonOperator"})),
    ("airflow.operator_successes", None),
    (
        "airflow.operator_failures__PythonDecoratedOperator",
        ("airflow_operator_failures", {"operator": "_PythonDecoratedOperator"}),
    ),
    ("airflow.task_instance_created_PythonOperator", ("airflow_task_instance_created", {"task_type": "PythonOperator"})),
    ("airflow.dagrun.duration.success.hello", ("airflow_dagrun_duration", {"dag_id": "hello", "state": "success"})),
    ("airflow.dagrun.duration.failed.hello", ("airflow_dagrun_duration", {"dag_id": "hello", "state": "failed"})),
    ("airflow.dagrun.duration.failed", None),
    ("airflow.dagrun.schedule_delay.hello", ("airflow_dagrun_schedule_delay", {"dag_id": "hello"})),
    ("airflow.dagrun.hello.first_task_scheduling_delay", ("airflow_dagrun_first_task_scheduling_delay", {"dag_id": "hello"})),
    ("airflow.dagrun.dependency-check.hello", ("airflow_dagrun_dependency_check", {"dag_id": "hello"})),
    (
        "airflow.dag_processing.last_duration.dags-folder.hello",
        ("airflow_dag_processing_last_duration", {"bundle": "dags-folder", "file": "hello"}),
    ),
    ("airflow.dag_processing.last_duration", None),
    ("airflow.dag_processing.last_run.seconds_ago.hello", ("airflow_dag_processing_last_run_seconds_ago", {"file": "hello"})),
    ("airflow.executor.open_slots.CeleryExecutor", ("airflow_executor_open_slots", {"executor": "CeleryExecutor"})),
    ("airflow.executor.open_slots", None),
    ("airflow.executor.queued_tasks.CeleryExecutor", ("airflow_executor_queued_tasks", {"executor": "CeleryExecutor"})),
    ("airflow.executor.running_tasks.CeleryExecutor", ("airflow_executor_running_tasks", {"executor": "CeleryExecutor"})),
    ("airflow.pool.open_slots.default_pool", ("airflow_pool_open_slots", {"pool": "default_pool"})),
    ("airflow.pool.open_slots", None),
    ("airflow.pool.queued_slots.default_pool", ("airflow_pool_queued_slots", {"pool": "default_pool"})),
    ("airflow.pool.running_slots.default_pool", ("airflow_pool_running_slots", {"pool": "default_pool"})),
    ("airflow.pool.starving_tasks.default_pool", ("airflow_pool_starving_tasks", {"pool": "default_pool"})),
    ("airflow.triggers.running.triggerer-0", ("airflow_triggers_running", {"hostname": "triggerer-0"})),
    (
        "airflow.local_task_job.task_exit.42.hello.greet.0",
        ("airflow_local_task_job_task_exit", {"dag_id": "hello", "task_id": "greet", "return_code": "0"}),
    ),
    # No values in the name: kept as they are.
    ("airflow.scheduler_heartbeat", ("airflow_scheduler_heartbeat", {})),
    ("airflow.ti_successes", ("airflow_ti_successes", {})),
    ("airflow.ti_failures", ("airflow_ti_failures", {})),
    ("airflow.dag_processing.total_parse_time", ("airflow_dag_processing_total_parse_time", {})),
    ("airflow.dag_processing.import_errors", ("airflow_dag_processing_import_errors", {})),
    ("airflow.scheduler.tasks.starving", ("airflow_scheduler_tasks_starving", {})),
]  # fmt: skip


@pytest.mark.parametrize(("statsd", "expected"), READINGS, ids=[statsd for statsd, _ in READINGS])
def test_should_turn_airflows_statsd_names_into_labelled_metrics(statsd: str, expected: Any) -> None:
    assert exporter_reading(statsd) == expected


def test_should_label_the_value_that_ends_a_name_and_drop_the_bare_name() -> None:
    """The table's rules are built at import, before any test runs, so the readings above never call per_value while
    a test runs and mutmut would try none of its mutants against them: this one does call it."""
    assert metrics_exporter.per_value("pool.open_slots", "airflow_pool_open_slots", "pool") == metrics_exporter.Labelled(
        "pool.open_slots.*", "airflow_pool_open_slots", {"pool": "$1"}, bare=("pool.open_slots",)
    )


def test_should_write_the_mapping_in_the_order_it_is_read() -> None:
    """Each rule with its match first and its labels in the order of the name's parts, so that a reader of the
    ConfigMap finds a metric by the StatsD name it comes from."""
    text = mapping_text()
    assert text.startswith("defaults:\n  observer_type: histogram\n  histogram_options:\n    buckets:\n    - 0.1\n")
    assert "\n- match: airflow.ti.finish\n  action: drop\n  name: dropped\n" in text
    assert (
        "\n- match: airflow.ti.finish.*.*.*\n  name: airflow_ti_finish\n  labels:\n    dag_id: $1\n    task_id: $2\n"
        "    state: $3\n"
    ) in text


def test_should_undo_airflows_seconds_in_the_parse_timer_only() -> None:
    scaled = {m["name"]: m["scale"] for m in mapping_config()["mappings"] if "scale" in m}
    assert scaled == {"airflow_dag_processing_last_duration": 1000}


def test_should_list_every_drop_before_any_rule_that_begins_with_its_name() -> None:
    """The exporter's glob matcher never matches an exact name added after a longer rule beginning with it."""
    mappings = mapping_config()["mappings"]
    for index, mapping in enumerate(mappings):
        if mapping.get("action") == "drop":
            earlier = [m["match"] for m in mappings[:index] if m["match"].startswith(mapping["match"] + ".")]
            assert earlier == [], mapping["match"]


def test_should_make_timers_histograms_in_seconds() -> None:
    assert mapping_config()["defaults"] == {
        "observer_type": "histogram",
        "histogram_options": {"buckets": [0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600, 21600]},
    }


def test_should_give_every_labelled_metric_one_label_set() -> None:
    """The exporter serves a name under one set of label names: two rules of one name must agree."""
    label_sets: dict[str, set[frozenset[str]]] = {}
    for mapping in mapping_config()["mappings"]:
        if mapping.get("action") != "drop":
            label_sets.setdefault(mapping["name"], set()).add(frozenset(mapping["labels"]))
    assert {name: sets for name, sets in label_sets.items() if len(sets) > 1} == {}


# --- the dashboard --------------------------------------------------------------------------------------------------

# The worker count: kube-state-metrics', since the Celery workers report no count over StatsD.
KUBE_STATE_METRICS = {"kube_statefulset_status_replicas", "kube_statefulset_status_replicas_ready"}
# The timers among the dashboard's metrics, which the exporter serves as histograms (_bucket, _sum, _count).
TIMERS = {"airflow_dag_processing_last_duration", "airflow_dagrun_duration"}


def test_should_read_only_metrics_the_mapping_produces_or_kube_state_metrics_serves() -> None:
    produced = {expected[0] for _, expected in READINGS if expected is not None}
    dashboard = json.loads(metrics_exporter.DASHBOARD_FILE.read_text())
    unknown = set()
    for name in metric_names(dashboard) - KUBE_STATE_METRICS:
        base = re.sub(r"_(bucket|sum|count)$", "", name)
        if name not in produced and not (base in TIMERS and base in produced):
            unknown.add(name)
    assert unknown == set()
    assert metric_names(dashboard) & KUBE_STATE_METRICS == KUBE_STATE_METRICS


def test_should_say_where_the_worker_count_comes_from() -> None:
    dashboard = json.loads(metrics_exporter.DASHBOARD_FILE.read_text())
    (workers,) = [p for p in dashboard["panels"] if "kube_statefulset_status_replicas" in json.dumps(p["targets"])]
    assert "kube-state-metrics" in workers["description"]
    assert [t["expr"] for t in workers["targets"]] == [
        'kube_statefulset_status_replicas{namespace="$namespace", statefulset="airflow-worker"}',
        'kube_statefulset_status_replicas_ready{namespace="$namespace", statefulset="airflow-worker"}',
    ]


def test_should_find_the_metric_names_in_promql() -> None:
    assert metric_names_of('sum by (pool) (rate(airflow_pool_open_slots{pool="x"}[5m])) * 60 / on (job) b_total + 1e3') == {
        "airflow_pool_open_slots",
        "b_total",
    }
    assert metric_names_of('label_values(kube_pod_info{namespace="a"}, pod)') == {"kube_pod_info"}


# --- the NetworkPolicies --------------------------------------------------------------------------------------------

EXPORTER = Endpoint("statsd-exporter", "airflow", LABELS)
PROMETHEUS = Endpoint("prometheus", "monitoring", {"app.kubernetes.io/name": "prometheus"})
AIRFLOW_PODS = ["api-server", "scheduler", "dag-processor", "triggerer", "worker", "migrations", "metadata-cleanup"]


def test_should_let_only_statsd_in_and_only_the_scraper_read_the_exporter(metrics_run: Capture) -> None:
    cluster = cluster_of(metrics_run)
    assert cluster.policy("airflow-statsd-exporter") == {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {
            "labels": {**LABELS, "app.kubernetes.io/component": "network-policy"},
            "name": "airflow-statsd-exporter",
            "namespace": "airflow",
        },
        "spec": {
            "egress": [],
            "ingress": [
                {
                    "from": [
                        {
                            "podSelector": {
                                "matchExpressions": [
                                    {"key": "app.kubernetes.io/component", "operator": "In", "values": sorted(AIRFLOW_PODS)}
                                ],
                                "matchLabels": {"app.kubernetes.io/name": "airflow"},
                            }
                        }
                    ],
                    "ports": [{"port": 9125, "protocol": "UDP"}],
                },
                {
                    "from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}],
                    "ports": [{"port": 9102, "protocol": "TCP"}],
                },
            ],
            "podSelector": {"matchLabels": SELECTOR},
            "policyTypes": ["Ingress", "Egress"],
        },
    }


def test_should_let_every_airflow_pod_send_statsd_over_udp_only(run: Run) -> None:
    cluster = cluster_of(run(**ON, metadataCleanup=True))
    assert set(AIRFLOW_PODS) <= set(cluster.pods)
    for component in AIRFLOW_PODS:
        pod = cluster.pod(component)
        assert allows(cluster.policies, pod, EXPORTER, 9125, "UDP"), component
        assert not allows(cluster.policies, pod, EXPORTER, 9125, "TCP"), component
        assert not allows(cluster.policies, pod, EXPORTER, 9102, "TCP"), component
    for other in ("postgresql", "redis"):
        assert not allows(cluster.policies, cluster.pod(other), EXPORTER, 9125, "UDP"), other


def test_should_let_the_scraper_namespace_alone_read_the_metrics(metrics_run: Capture, run: Run) -> None:
    cluster = cluster_of(metrics_run)
    assert allows(cluster.policies, PROMETHEUS, EXPORTER, 9102)
    assert not allows(cluster.policies, PROMETHEUS, EXPORTER, 9125, "UDP")
    assert not allows(cluster.policies, STRANGER, EXPORTER, 9102)
    for component, pod in cluster.pods.items():
        for port in (5432, 6379, 8080, 8793, 8794, 9102):
            expected = component == EXPORTER.name and port == 9102
            assert allows(cluster.policies, PROMETHEUS, pod, port) == expected, (component, port)
    elsewhere = cluster_of(run(**ON, metricsScraperNamespace="observability"))
    assert not allows(elsewhere.policies, PROMETHEUS, EXPORTER, 9102)
    assert allows(elsewhere.policies, Endpoint("prometheus", "observability", {}), EXPORTER, 9102)


def test_should_let_the_exporter_reach_nothing_but_dns(metrics_run: Capture) -> None:
    cluster = cluster_of(metrics_run)
    for protocol in ("UDP", "TCP"):
        assert allows(cluster.policies, EXPORTER, KUBE_DNS, 53, protocol)
    for port in (53, 80, 443, 5432, 6379, 8080, 9102):
        assert not allows(cluster.policies, EXPORTER, INTERNET, port), port
        for component, pod in cluster.pods.items():
            assert not allows(cluster.policies, EXPORTER, pod, port), (component, port)


# --- ingress-nginx's own metrics ------------------------------------------------------------------------------------


def controller_args(**values: Any) -> IngressControllerArgs:
    return IngressControllerArgs(InstallMode.INSTALL, "nginx", "ingress", ServiceType.LOAD_BALANCER, "", **values)


def test_should_leave_the_controllers_metrics_off_by_default() -> None:
    assert metrics_values(controller_args()) == {"enabled": False}


def test_should_annotate_the_controllers_metrics_service_without_a_service_monitor() -> None:
    assert metrics_values(controller_args(metrics=True)) == {
        "enabled": True,
        "service": {"annotations": {"prometheus.io/scrape": "true", "prometheus.io/port": "10254"}},
    }


def test_should_give_the_controllers_metrics_a_labelled_service_monitor(metrics_run: Capture) -> None:
    values = metrics_run.one("kubernetes:helm.sh/v3:Release", "ingress-controller-release").plain_inputs["values"]
    assert values["controller"]["metrics"] == {
        "enabled": True,
        "serviceMonitor": {"enabled": True, "additionalLabels": {"release": "kube-prometheus-stack", "team": "data"}},
    }


EXISTING_EDGE = {"ingressMode": "existing", "ingressExistingService": "edge/nginx", "domain": "a.acme-corp.io"}


# --- settings -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "problem"),
    [
        ({"metricsEnabled": "yes"}, "airflow:metricsEnabled = 'yes': must be true or false"),
        (
            {"metricsExporterImage": "prom/statsd-exporter"},
            "airflow:metricsExporterImage = 'prom/statsd-exporter'"
            ": must be a pinned image reference",
        ),
        (
            {"metricsExporterCpuRequest": "0"},
            "airflow:metricsExporterCpuRequest = '0'"
            ": must be a positive Kubernetes CPU quantity",
        ),
        (
            {"metricsExporterMemoryLimit": "256MB"},
            "airflow:metricsExporterMemoryLimit = '256MB'"
            ": must be a positive Kubernetes quantity such as 512Mi or 2Gi (did you mean '256Mi'?)",
        ),
        (
            {"metricsExporterMemoryRequest": "1Gi"},
            "airflow:metricsExporterMemoryRequest = '1Gi'"
            ": must not exceed airflow:metricsExporterMemoryLimit ('256Mi')",
        ),
        ({**ON, "metricsServiceMonitor": "on"}, "airflow:metricsServiceMonitor = 'on': must be true or false"),
        (
            {**ON, "metricsServiceMonitor": True, "metricsServiceMonitorLabels": "release"},
            "airflow:metricsServiceMonitorLabels = 'release'"
            ": must be comma-separated key=value labels",
        ),
        ({"metricsScraperNamespace": "Monitoring"}, "airflow:metricsScraperNamespace = 'Monitoring': must be a DNS-1123 label"),
        ({**ON, "metricsGrafanaDashboard": "1"}, "airflow:metricsGrafanaDashboard = '1': must be true or false"),
        (
            {"metricsGrafanaDashboardLabel": "a=1,b=2"},
            "airflow:metricsGrafanaDashboardLabel = 'a=1,b=2'"
            ": must be exactly one key=value label, such as grafana_dashboard=1",
        ),
        (
            {"metricsGrafanaDashboardLabel": "grafana dashboard=1"},
            "airflow:metricsGrafanaDashboardLabel = 'grafana dashboard=1'"
            ": must be comma-separated key=value labels",
        ),
        ({"ingressMetrics": "sometimes"}, "airflow:ingressMetrics = 'sometimes': must be true or false"),
        (
            {"metricsGrafanaDashboardLabel": "app.kubernetes.io/part-of=grafana"},
            "airflow:metricsGrafanaDashboardLabel = 'app.kubernetes.io/part-of=grafana'"
            ": 'app.kubernetes.io/part-of' is set by the stack and cannot be overridden",
        ),
        (
            {**ON, "metricsServiceMonitor": True, "metricsServiceMonitorLabels": "release=kps,app.kubernetes.io/name=x"},
            "airflow:metricsServiceMonitorLabels = 'release=kps,app.kubernetes.io/name=x'"
            ": 'app.kubernetes.io/name' is set by the stack and cannot be overridden",
        ),
    ],
)  # fmt: skip
def test_should_refuse_a_bad_metrics_setting_naming_key_value_and_rule(values: dict[str, Any], problem: str) -> None:
    (found,) = settings_problems(config_of(**values))
    assert found.startswith(problem), found


@pytest.mark.parametrize(
    ("values", "problem"),
    [
        (
            {"metricsServiceMonitor": True},
            "airflow:metricsServiceMonitor = 'true': needs the exporter, and airflow:metricsEnabled is false: turn it on, "
            "or this off",
        ),
        (
            {"metricsGrafanaDashboard": True},
            "airflow:metricsGrafanaDashboard = 'true': needs the exporter's metrics, and airflow:metricsEnabled is false: "
            "turn it on, or this off",
        ),
        (
            {**ON, "metricsServiceMonitorLabels": "release=kube-prometheus-stack, team=data"},
            "airflow:metricsServiceMonitorLabels = 'release=kube-prometheus-stack,team=data': labels ServiceMonitors, "
            "and airflow:metricsServiceMonitor is false: turn it on, or remove these",
        ),
        (
            {**EXISTING_EDGE, "ingressMetrics": True},
            "airflow:ingressMetrics = 'true': configures the ingress-nginx this stack installs, and airflow:ingressMode is "
            "existing: turn that controller's metrics on where it is installed, and this off",
        ),
    ],
)
def test_should_refuse_a_combination_that_cannot_work(values: dict[str, Any], problem: str) -> None:
    assert settings_problems(config_of(**values)) == [problem]


def test_should_pin_the_exporter_the_smoke_tier_builds() -> None:
    cache = (metrics_exporter.DASHBOARD_FILE.parents[2] / "smoke" / "cache.sh").read_text()
    (version,) = re.findall(r"^STATSD_EXPORTER_VERSION=(\S+)$", cache, re.M)
    assert config_schema()["metricsExporterImage"]["default"] == f"prom/statsd-exporter:{version}"
    assert version == "v0.31.0"


def test_should_validate_the_service_monitor_against_the_prometheus_operators_crd(metrics_run: Capture) -> None:
    monitor = metrics_run.object("ServiceMonitor", "airflow-statsd-exporter")
    assert validate_object(monitor, "1.37") == []
    monitor["spec"]["endpoints"][0]["intervall"] = "30s"
    monitor["spec"]["endpoints"][0]["port"] = 9102
    found = validate_object(monitor, "1.37")
    assert [(p.path, p.message) for p in found] == [
        ("spec.endpoints[0].intervall", "unknown field"),
        ("spec.endpoints[0].port", "9102 is not of type 'string'"),
    ]
    assert {p.schema for p in found} == {"prometheus-operator-v0.85.0 CRD"}
