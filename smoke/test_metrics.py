"""The smoke tier's metrics: the real statsd-exporter, with the rendered mapping, fed by the real Airflow.

The program is rendered with `metricsEnabled=true` (this module's own PostgreSQL and Redis, through test_smoke.py's
fixtures). The statsd-exporter v0.31.0, built from the Go module proxy by smoke/setup.sh (the release of the image the
stack deploys), runs the rendered container's arguments with the rendered ConfigMap's mapping as its mapping file.
The api-server, dag-processor, scheduler and a Celery worker run with their containers' environments, which point
their StatsD client at the exporter; a DAG with a task that succeeds and one that fails is triggered through the REST
API. Then the exporter's /metrics must hold every metric the Grafana dashboard (components/dashboards/airflow.json)
reads, but kube-state-metrics' worker count, each with exactly the labels the mapping gives it, and no unlabelled twin.

Translated beyond test_task_run.py's translations, as the pod's own network would differ from this machine's: the
exporter listens on 127.0.0.1 at free ports instead of every address at 9125 (UDP) and 9102, its mapping file is a
temporary copy of the ConfigMap's key, and `AIRFLOW__METRICS__STATSD_HOST`/`_PORT` (the Service's name and 9125)
become that address.
"""

# The fixtures imported from test_smoke.py are parameters of this module's fixtures and tests by design.
# ruff: noqa: F811

from __future__ import annotations

import importlib.util
import json
import re
import socket
import subprocess
import textwrap
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from test_smoke import (  # noqa: F401  (fixtures: pytest finds them by name in this module)
    REPO,
    SMOKE_CACHE,
    Database,
    Rendered,
    api_port,
    broker,
    containers,
    database,
    free_port,
    get,
    log_tail,
    migrations,
    pytestmark,
    render,
    wait_for_port,
)
from test_task_run import Cluster, airflow_processes, signed_in, start, stop_all, wait_for

EXPORTER = SMOKE_CACHE / "bin" / "statsd_exporter"
EXPORTER_POD = ("Deployment", "airflow-statsd-exporter")
SERVICE_HOST = "airflow-statsd-exporter.airflow.svc"
DASHBOARD = REPO / "components" / "dashboards" / "airflow.json"
DAG_ID = "smoke_metrics"
DAG_FILE = "smoke_metrics"  # the file's stem, which Airflow puts in the parse metrics' names
DAG_SOURCE = f'''
import pendulum
from airflow.sdk import dag, task


@dag(dag_id="{DAG_ID}", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), catchup=False)
def smoke_metrics():
    @task(task_id="succeeds")
    def succeeds():
        return 1

    @task(task_id="fails", retries=0)
    def fails():
        raise RuntimeError("smoke: failing on purpose")

    succeeds()
    fails()


smoke_metrics()
'''
RUN_TIMEOUT = 240
METRICS_TIMEOUT = 90
OPERATOR = "_PythonDecoratedOperator"  # the class of a @task, as Airflow names it in operator_successes_<class>
# What each metric of the dashboard must carry once the DAG has run, written out here rather than taken from the
# mapping: (metric, its label names, label values that a series must have). A histogram's _bucket adds `le`.
EXPECTED: dict[str, tuple[frozenset[str], list[dict[str, str]]]] = {
    "airflow_scheduler_heartbeat": (frozenset(), [{}]),
    "airflow_dag_processing_last_duration_sum": (frozenset({"bundle", "file"}), [{"bundle": "dags-folder", "file": DAG_FILE}]),
    "airflow_dag_processing_last_duration_count": (frozenset({"bundle", "file"}), [{"bundle": "dags-folder", "file": DAG_FILE}]),
    "airflow_dag_processing_total_parse_time": (frozenset(), [{}]),
    "airflow_dag_processing_import_errors": (frozenset(), [{}]),
    "airflow_ti_successes": (frozenset(), [{}]),
    "airflow_ti_failures": (frozenset(), [{}]),
    "airflow_ti_finish": (
        frozenset({"dag_id", "task_id", "state"}),
        [
            {"dag_id": DAG_ID, "task_id": "succeeds", "state": "success"},
            {"dag_id": DAG_ID, "task_id": "fails", "state": "failed"},
        ],
    ),
    "airflow_executor_open_slots": (frozenset({"executor"}), [{"executor": "CeleryExecutor"}]),
    "airflow_executor_queued_tasks": (frozenset({"executor"}), [{"executor": "CeleryExecutor"}]),
    "airflow_executor_running_tasks": (frozenset({"executor"}), [{"executor": "CeleryExecutor"}]),
    "airflow_pool_open_slots": (frozenset({"pool"}), [{"pool": "default_pool"}]),
    "airflow_pool_queued_slots": (frozenset({"pool"}), [{"pool": "default_pool"}]),
    "airflow_pool_running_slots": (frozenset({"pool"}), [{"pool": "default_pool"}]),
    "airflow_dagrun_duration_sum": (frozenset({"dag_id", "state"}), [{"dag_id": DAG_ID, "state": "failed"}]),
    "airflow_dagrun_duration_count": (frozenset({"dag_id", "state"}), [{"dag_id": DAG_ID, "state": "failed"}]),
    "airflow_operator_successes": (frozenset({"operator"}), [{"operator": OPERATOR}]),
    "airflow_operator_failures": (frozenset({"operator"}), [{"operator": OPERATOR}]),
}
# The worker count is kube-state-metrics', which no StatsD metric gives.
KUBE_STATE_METRICS = {"kube_statefulset_status_replicas", "kube_statefulset_status_replicas_ready"}
SAMPLE = re.compile(r'^([A-Za-z_:][A-Za-z0-9_:]*)(?:\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"')


def dashboard_metric_names() -> set[str]:
    """tools/dashboard.py, loaded by path: this tier's virtualenv has none of the project's packages."""
    spec = importlib.util.spec_from_file_location("dashboard_names", REPO / "tools" / "dashboard.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    names: set[str] = module.metric_names(json.loads(DASHBOARD.read_text()))
    return names


@dataclass(frozen=True)
class Sample:
    name: str
    labels: dict[str, str]
    value: float


def parse_exposition(text: str) -> list[Sample]:
    samples = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        match = SAMPLE.match(line)
        assert match, f"a line of /metrics this parser does not read: {line!r}"
        labels = dict(LABEL.findall(match.group(2) or ""))
        samples.append(Sample(match.group(1), labels, float(match.group(3))))
    return samples


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def rendered(database: Database, broker: str) -> Rendered:
    """This module's render, which replaces test_smoke's: metrics on."""
    return render(database, broker, "metricsEnabled=true")


@dataclass(frozen=True)
class Exporter:
    statsd_port: int
    url: str
    log: Path
    container: dict[str, Any]


@pytest.fixture(scope="module")
def exporter(rendered: Rendered, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Exporter]:
    """The real exporter with the rendered arguments; only the listen addresses and the mapping file's path change."""
    if not EXPORTER.exists():
        pytest.fail(f"{EXPORTER} is missing: smoke/setup.sh builds it")
    container = rendered.container(*EXPORTER_POD, "statsd-exporter")
    mount = next(m for m in container["volumeMounts"] if m["name"] == "mapping")
    (config_map,) = [v["configMap"]["name"] for v in rendered.pod_spec(*EXPORTER_POD)["volumes"] if v["name"] == "mapping"]
    directory = tmp_path_factory.mktemp("statsd-exporter")
    for key, text in rendered.objects[("ConfigMap", config_map)]["data"].items():
        (directory / key).write_text(text)
    statsd_port, metrics_port = free_udp_port(), free_port()
    translations = {
        "--statsd.listen-udp=:9125": f"--statsd.listen-udp=127.0.0.1:{statsd_port}",
        "--web.listen-address=:9102": f"--web.listen-address=127.0.0.1:{metrics_port}",
    }
    argv = [str(EXPORTER)]
    for arg in container["args"]:
        arg = translations.pop(arg, arg)
        argv.append(arg.replace(f"={mount['mountPath']}/", f"={directory}/"))
    assert not translations, f"the rendered exporter does not listen where this test expects: {container['args']}"
    log = directory.parent / "statsd-exporter.log"
    with open(log, "wb") as output:
        process = subprocess.Popen(argv, stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   start_new_session=True)  # fmt: skip
    try:
        wait_for_port(metrics_port, process, "statsd_exporter")
        yield Exporter(statsd_port, f"http://127.0.0.1:{metrics_port}", log, container)
    finally:
        stop_all([process])


def scrape(exporter: Exporter) -> list[Sample]:
    status, body = get(f"{exporter.url}/metrics")
    assert status == 200, f"GET /metrics answered {status}: {body}\n{log_tail(exporter.log)}"
    return parse_exposition(str(body))


@pytest.fixture(scope="module")
def cluster(
    migrations: list[subprocess.CompletedProcess[str]],
    containers: Any,
    rendered: Rendered,
    api_port: int,
    exporter: Exporter,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Cluster]:
    """The four Airflow processes of test_task_run.py, their StatsD pointed at the exporter."""
    if migrations[0].returncode != 0:
        pytest.fail("the migration Job's script failed (test_smoke.py's first test says why)")
    dags = tmp_path_factory.mktemp("dags")
    (dags / f"{DAG_FILE}.py").write_text(textwrap.dedent(DAG_SOURCE))
    log_port = free_port()
    pods = airflow_processes(api_port)
    processes: dict[str, tuple[subprocess.Popen[Any], Path]] = {}
    try:
        for name, (pod, container_name, extra) in pods.items():
            container = containers(pod, container_name)
            env = container.env
            statsd = (env.get("AIRFLOW__METRICS__STATSD_HOST"), env.get("AIRFLOW__METRICS__STATSD_PORT"))
            assert statsd == (SERVICE_HOST, "9125"), f"{container.name} sends StatsD to {statsd}, not the exporter's Service"
            env["AIRFLOW__METRICS__STATSD_HOST"] = "127.0.0.1"
            env["AIRFLOW__METRICS__STATSD_PORT"] = str(exporter.statsd_port)
            env["AIRFLOW__CORE__DAGS_FOLDER"] = str(dags)
            env["AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT"] = str(log_port)
            processes[name] = (start(container, extra), container.log)
        yield signed_in(rendered, api_port, processes)
    finally:
        stop_all([p for p, _ in processes.values()])


@pytest.fixture(scope="module")
def dag_run(cluster: Cluster) -> dict[str, Any]:
    """The DAG triggered through the REST API, once its run has ended (failed: one task fails on purpose)."""
    dag_path = f"/api/v2/dags/{DAG_ID}"
    wait_for(cluster, f"the dag-processor did not register {DAG_ID}", RUN_TIMEOUT,
             lambda: True if cluster.call("GET", dag_path)[0] == 200 else None)  # fmt: skip
    status, body = cluster.call("PATCH", dag_path, {"is_paused": False})
    assert status == 200, f"PATCH {dag_path} is_paused=false answered {status}: {body}"
    status, run = cluster.call("POST", f"{dag_path}/dagRuns", {"logical_date": None})
    assert status == 200, f"POST {dag_path}/dagRuns answered {status}: {run}"
    path = f"{dag_path}/dagRuns/{urllib.parse.quote(run['dag_run_id'], safe='')}"

    def ended() -> dict[str, Any] | None:
        status, body = cluster.call("GET", path)
        return body if status == 200 and body.get("state") in ("success", "failed") else None

    ended_run: dict[str, Any] = wait_for(cluster, f"run {run['dag_run_id']} did not end", RUN_TIMEOUT, ended)
    return ended_run


@pytest.fixture(scope="module")
def samples(cluster: Cluster, dag_run: dict[str, Any], exporter: Exporter) -> list[Sample]:
    """/metrics once every expected series is there (the scheduler reports pools and slots every few seconds), or at
    the deadline."""
    deadline = time.monotonic() + METRICS_TIMEOUT
    while True:
        found = scrape(exporter)
        if not missing(found) or time.monotonic() > deadline:
            return found
        time.sleep(3)


def missing(samples: list[Sample]) -> list[str]:
    absent = []
    for name, (_, series) in EXPECTED.items():
        for labels in series:
            if not any(s.name == name and labels.items() <= s.labels.items() for s in samples):
                absent.append(f"{name}{labels}")
    return absent


def test_should_answer_the_probes_on_their_rendered_paths(exporter: Exporter) -> None:
    for probe in ("livenessProbe", "readinessProbe"):
        action = exporter.container[probe]["httpGet"]
        assert action["port"] == "metrics", probe
        status, body = get(f"{exporter.url}{action['path']}")
        assert status == 200, f"{probe} GET {action['path']} answered {status}: {body}"


def test_should_expect_every_statsd_metric_the_dashboard_reads() -> None:
    assert dashboard_metric_names() - KUBE_STATE_METRICS == set(EXPECTED)


def test_should_end_the_run_with_one_task_failed_on_purpose(dag_run: dict[str, Any]) -> None:
    assert dag_run["state"] == "failed", dag_run


def test_should_serve_every_dashboard_metric_with_the_mapped_labels(
    samples: list[Sample], cluster: Cluster, exporter: Exporter
) -> None:
    assert not missing(samples), (
        f"missing from the exporter's /metrics: {missing(samples)}\n"
        f"exporter log:\n{log_tail(exporter.log)}\n{cluster.logs()}"
    )
    for name, (label_names, _) in EXPECTED.items():
        label_sets = {frozenset(s.labels) for s in samples if s.name == name}
        # Every series: an unlabelled twin of a labelled metric would double its sums.
        assert label_sets == {label_names}, (name, label_sets)


def test_should_time_the_dag_file_parse_in_seconds(samples: list[Sample], figures: list[str]) -> None:
    """Airflow sends the parse time in seconds under StatsD's millisecond type; the mapping's scale undoes the
    exporter's division by 1000. A parse takes more than 5 ms (unscaled, this one would come out near 0.1 ms) and less
    than Airflow's import timeout of 30 s (sent in milliseconds, this one would come out near 100 s)."""
    total = {s.name: s.value for s in samples if s.labels.get("file") == DAG_FILE and s.name.endswith(("_sum", "_count"))}
    mean = total["airflow_dag_processing_last_duration_sum"] / total["airflow_dag_processing_last_duration_count"]
    figures.append(f"metrics: mean parse time of {DAG_FILE}.py as the exporter serves it: {mean:.3f} s")
    assert 0.005 < mean < 30, mean


def test_should_drop_the_bare_twins_without_any_conflict(samples: list[Sample]) -> None:
    """The bare twins Airflow sent were dropped by the mapping, and no event met a metric of another type or label set
    (the exporter would have refused it and counted a conflict)."""
    actions = {s.labels["action"]: s.value for s in samples if s.name == "statsd_exporter_events_actions_total"}
    assert actions.get("drop", 0) > 0, actions
    assert actions.get("map", 0) > 0, actions
    conflicts = [s for s in samples if s.name in ("statsd_exporter_events_conflict_total", "statsd_exporter_events_error_total")]
    assert all(s.value == 0 for s in conflicts), conflicts
