"""The smoke tier's end-to-end run: one DAG task executed the way the program configures Airflow 3 to execute it.

The api-server, scheduler, dag-processor and a Celery worker run together, each with its container's environment as
rendered and translated exactly as in test_smoke.py (that module's fixtures and helpers, imported here, give this
module its own PostgreSQL, Redis, render and migration). A run triggered through the REST API succeeds only if the
scheduler queues the task through the broker (CeleryExecutor), the worker picks it up and its task supervisor talks
to the api-server's execution API at AIRFLOW__CORE__EXECUTION_API_SERVER_URL with a token signed with the shared JWT
secret, and the scheduler, worker and api-server agree on the database and the broker. (No encrypted connection or
variable is read, so the shared Fernet key is not exercised.)

Two translations beyond test_smoke.py's, both standing in for what the cluster provides: every process's
AIRFLOW__CORE__DAGS_FOLDER is one shared directory holding this module's DAG (git-sync's checkout in each pod), and
the worker's log server port is a free port told to the worker and the api-server alike (8793 in the pod, where
nothing else can hold it). Airflow 3.3.2's log server has no bind-address setting and listens on every address (as in
the pod), so that one port is not loopback-only while the worker runs (about 30 s); it answers only requests
carrying a token signed with the rendered secret, and this module reaches it through loopback only.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import textwrap
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from test_smoke import (  # noqa: F401  (fixtures: pytest finds them by name in this module)
    SERVER_START_TIMEOUT,
    Container,
    api_port,
    broker,
    containers,
    database,
    free_port,
    get,
    log_tail,
    migrations,
    post_json,
    pytestmark,
    rendered,
    request,
)

DAG_ID = "smoke_task_run"
TASK_ID = "greet"
GREETING = "smoke: hello from the Celery worker"
RETURNED = "smoke-returned-value"
# From the trigger to the task's success: the scheduler's loop, Celery's hand-over and a cold task process take
# seconds here (the whole module about 30 s on two shared cores); the margin absorbs a busy machine.
TASK_TIMEOUT = 180
DAG_PARSE_TIMEOUT = 120

DAG_SOURCE = f'''
import logging

import pendulum
from airflow.sdk import dag, task


@dag(dag_id="{DAG_ID}", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), catchup=False)
def smoke_task_run():
    @task(task_id="{TASK_ID}")
    def greet():
        logging.getLogger("smoke").info("{GREETING}")
        return "{RETURNED}"

    greet()


smoke_task_run()
'''


@dataclass
class Cluster:
    url: str
    token: str
    processes: dict[str, tuple[subprocess.Popen[Any], Path]]

    def call(self, method: str, path: str, body: Any = None, accept: str = "application/json") -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {self.token}", "Accept": accept}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        return request(urllib.request.Request(f"{self.url}{path}", data=data, method=method, headers=headers))

    def logs(self) -> str:
        return "\n".join(f"--- {name} ---\n{log_tail(log, 25)}" for name, (_, log) in self.processes.items())

    def assert_running(self) -> None:
        for name, (process, log) in self.processes.items():
            assert process.poll() is None, f"{name} exited with {process.returncode}:\n{log_tail(log)}"


def start(container: Container, extra_args: list[str]) -> subprocess.Popen[Any]:
    with open(container.log, "wb") as log:
        return subprocess.Popen(
            [*container.argv, *extra_args], env=container.env, cwd=container.home, stdin=subprocess.DEVNULL,
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip


def airflow_processes(port: int) -> dict[str, tuple[tuple[str, str], str, list[str]]]:
    """The four processes a task run needs, by name: their pod, container and extra arguments (the api-server on
    loopback at that port, one task at a time on the worker)."""
    return {
        "api-server": (("Deployment", "airflow-api-server"), "api-server", ["--host", "127.0.0.1", "--port", str(port)]),
        "dag-processor": (("Deployment", "airflow-dag-processor"), "dag-processor", []),
        "scheduler": (("Deployment", "airflow-scheduler"), "scheduler", []),
        "worker": (("StatefulSet", "airflow-worker"), "worker", ["--concurrency", "1"]),
    }


def stop_all(processes: list[subprocess.Popen[Any]], grace: float = 30) -> None:
    """Stops the process groups this module started: all asked at once, then whatever remains killed."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for process in processes:
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, sig)
        deadline = time.monotonic() + grace
        for process in processes:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(max(0.1, deadline - time.monotonic()))
        if all(p.poll() is not None for p in processes):
            return
        grace = 10


@pytest.fixture(scope="module")
def cluster(
    migrations: list[subprocess.CompletedProcess[str]],  # noqa: F811
    rendered: Any,  # noqa: F811
    containers: Any,  # noqa: F811
    api_port: int,  # noqa: F811
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Cluster]:
    if migrations[0].returncode != 0:
        pytest.fail("the migration Job's script failed (test_smoke.py's first test says why)")
    dags = tmp_path_factory.mktemp("dags")
    (dags / f"{DAG_ID}.py").write_text(textwrap.dedent(DAG_SOURCE))
    log_port = free_port()
    pods = airflow_processes(api_port)
    processes: dict[str, tuple[subprocess.Popen[Any], Path]] = {}
    try:
        for name, (pod, container_name, extra) in pods.items():
            container = containers(pod, container_name)
            assert "AIRFLOW__CORE__DAGS_FOLDER" in container.env, f"{container.name} has no DAGS_FOLDER to remap"
            container.env["AIRFLOW__CORE__DAGS_FOLDER"] = str(dags)
            # The worker serves its task logs there, the api-server fetches them from there.
            container.env["AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT"] = str(log_port)
            processes[name] = (start(container, extra), container.log)
        yield signed_in(rendered, api_port, processes)
    finally:
        stop_all([p for p, _ in processes.values()])


def signed_in(rendering: Any, port: int, processes: dict[str, tuple[subprocess.Popen[Any], Path]]) -> Cluster:
    """The started processes, once the api-server is healthy, with a token for the rendered admin account."""
    secret = rendering.objects[("Secret", "airflow-secrets")]["stringData"]
    job = rendering.migration_job["spec"]["template"]["spec"]["containers"][0]
    admin = next(e["value"] for e in job["env"] if e["name"] == "ADMIN_USERNAME")
    url = f"http://127.0.0.1:{port}"
    partial = Cluster(url, "", processes)
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while True:
        partial.assert_running()
        try:
            if get(f"{url}/api/v2/monitor/health")[0] == 200:
                break
        except OSError:
            pass
        assert time.monotonic() < deadline, f"the api-server was not healthy in time:\n{partial.logs()}"
        time.sleep(1)
    status, body = post_json(f"{url}/auth/token", {"username": admin, "password": str(secret["admin-password"])})
    assert status == 201, f"POST /auth/token as {admin} answered {status}: {body}"
    return Cluster(url, body["access_token"], processes)


def wait_for(cluster: Cluster, what: str, timeout: float, check: Any) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        cluster.assert_running()
        found = check()
        if found is not None:
            return found
        assert time.monotonic() < deadline, f"{what} within {timeout} s\n{cluster.logs()}"
        time.sleep(2)


@dataclass(frozen=True)
class TaskRun:
    path: str  # the task instance's REST path
    instance: dict[str, Any]  # its state once finished


@pytest.fixture(scope="module")
def task_run(cluster: Cluster) -> TaskRun:
    """The DAG unpaused and triggered through the REST API, and its one task instance once it has finished."""
    dag_path = f"/api/v2/dags/{DAG_ID}"
    wait_for(cluster, f"the dag-processor did not register {DAG_ID}", DAG_PARSE_TIMEOUT,
             lambda: True if cluster.call("GET", dag_path)[0] == 200 else None)  # fmt: skip
    status, body = cluster.call("PATCH", dag_path, {"is_paused": False})
    assert status == 200, f"PATCH {dag_path} is_paused=false answered {status}: {body}"
    assert body["is_paused"] is False, f"PATCH {dag_path} is_paused=false left it paused: {body}"
    status, run = cluster.call("POST", f"{dag_path}/dagRuns", {"logical_date": None})
    assert status == 200, f"POST {dag_path}/dagRuns answered {status}: {run}"
    path = f"{dag_path}/dagRuns/{urllib.parse.quote(run['dag_run_id'], safe='')}/taskInstances/{TASK_ID}"

    def finished() -> dict[str, Any] | None:
        status, ti = cluster.call("GET", path)
        return ti if status == 200 and ti.get("state") in ("success", "failed", "upstream_failed") else None

    instance = wait_for(cluster, f"task {TASK_ID} of run {run['dag_run_id']} did not finish", TASK_TIMEOUT, finished)
    return TaskRun(path, instance)


def test_should_run_a_triggered_task_on_the_celery_worker_through_the_execution_api(cluster: Cluster, task_run: TaskRun) -> None:
    ti = task_run.instance
    assert ti["state"] == "success", f"task {TASK_ID} ended {ti['state']}: {ti}\n{cluster.logs()}"
    # The value went back through the execution API into the metadatabase.
    status, xcom = cluster.call("GET", f"{task_run.path}/xcomEntries/return_value")
    assert status == 200, f"GET the task's return_value XCom answered {status}: {xcom}"
    assert RETURNED in str(xcom.get("value")), f"the task's XCom holds {xcom}, not {RETURNED!r}"


def test_should_serve_the_tasks_log_from_the_workers_log_server(cluster: Cluster, task_run: TaskRun) -> None:
    """The api-server fetches the log from the worker's log server at the hostname the worker recorded
    (AIRFLOW__CORE__HOSTNAME_CALLABLE getfqdn; the pod's name behind the worker's headless Service in the cluster).
    Here that is this machine's name, which must resolve to this machine for the api-server to reach the worker."""
    hostname = str(task_run.instance.get("hostname"))
    try:
        socket.getaddrinfo(hostname, None)
    except OSError:
        pytest.skip(f"the worker recorded hostname {hostname!r}, which does not resolve on this machine")
    status, log = cluster.call("GET", f"{task_run.path}/logs/{task_run.instance['try_number']}")
    assert status == 200, f"GET the task's log (worker at {hostname}) answered {status}: {log}"
    assert GREETING in str(log), f"the task's log (worker at {hostname}) lacks {GREETING!r}: {str(log)[-3000:]}"
