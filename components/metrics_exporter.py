"""MetricsExporter: Airflow's StatsD metrics, labelled, for Prometheus.

Owns the `airflow-statsd-exporter` Deployment (the Prometheus statsd-exporter), its ServiceAccount, the ConfigMap
holding its mapping, its Service (StatsD in on UDP 9125, Prometheus's scrape on TCP 9102, with the
`prometheus.io/*` annotations), and, when asked for, a Prometheus Operator ServiceMonitor for that Service and a
ConfigMap holding the Grafana dashboard (components/dashboards/airflow.json). It gives the Airflow processes the
environment that points their StatsD client at the Service. It leaves out the Prometheus and Grafana themselves (the
cluster's), the NetworkPolicies (NetworkPolicies: every Airflow pod may send to the exporter, only the scraper's
namespace may read it) and ingress-nginx's own metrics (IngressController).

Why StatsD and not OpenTelemetry: Airflow 3.3 emits one set of metrics through either, and its StatsD side is the
one its Helm chart, its metrics documentation and the dashboards written for Airflow are built on. The official image
installs the `statsd` client (its `statsd` extra; the smoke tier installs the same extra). The legacy StatsD names
carry the DAG, task, pool and executor in the name itself (`ti.finish.<dag_id>.<task_id>.<state>`), which this
exporter's mapping turns into labels, so nothing else runs between Airflow and Prometheus. OpenTelemetry would push
OTLP to a collector that the stack would have to run too, and the Prometheus names then come out of the collector's
translation (suffixes, units, its attribute handling), not the names Airflow documents.

Why statsd-exporter v0.31.0: the newest release the Go module proxy serves (github.com/prometheus/statsd_exporter),
and so the one the smoke tier builds from source and runs with this very mapping (smoke/test_metrics.py); the image
of the same tag runs as uid 65534 with the exporter as its entrypoint.

The mapping (`mapping_config`): each Airflow metric whose legacy name holds values becomes one Prometheus metric with
those values as labels (`airflow.pool.open_slots.default_pool` becomes
`airflow_pool_open_slots{pool="default_pool"}`). Airflow 3.3 also sends each of them under its bare name without the
values (`airflow.pool.open_slots`; its tags travel only in the InfluxDB or DogStatsD dialects), which would add an
unlabelled series to the same metric and double every sum: those bare twins are dropped (and listed first, see
`mapping_config`). Names without values (`airflow.scheduler_heartbeat`) pass as they are, dots turned into underscores
(`airflow_scheduler_heartbeat`). Timers become histograms in seconds.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import yaml

from components import kube
from components.settings import MetricsSettings

COMPONENT = "statsd-exporter"
OBJECT_NAME = "airflow-statsd-exporter"
DASHBOARD_NAME = "airflow-grafana-dashboard"
STATSD_PORT = 9125
METRICS_PORT = 9102
METRICS_PATH = "/metrics"
# The prefix of every name Airflow sends (its default too), which the mapping's matches begin with.
STATSD_PREFIX = "airflow"
# `nobody`, the image's own user: the exporter writes nothing and reads its mapping through the pod's fsGroup.
EXPORTER_UID = 65534
CONFIG_DIR = "/etc/statsd-exporter"
MAPPING_FILE = "mapping.yml"
CONFIG_DIGEST_ANNOTATION = "airflow.pulumi.io/statsd-mapping-digest"
DASHBOARD_FILE = Path(__file__).resolve().parent / "dashboards" / "airflow.json"
DASHBOARD_KEY = "airflow.json"
SERVICE_MONITOR_INTERVAL = "30s"
# Seconds: from a quick DAG file parse to a long DAG run. Few, since every task has three timers (docs/metrics.md#cost).
HISTOGRAM_BUCKETS = [0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600, 21600]


@dataclass(frozen=True)
class Labelled:
    """An Airflow metric whose legacy StatsD name holds values, and the labelled Prometheus metric it becomes."""

    match: str
    """The name after the prefix, `*` for each value (a glob); or a regular expression with `regex`."""
    name: str
    labels: dict[str, str]
    """Prometheus label to the value that fills it: `$n`, the n-th `*` (or group), or a constant."""
    bare: tuple[str, ...] = ()
    """The same measurement under Airflow's name without values, which is dropped."""
    regex: bool = False
    scale: float | None = None
    """A factor for a value sent in another unit than StatsD's."""


def per_value(statsd: str, name: str, label: str) -> Labelled:
    """`<statsd>.<value>`: one value at the end of the name."""
    return Labelled(f"{statsd}.*", name, {label: "$1"}, bare=(statsd,))


TASK = {"dag_id": "$1", "task_id": "$2"}
TASK_IN_QUEUE = {"queue": "$1", "dag_id": "$2", "task_id": "$3"}
LABELLED: tuple[Labelled, ...] = (
    # Task instances: run on the workers (start, finish) and counted by the scheduler (per state, per queue).
    Labelled("ti.finish.*.*.*", "airflow_ti_finish", {**TASK, "state": "$3"}, bare=("ti.finish",)),
    Labelled("ti.start.*.*", "airflow_ti_start", TASK, bare=("ti.start",)),
    *(
        Labelled(f"ti.{state}.*.*.*", f"airflow_ti_{state}", TASK_IN_QUEUE, bare=(f"ti.{state}",))
        for state in ("scheduled", "queued", "running", "deferred")
    ),
    *(
        Labelled(f"dag.*.*.{timer}", f"airflow_task_{timer}", TASK, bare=(f"task.{timer}",))
        for timer in ("duration", "scheduled_duration", "queued_duration")
    ),
    # The job id would make a series per task try: left out.
    Labelled(
        "local_task_job.task_exit.*.*.*.*",
        "airflow_local_task_job_task_exit",
        {"dag_id": "$2", "task_id": "$3", "return_code": "$4"},
        bare=("local_task_job.task_exit",),
    ),
    # Names with the value glued on by '_', which a glob cannot split.
    *(
        Labelled(rf"{counter}_(.+)", f"airflow_{counter}", {label: "$1"}, bare=(counter,), regex=True)
        for counter, label in (
            ("operator_successes", "operator"),
            ("operator_failures", "operator"),
            ("task_instance_created", "task_type"),
        )
    ),
    per_value("task_removed_from_dag", "airflow_task_removed_from_dag", "dag_id"),
    per_value("task_restored_to_dag", "airflow_task_restored_to_dag", "dag_id"),
    # DAG runs, timed by the scheduler.
    *(
        Labelled(
            f"dagrun.duration.{state}.*",
            "airflow_dagrun_duration",
            {"dag_id": "$1", "state": state},
            bare=(f"dagrun.duration.{state}",),
        )
        for state in ("success", "failed")
    ),
    per_value("dagrun.schedule_delay", "airflow_dagrun_schedule_delay", "dag_id"),
    per_value("dagrun.dependency-check", "airflow_dagrun_dependency_check", "dag_id"),
    Labelled(
        "dagrun.*.first_task_scheduling_delay",
        "airflow_dagrun_first_task_scheduling_delay",
        {"dag_id": "$1"},
        bare=("dagrun.first_task_scheduling_delay",),
    ),
    # DAG files, by the dag-processor. Airflow 3.3 times a parse in seconds where StatsD means milliseconds (the
    # exporter divides by 1000): `scale` undoes that, so the histogram is in seconds like the others.
    Labelled(
        "dag_processing.last_duration.*.*",
        "airflow_dag_processing_last_duration",
        {"bundle": "$1", "file": "$2"},
        bare=("dag_processing.last_duration",),
        scale=1000,
    ),
    per_value("dag_processing.last_run.seconds_ago", "airflow_dag_processing_last_run_seconds_ago", "file"),
    Labelled("dag_processing.last_num_of_db_queries.*", "airflow_dag_processing_last_num_of_db_queries", {"file": "$1"}),
    # The executor's slots and the pools', by the scheduler.
    *(
        per_value(f"executor.{gauge}", f"airflow_executor_{gauge}", "executor")
        for gauge in ("open_slots", "queued_tasks", "running_tasks")
    ),
    *(
        per_value(f"pool.{gauge}", f"airflow_pool_{gauge}", "pool")
        for gauge in ("open_slots", "queued_slots", "running_slots", "deferred_slots", "scheduled_slots", "starving_tasks")
    ),
    # Triggers, by each triggerer.
    per_value("triggers.running", "airflow_triggers_running", "hostname"),
    per_value("triggerer.capacity_left", "airflow_triggerer_capacity_left", "hostname"),
)


def statsd_name(name: str) -> str:
    return f"{STATSD_PREFIX}.{name}"


def mapping_entry(rule: Labelled) -> dict[str, Any]:
    if rule.regex:
        entry: dict[str, Any] = {"match": rf"^{STATSD_PREFIX}\.{rule.match}$", "match_type": "regex"}
    else:
        entry = {"match": statsd_name(rule.match)}
    entry.update({"name": rule.name, "labels": dict(rule.labels)})
    if rule.scale is not None:
        entry["scale"] = rule.scale
    return entry


def mapping_config() -> dict[str, Any]:
    """The exporter's mapping: the drop of every bare twin, then every labelled metric.

    The drops come first on purpose: the exporter's glob matcher (v0.31.0, pkg/mapper/fsm) gives a rule its result
    only when the rule's last name part creates a new state, so an exact name listed after a longer rule that begins
    with it (`airflow.ti.finish` after `airflow.ti.finish.*.*.*`) would never match."""
    drops = [
        {"match": statsd_name(bare), "action": "drop", "name": "dropped"} for rule in LABELLED for bare in rule.bare
    ]
    return {
        "defaults": {"observer_type": "histogram", "histogram_options": {"buckets": HISTOGRAM_BUCKETS}},
        "mappings": drops + [mapping_entry(rule) for rule in LABELLED],
    }


def mapping_text() -> str:
    return yaml.safe_dump(mapping_config(), sort_keys=False, width=1000)


def dashboard_text() -> str:
    """The dashboard as the repository holds it, checked to be JSON."""
    text = DASHBOARD_FILE.read_text()
    json.loads(text)
    return text


def exporter_args() -> list[str]:
    return [
        f"--statsd.mapping-config={CONFIG_DIR}/{MAPPING_FILE}",
        f"--statsd.listen-udp=:{STATSD_PORT}",
        # Airflow's client sends UDP only: no TCP listener to open or to guard.
        "--statsd.listen-tcp=",
        f"--web.listen-address=:{METRICS_PORT}",
        f"--web.telemetry-path={METRICS_PATH}",
    ]


# The Service, not the pod, carries these: Prometheus's usual annotation-driven job reads them from Services
# (kubernetes-service-endpoints); with them on the pod as well, a Prometheus that also runs the pods' job would
# scrape the exporter twice and double every sum.
SCRAPE_ANNOTATIONS = {"prometheus.io/scrape": "true", "prometheus.io/port": str(METRICS_PORT), "prometheus.io/path": METRICS_PATH}


@dataclass(frozen=True)
class MetricsExporterArgs:
    """Inputs of the exporter."""

    namespace: pulumi.Input[str]
    """Namespace of the exporter (Airflow's)."""
    settings: MetricsSettings
    """Image, resources, ServiceMonitor, dashboard."""
    image_pull_policy: str
    """Pull policy of the container."""
    dashboard: str = field(default_factory=dashboard_text)
    """The Grafana dashboard's JSON."""


class MetricsExporter(pulumi.ComponentResource):
    """The statsd-exporter, its mapping and Service; a ServiceMonitor and the dashboard when asked for."""

    statsd_host: pulumi.Output[str]
    """The Service's name in the cluster's DNS, where Airflow sends StatsD."""
    statsd_port: int
    airflow_env: list[k8s.core.v1.EnvVarArgs]
    """For every Airflow process: StatsD on, to the exporter, with the prefix the mapping expects."""
    component: str
    """The component label of its pods (for the disruption budgets and NetworkPolicies)."""
    metrics_port: int
    """Where Prometheus scrapes it (for the NetworkPolicies)."""

    def __init__(self, name: str, args: MetricsExporterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("airflow:index:MetricsExporter", name, None, opts)
        settings = args.settings
        child = pulumi.ResourceOptions(parent=self)
        mapping = mapping_text()
        config = k8s.core.v1.ConfigMap(
            f"{name}-mapping",
            metadata=kube.object_meta(OBJECT_NAME, args.namespace, COMPONENT),
            data={MAPPING_FILE: mapping},
            opts=child,
        )
        service = k8s.core.v1.Service(
            f"{name}-service",
            metadata=kube.object_meta(OBJECT_NAME, args.namespace, COMPONENT, annotations=SCRAPE_ANNOTATIONS),
            spec=k8s.core.v1.ServiceSpecArgs(
                selector=kube.selector_labels(COMPONENT),
                ports=[
                    k8s.core.v1.ServicePortArgs(name="statsd", port=STATSD_PORT, target_port="statsd", protocol="UDP"),
                    k8s.core.v1.ServicePortArgs(name="metrics", port=METRICS_PORT, target_port="metrics", protocol="TCP"),
                ],
            ),
            opts=child,
        )
        service_account = kube.service_account(f"{name}-sa", OBJECT_NAME, args.namespace, COMPONENT, self)

        def http_probe(path: str, period: int, failures: int) -> k8s.core.v1.ProbeArgs:
            return k8s.core.v1.ProbeArgs(
                http_get=k8s.core.v1.HTTPGetActionArgs(path=path, port="metrics"),
                period_seconds=period,
                timeout_seconds=5,
                failure_threshold=failures,
            )

        k8s.apps.v1.Deployment(
            f"{name}-deployment",
            metadata=kube.object_meta(
                OBJECT_NAME,
                args.namespace,
                COMPONENT,
                annotations=kube.checkov_skips(kube.IMAGE_BY_TAG, kube.PULL_POLICY_SETTING),
            ),
            spec=k8s.apps.v1.DeploymentSpecArgs(
                # One: each Airflow process sends to the Service, so a second pod would split every counter in two.
                replicas=1,
                selector=k8s.meta.v1.LabelSelectorArgs(match_labels=kube.selector_labels(COMPONENT)),
                template=k8s.core.v1.PodTemplateSpecArgs(
                    metadata=k8s.meta.v1.ObjectMetaArgs(
                        labels=kube.labels(COMPONENT),
                        # The mapping is read at start: a changed one restarts the pod.
                        annotations={CONFIG_DIGEST_ANNOTATION: hashlib.sha256(mapping.encode()).hexdigest()},
                    ),
                    spec=k8s.core.v1.PodSpecArgs(
                        service_account_name=service_account.metadata.name,
                        automount_service_account_token=False,
                        enable_service_links=False,
                        security_context=kube.pod_security(EXPORTER_UID, EXPORTER_UID, fs_group=EXPORTER_UID),
                        containers=[
                            k8s.core.v1.ContainerArgs(
                                name="statsd-exporter",
                                image=settings.image,
                                image_pull_policy=args.image_pull_policy,
                                args=exporter_args(),
                                ports=[
                                    k8s.core.v1.ContainerPortArgs(name="statsd", container_port=STATSD_PORT, protocol="UDP"),
                                    k8s.core.v1.ContainerPortArgs(name="metrics", container_port=METRICS_PORT, protocol="TCP"),
                                ],
                                security_context=kube.container_security(),
                                resources=kube.resource_requirements(settings.resources),
                                readiness_probe=http_probe("/-/ready", period=10, failures=3),
                                liveness_probe=http_probe("/-/healthy", period=20, failures=6),
                                volume_mounts=[
                                    k8s.core.v1.VolumeMountArgs(name="mapping", mount_path=CONFIG_DIR, read_only=True)
                                ],
                            )
                        ],
                        volumes=[
                            k8s.core.v1.VolumeArgs(
                                name="mapping",
                                config_map=k8s.core.v1.ConfigMapVolumeSourceArgs(name=config.metadata.name, default_mode=0o440),
                            )
                        ],
                    ),
                ),
            ),
            opts=child,
        )
        if settings.service_monitor:
            k8s.apiextensions.CustomResource(
                f"{name}-service-monitor",
                api_version="monitoring.coreos.com/v1",
                kind="ServiceMonitor",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=OBJECT_NAME,
                    namespace=args.namespace,
                    labels={**settings.service_monitor_labels, **kube.labels(COMPONENT)},
                ),
                spec={
                    "selector": {"matchLabels": kube.selector_labels(COMPONENT)},
                    "endpoints": [{"port": "metrics", "path": METRICS_PATH, "interval": SERVICE_MONITOR_INTERVAL}],
                },
                opts=child,
            )
        if settings.grafana_dashboard:
            k8s.core.v1.ConfigMap(
                f"{name}-dashboard",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=DASHBOARD_NAME,
                    namespace=args.namespace,
                    labels={**settings.grafana_dashboard_label, **kube.labels(COMPONENT)},
                ),
                data={DASHBOARD_KEY: args.dashboard},
                opts=child,
            )

        self.statsd_host = pulumi.Output.concat(service.metadata.name, ".", service.metadata.namespace, ".svc")
        self.statsd_port = STATSD_PORT
        self.airflow_env = [
            k8s.core.v1.EnvVarArgs(name="AIRFLOW__METRICS__STATSD_ON", value="True"),
            k8s.core.v1.EnvVarArgs(name="AIRFLOW__METRICS__STATSD_HOST", value=self.statsd_host),
            k8s.core.v1.EnvVarArgs(name="AIRFLOW__METRICS__STATSD_PORT", value=str(STATSD_PORT)),
            k8s.core.v1.EnvVarArgs(name="AIRFLOW__METRICS__STATSD_PREFIX", value=STATSD_PREFIX),
            # Airflow's default, stated: the mapping reads the values out of the legacy names.
            k8s.core.v1.EnvVarArgs(name="AIRFLOW__METRICS__LEGACY_NAMES_ON", value="True"),
        ]
        self.component = COMPONENT
        self.metrics_port = METRICS_PORT
        self.register_outputs({"statsd_host": self.statsd_host})
