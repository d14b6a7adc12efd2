"""The smoke tier: the commands and environment the program gives Airflow, run by the real Airflow it deploys.

No Kubernetes: a throwaway PostgreSQL and Redis listen on loopback, the program is rendered under mocks with them as
its external database and broker, and each Airflow container's command runs on this machine with the container's
environment exactly as rendered. Only what a pod would get from Kubernetes itself is translated: `secretKeyRef`s
are read from the rendered Secrets, the image's paths (/opt/airflow/...) become per-container temporary directories
(each pod starts from empty volumes, as there), and the api-server Service's name becomes 127.0.0.1.

Run by smoke/run.sh with the smoke virtualenv's Python (see smoke/README.md).
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
PROJECT_PYTHON = REPO / ".venv" / "bin" / "python"
SMOKE_CACHE = Path(os.environ.get("AIRFLOW_SMOKE_CACHE", Path.home() / ".cache" / "airflow-smoke"))
SMOKE_BIN = SMOKE_CACHE / "venv" / "bin"
AIRFLOW = SMOKE_BIN / "airflow"
IMAGE_HOME = "/opt/airflow"  # the apache/airflow image's AIRFLOW_HOME, under which the pods mount their volumes
API_SERVICE_HOST = "airflow-webserver.airflow.svc"
SECRET_NAME = "airflow-secrets"
# The workloads whose pods wait for the schema in an init container.
WORKLOADS = [
    ("Deployment", "airflow-api-server"),
    ("Deployment", "airflow-scheduler"),
    ("Deployment", "airflow-dag-processor"),
    ("Deployment", "airflow-triggerer"),
    ("StatefulSet", "airflow-worker"),
]
# Cold Airflow CLI start-ups on two shared cores take seconds each; a migration from empty takes a minute or more.
COMMAND_TIMEOUT = 600
SERVER_START_TIMEOUT = 240


def _cache_missing() -> str | None:
    if not AIRFLOW.exists():
        return f"the smoke cache {SMOKE_CACHE} has no Airflow virtualenv (build it with `make smoke` or smoke/setup.sh)"
    if Path(sys.executable).parent != SMOKE_BIN:
        return f"run with {SMOKE_BIN}/python (smoke/run.sh does), not {sys.executable}"
    if _postgres_bin() is None:
        return "PostgreSQL's initdb/pg_ctl are not installed (smoke/setup.sh installs them)"
    if shutil.which("redis-server") is None and shutil.which("valkey-server") is None:
        return "redis-server is not installed (smoke/setup.sh installs it)"
    if not PROJECT_PYTHON.exists():
        return f"the project's virtualenv {PROJECT_PYTHON.parent.parent} is missing (./test.sh creates it)"
    return None


def _postgres_bin() -> Path | None:
    for directory in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (directory / "initdb").exists() and (directory / "pg_ctl").exists():
            return directory
    return None


pytestmark = pytest.mark.skipif(_cache_missing() is not None, reason=str(_cache_missing()))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_port(port: int, process: subprocess.Popen[Any], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode} before listening on 127.0.0.1:{port}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise TimeoutError(f"{what} did not listen on 127.0.0.1:{port} within {timeout} s")


def stop(process: subprocess.Popen[Any]) -> None:
    """Stops a process this test started, with everything it forked (each runs in its own session)."""
    if process.poll() is not None:
        return
    for sig, grace in ((signal.SIGTERM, 30), (signal.SIGKILL, 10)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(grace)
            return
        except subprocess.TimeoutExpired:
            continue


def log_tail(path: Path, lines: int = 40) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else "(no log)"


# -- the loopback backing services ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Database:
    url: str


@pytest.fixture(scope="module")
def database() -> Iterator[Database]:
    """A throwaway PostgreSQL cluster on 127.0.0.1 with a password-protected `airflow` database.

    initdb refuses to run as root, so as root the cluster belongs to Debian's `postgres` user."""
    bin_dir = _postgres_bin()
    assert bin_dir is not None
    as_root = os.geteuid() == 0
    owner = pwd.getpwnam("postgres") if as_root else None
    # Not under pytest's tmp_path: its parents are private to root, and the cluster's owner must reach its data.
    root = Path(tempfile.mkdtemp(prefix="airflow-smoke-pg-"))
    data, password_file = root / "data", root / "password"
    password = os.urandom(12).hex()
    password_file.write_text(password + "\n")
    if owner is not None:
        for path in (root, password_file):
            os.chown(path, owner.pw_uid, owner.pw_gid)
    user = {"user": owner.pw_uid, "group": owner.pw_gid} if owner is not None else {}
    port = free_port()
    log = root / "postgres.log"
    try:
        subprocess.run(
            [bin_dir / "initdb", "-D", data, "-U", "airflow", f"--pwfile={password_file}",
             "--auth=scram-sha-256", "--no-sync"],
            check=True, capture_output=True, **user,
        )  # fmt: skip
        options = f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories={root} -c fsync=off"
        subprocess.run([bin_dir / "pg_ctl", "-D", data, "-l", log, "-o", options, "-w", "start"],
                       check=True, capture_output=True, **user)  # fmt: skip
        subprocess.run(
            [bin_dir / "createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "airflow", "airflow"],
            check=True, capture_output=True, env={**os.environ, "PGPASSWORD": password},
        )  # fmt: skip
        yield Database(url=f"postgresql://airflow:{password}@127.0.0.1:{port}/airflow")
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run([bin_dir / "pg_ctl", "-D", data, "-m", "fast", "-w", "stop"], capture_output=True, **user)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A throwaway Redis on 127.0.0.1 with a password and no persistence."""
    server = shutil.which("redis-server") or shutil.which("valkey-server")
    assert server is not None
    directory = tmp_path_factory.mktemp("redis")
    password = os.urandom(12).hex()
    port = free_port()
    with open(directory / "redis.log", "wb") as log:
        process = subprocess.Popen(
            [server, "--bind", "127.0.0.1", "--port", str(port), "--requirepass", password, "--save", "",
             "--appendonly", "no", "--dir", str(directory)],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        wait_for_port(port, process, "redis-server")
        yield f"redis://:{password}@127.0.0.1:{port}/0"
    finally:
        stop(process)


# -- the rendered program ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rendered:
    objects: dict[tuple[str, str], dict[str, Any]]

    def kind(self, kind: str) -> list[dict[str, Any]]:
        return [o for (k, _), o in self.objects.items() if k == kind]

    def pod_spec(self, kind: str, name: str) -> dict[str, Any]:
        assert (kind, name) in self.objects, f"the program renders no {kind} {name}"
        spec = self.objects[(kind, name)]["spec"]
        if kind == "CronJob":
            spec = spec["jobTemplate"]["spec"]
        return dict(spec["template"]["spec"])

    def container(self, kind: str, name: str, container: str) -> dict[str, Any]:
        spec = self.pod_spec(kind, name)
        found = [c for c in spec.get("initContainers", []) + spec["containers"] if c["name"] == container]
        assert found, f"{kind} {name} has no container {container}"
        return dict(found[0])

    @property
    def migration_job(self) -> dict[str, Any]:
        jobs = [j for j in self.kind("Job") if j["metadata"]["name"].startswith("airflow-db-migrate")]
        assert len(jobs) == 1, f"expected one migration Job, found {[j['metadata']['name'] for j in jobs]}"
        return jobs[0]


def render(database: Database, broker: str, *settings: str) -> Rendered:
    """Every object the program would create with these `key=value` settings, its external database and broker
    being the loopback servers."""
    result = subprocess.run(
        [PROJECT_PYTHON, REPO / "smoke" / "render_env.py", database.url, broker, *settings],
        cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, f"the render failed:\n{result.stderr[-4000:]}"
    return Rendered({(o["kind"], o["metadata"]["name"]): o for o in json.loads(result.stdout)})


@pytest.fixture(scope="module")
def rendered(database: Database, broker: str) -> Rendered:
    """The program with the defaults: the DAGs from the image."""
    return render(database, broker)


@dataclass
class Container:
    """One container's command line and environment, translated to run on this machine."""

    name: str
    argv: list[str]
    env: dict[str, str]
    home: Path
    writable: list[Path]  # the pod's writable volumes, translated; everything else in `home` is read-only there
    log: Path  # where this test keeps a server's output, outside `home`


def local_container(rendered: Rendered, pod: tuple[str, str], container: str, root: Path, api_port: int) -> Container:
    spec = rendered.container(*pod, container)
    home = root / f"{pod[1]}-{container}"
    env: dict[str, str] = {}
    for item in spec.get("env", []):
        if "value" in item:
            value = str(item["value"])
        else:
            ref = item["valueFrom"]["secretKeyRef"]  # a KeyError here: a kind of reference this tier cannot resolve
            assert ("Secret", ref["name"]) in rendered.objects, f"{pod[1]}/{container}: {item['name']} reads unknown Secret {ref}"
            data = rendered.objects[("Secret", ref["name"])].get("stringData", {})
            assert ref["key"] in data, f"{pod[1]}/{container}: {item['name']} reads missing key {ref['key']}"
            value = str(data[ref["key"]])
        value = value.replace(IMAGE_HOME, str(home))
        value = value.replace(f"{API_SERVICE_HOST}:8080", f"127.0.0.1:{api_port}")
        env[item["name"]] = value
    # The pod's writable volumes: empty directories, as emptyDirs start.
    writable = [home / "tmp"]
    for mount in spec.get("volumeMounts", []):
        if mount["mountPath"].startswith(IMAGE_HOME) and not mount.get("readOnly"):
            writable.append(Path(mount["mountPath"].replace(IMAGE_HOME, str(home))))
            writable[-1].mkdir(parents=True, exist_ok=True)
    (home / "dags").mkdir(parents=True, exist_ok=True)  # git-sync's checkout there; empty here
    base = {
        "PATH": f"{SMOKE_BIN}:/usr/bin:/bin",
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "AIRFLOW_HOME": str(home),  # the image's ENV, translated like every other /opt/airflow path
        "TMPDIR": str(home / "tmp"),
    }
    (home / "tmp").mkdir(exist_ok=True)
    # The image's entrypoint runs `airflow <args>` when the first argument is not an executable of its own.
    argv = list(spec.get("command") or []) + list(spec.get("args") or [])
    if not spec.get("command") and argv and argv[0] not in ("bash", "sh", "python"):
        argv = [str(AIRFLOW), *argv]
    (root / "server-logs").mkdir(exist_ok=True)
    log = root / "server-logs" / f"{pod[1]}-{container}.log"
    return Container(f"{pod[1]}/{container}", argv, {**base, **env}, home, writable, log)


def run(container: Container, argv: list[str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv or container.argv, env=container.env, cwd=container.home, stdin=subprocess.DEVNULL,
        capture_output=True, text=True, timeout=COMMAND_TIMEOUT, start_new_session=True,
    )  # fmt: skip


def explain(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit {result.returncode}\nstdout:\n{result.stdout[-3000:]}\nstderr:\n{result.stderr[-5000:]}"


@pytest.fixture(scope="module")
def api_port() -> int:
    return free_port()


@pytest.fixture(scope="module")
def containers(rendered: Rendered, api_port: int, tmp_path_factory: pytest.TempPathFactory) -> Any:
    root = tmp_path_factory.mktemp("pods")
    made: list[Container] = []

    def make(pod: tuple[str, str], container: str) -> Container:
        made.append(local_container(rendered, pod, container, root, api_port))
        return made[-1]

    make.made = made  # type: ignore[attr-defined]
    return make


@pytest.fixture(scope="module")
def migrations(rendered: Rendered, containers: Any) -> list[subprocess.CompletedProcess[str]]:
    """The migration Job's container run twice, as a re-run of the Job (a new image, a retried pod) would."""
    job = rendered.migration_job
    name = job["spec"]["template"]["spec"]["containers"][0]["name"]
    container = containers(("Job", job["metadata"]["name"]), name)
    return [run(container), run(container)]


# -- the tests --------------------------------------------------------------------------------------------------------


def test_should_migrate_and_create_the_admin_with_the_migration_jobs_script(
    migrations: list[subprocess.CompletedProcess[str]],
) -> None:
    assert migrations[0].returncode == 0, f"the migration Job's script failed:\n{explain(migrations[0])}"


def test_should_succeed_when_the_migration_job_runs_again(migrations: list[subprocess.CompletedProcess[str]]) -> None:
    assert migrations[1].returncode == 0, f"the migration Job's script failed on a re-run:\n{explain(migrations[1])}"


def test_should_create_the_admin_user_with_role_admin(
    migrations: list[subprocess.CompletedProcess[str]], rendered: Rendered, containers: Any
) -> None:
    job = rendered.migration_job
    container = containers(("Job", job["metadata"]["name"]), job["spec"]["template"]["spec"]["containers"][0]["name"])
    result = run(container, [str(AIRFLOW), "users", "list", "-o", "json"])
    assert result.returncode == 0, explain(result)
    # Airflow logs its warnings to stdout too; the listing is the line that holds a JSON array.
    listing = [line for line in result.stdout.splitlines() if line.startswith("[")]
    assert listing, f"no JSON listing in `airflow users list -o json`:\n{explain(result)}"
    users = {u["username"]: u for u in json.loads(listing[-1])}
    admin = container.env["ADMIN_USERNAME"]
    assert admin in users, f"no user {admin!r} after the migration Job; users: {sorted(users)}"
    assert "Admin" in str(users[admin]["roles"]), f"user {admin!r} has roles {users[admin]['roles']}, not Admin"


@pytest.mark.parametrize("workload", WORKLOADS, ids=[name for _, name in WORKLOADS])
def test_should_pass_the_wait_for_migrations_init_container_once_migrated(
    workload: tuple[str, str], migrations: list[subprocess.CompletedProcess[str]], containers: Any
) -> None:
    assert migrations[0].returncode == 0, "the migration Job's script failed (see the first test)"
    container = containers(workload, "wait-for-migrations")
    result = run(container)
    assert result.returncode == 0, f"{container.name} {container.argv[1:]} failed:\n{explain(result)}"


@dataclass(frozen=True)
class ApiServer:
    url: str
    admin_username: str
    admin_password: str


@pytest.fixture(scope="module")
def api_server(
    migrations: list[subprocess.CompletedProcess[str]], rendered: Rendered, containers: Any, api_port: int
) -> Iterator[ApiServer]:
    """`airflow api-server` with the api-server container's environment; only the port is changed (and the bind
    address pinned to loopback, where the pod listens on every address)."""
    if migrations[0].returncode != 0:
        pytest.fail("the migration Job's script failed (see the first test)")
    container = containers(("Deployment", "airflow-api-server"), "api-server")
    secret = rendered.objects[("Secret", SECRET_NAME)]["stringData"]
    job = rendered.migration_job["spec"]["template"]["spec"]["containers"][0]
    admin = next(e["value"] for e in job["env"] if e["name"] == "ADMIN_USERNAME")
    log_path = container.log
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [*container.argv, "--host", "127.0.0.1", "--port", str(api_port)], env=container.env,
            cwd=container.home, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    url = f"http://127.0.0.1:{api_port}"
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while True:
            if process.poll() is not None:
                pytest.fail(f"airflow api-server exited with {process.returncode}:\n{log_tail(log_path)}")
            try:
                if get(f"{url}/api/v2/monitor/health")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"airflow api-server was not healthy within {SERVER_START_TIMEOUT} s:\n"
                            f"{log_tail(log_path)}")  # fmt: skip
            time.sleep(1)
        yield ApiServer(url=url, admin_username=admin, admin_password=str(secret["admin-password"]))
    finally:
        stop(process)


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    return request(urllib.request.Request(url, headers=headers or {}))


def post_json(url: str, body: dict[str, Any]) -> tuple[int, Any]:
    data = json.dumps(body).encode()
    return request(urllib.request.Request(url, data=data, method="POST", headers={"Content-Type": "application/json"}))


def request(req: urllib.request.Request) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(req, timeout=60) as response:
            body = response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        body, status = error.read(), error.code
    try:
        return status, json.loads(body)
    except ValueError:
        return status, body.decode(errors="replace")


def test_should_report_healthy_on_the_api_servers_probe_path(api_server: ApiServer) -> None:
    status, body = get(f"{api_server.url}/api/v2/monitor/health")
    assert status == 200, f"GET /api/v2/monitor/health answered {status}: {body}"
    assert body["metadatabase"]["status"] == "healthy", f"the api-server reports {body}"


def test_should_issue_a_token_to_the_admin_with_the_generated_password(api_server: ApiServer) -> None:
    status, body = post_json(
        f"{api_server.url}/auth/token",
        {"username": api_server.admin_username, "password": api_server.admin_password},
    )
    assert status == 201, f"POST /auth/token as {api_server.admin_username} answered {status}: {body}"
    # The token must open the REST API too: the JWT secret and the auth manager agree.
    status, dags = get(f"{api_server.url}/api/v2/dags", {"Authorization": f"Bearer {body['access_token']}"})
    assert status == 200, f"GET /api/v2/dags with the admin's token answered {status}: {dags}"


def test_should_refuse_a_token_for_a_wrong_password(api_server: ApiServer) -> None:
    status, body = post_json(
        f"{api_server.url}/auth/token",
        {"username": api_server.admin_username, "password": api_server.admin_password + "-wrong"},
    )
    assert status == 401, f"POST /auth/token with a wrong password answered {status}: {body}"


def test_should_refuse_the_rest_api_without_a_token(api_server: ApiServer) -> None:
    status, body = get(f"{api_server.url}/api/v2/dags")
    assert status == 401, f"GET /api/v2/dags without a token answered {status}: {body}"


def test_should_pass_the_schedulers_liveness_probe_once_it_runs(
    migrations: list[subprocess.CompletedProcess[str]], rendered: Rendered, containers: Any
) -> None:
    assert migrations[0].returncode == 0, "the migration Job's script failed (see the first test)"
    container = containers(("Deployment", "airflow-scheduler"), "scheduler")
    probe = rendered.container("Deployment", "airflow-scheduler", "scheduler")["livenessProbe"]["exec"]["command"]
    probe = [str(AIRFLOW), *probe[1:]] if probe[0] == "airflow" else probe
    log_path = container.log
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            container.argv, env=container.env, cwd=container.home, stdin=subprocess.DEVNULL, stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, f"airflow scheduler exited with {process.returncode}:\n{log_tail(log_path)}"
            result = run(container, probe)
            if result.returncode == 0:
                break
            assert time.monotonic() < deadline, (
                f"the scheduler's liveness probe {probe[1:]} still fails after 120 s:\n{explain(result)}\n"
                f"scheduler log:\n{log_tail(log_path)}"
            )
            time.sleep(5)
    finally:
        stop(process)


def test_should_write_only_into_the_pods_writable_volumes(containers: Any) -> None:
    """The pods' root filesystems are read-only (AIRFLOW_HOME and HOME included): whatever a command above wrote
    outside its writable volumes would fail in the cluster. Runs last, after every command of this module."""
    made: list[Container] = containers.made
    assert made, "no container ran before this test"
    outside = {
        str(path.relative_to(c.home.parent))
        for c in made
        for path in c.home.rglob("*")
        if path.is_file() and not any(path.is_relative_to(w) for w in c.writable)
    }
    assert not outside, f"files written outside the pods' writable volumes: {sorted(outside)}"
