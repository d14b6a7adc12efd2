"""The README's sizing table is the render's: requests, limits, replicas and volumes of the dev and prod stacks."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tools import sizing
from tools.sizing import Resources, Workload, pod_resources, quantity, workloads


def test_should_keep_the_readme_table_identical_to_the_render() -> None:
    assert sizing.documented_table(sizing.README.read_text()) == sizing.table(
        {stack: sizing.rendered_objects(stack) for stack in sizing.STACKS}
    ), "README.md's sizing table is stale: run `.venv/bin/python -m tools.sizing --write`"


@pytest.mark.parametrize(
    ("text", "value"),
    [("250m", Decimal("0.25")), ("1", Decimal(1)), ("0.5", Decimal("0.5")), ("512Mi", Decimal(512 * 2**20)),
     ("2Gi", Decimal(2 * 2**30)), ("1G", Decimal(10**9)), (2, Decimal(2))],
)  # fmt: skip
def test_should_read_kubernetes_quantities(text: str | float, value: Decimal) -> None:
    assert quantity(text) == value


def test_should_refuse_a_quantity_it_cannot_read() -> None:
    with pytest.raises(ValueError, match="not a Kubernetes quantity"):
        quantity("1e3")


def container(cpu: str, memory: str, cpu_limit: str | None = None, memory_limit: str | None = None,
              **extra: Any) -> dict[str, Any]:  # fmt: skip
    limits = {k: v for k, v in (("cpu", cpu_limit), ("memory", memory_limit)) if v}
    return {"resources": {"requests": {"cpu": cpu, "memory": memory}, "limits": limits}, **extra}


def test_should_add_containers_and_sidecars_and_take_the_larger_one_off_init_container() -> None:
    spec = {
        "initContainers": [
            container("2", "64Mi", "2", "64Mi"),  # one-off: runs alone, before the others
            container("50m", "64Mi", "500m", "512Mi", restartPolicy="Always"),  # a sidecar: runs beside them
        ],
        "containers": [container("250m", "512Mi", "1", "2Gi"), container("10m", "32Mi", "100m", "64Mi")],
    }
    assert pod_resources(spec) == Resources(
        cpu=Decimal(2), memory=quantity("608Mi"), cpu_limit=Decimal(2), memory_limit=quantity("2624Mi")
    )


def test_should_say_no_limit_when_a_container_sets_none() -> None:
    resources = pod_resources({"containers": [container("100m", "64Mi", "1", "1Gi"), container("100m", "64Mi")]})
    assert resources.cpu_limit is None
    assert sizing.resources_text(resources) == "200m / no limit CPU, 128Mi / no limit"


def test_should_take_the_request_from_the_limit_when_only_the_limit_is_set() -> None:
    assert Resources.of({"resources": {"limits": {"cpu": "1", "memory": "1Gi"}}}) == Resources(
        Decimal(1), quantity("1Gi"), Decimal(1), quantity("1Gi")
    )


def pod_template(*containers: dict[str, Any]) -> dict[str, Any]:
    return {"spec": {"containers": list(containers)}}


OBJECTS: list[dict[str, Any]] = [
    {"kind": "StatefulSet", "metadata": {"name": "airflow-worker"}, "spec": {
        "replicas": 2, "template": pod_template(container("500m", "1Gi", "2", "2Gi")),
        "volumeClaimTemplates": [{"metadata": {"name": "logs"}, "spec": {"resources": {"requests": {"storage": "20Gi"}}}}],
    }},
    {"kind": "Deployment", "metadata": {"name": "airflow-api-server"}, "spec": {
        "replicas": 1, "template": pod_template(container("250m", "512Mi", "1", "2Gi")),
    }},
    {"kind": "Job", "metadata": {"name": "airflow-db-migrate-851adad4-48ee1a71829c"}, "spec": {
        "template": pod_template(container("250m", "512Mi", "1", "1Gi")),
    }},
    {"kind": "CronJob", "metadata": {"name": "airflow-database-restore"}, "spec": {
        "suspend": True, "jobTemplate": {"spec": {"template": pod_template(container("100m", "256Mi", "1", "1Gi"))}},
    }},
    {"kind": "PersistentVolumeClaim", "metadata": {"name": "airflow-postgresql-data"}, "spec": {
        "resources": {"requests": {"storage": "8Gi"}},
    }},
    {"kind": "Service", "metadata": {"name": "airflow-webserver"}, "spec": {}},
]  # fmt: skip


def test_should_list_running_workloads_first_and_name_them_without_prefix_or_hash() -> None:
    assert [(w.name, w.kind, w.pods, w.suspended) for w in workloads(OBJECTS)] == [
        ("api-server", "Deployment", 1, False),
        ("worker", "StatefulSet", 2, False),
        ("database-restore", "CronJob", 1, True),
        ("db-migrate", "Job", 1, False),
    ]
    assert workloads(OBJECTS)[1] == Workload(
        "worker", "StatefulSet", 2, Resources(Decimal("0.5"), quantity("1Gi"), Decimal(2), quantity("2Gi")),
        {"logs": quantity("20Gi")},
    )  # fmt: skip


def test_should_write_one_column_per_stack_with_totals_and_volumes() -> None:
    smaller = [o for o in OBJECTS if o["metadata"]["name"] != "airflow-api-server"]
    assert sizing.table({"big": OBJECTS, "small": smaller}) == (
        "| workload: pods × CPU request / limit, memory request / limit | `big` | `small` |\n"
        "| --- | --- | --- |\n"
        "| api-server | 1 × 250m / 1 CPU, 512Mi / 2Gi | — |\n"
        "| worker | 2 × 500m / 2 CPU, 1Gi / 2Gi | 2 × 500m / 2 CPU, 1Gi / 2Gi |\n"
        "| **always running, in all** | **3 pods: 1.25 / 5 CPU, 2.5Gi / 6Gi** | **2 pods: 1 / 4 CPU, 2Gi / 4Gi** |\n"
        "| database-restore (on demand) | 1 × 100m / 1 CPU, 256Mi / 1Gi | 1 × 100m / 1 CPU, 256Mi / 1Gi |\n"
        "| db-migrate (at each migration) | 1 × 250m / 1 CPU, 512Mi / 1Gi | 1 × 250m / 1 CPU, 512Mi / 1Gi |\n"
        "| persistent volumes | 48Gi: postgresql-data 8Gi, worker logs 2 × 20Gi "
        "| 48Gi: postgresql-data 8Gi, worker logs 2 × 20Gi |\n"
    )


def test_should_rewrite_only_the_table_between_the_markers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(f"# Title\n\n{sizing.START}\n| stale |\n{sizing.END}\n\nAfter.\n")
    monkeypatch.setattr(sizing, "README", readme)
    monkeypatch.setattr(sizing, "rendered_objects", lambda stack: OBJECTS)
    assert sizing.main(["--write"]) == 0
    expected = sizing.table(dict.fromkeys(sizing.STACKS, OBJECTS))
    assert readme.read_text() == f"# Title\n\n{sizing.START}\n{expected}{sizing.END}\n\nAfter.\n"
