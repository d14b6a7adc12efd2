"""DisruptionBudgets: one PodDisruptionBudget per workload, letting a drain take one pod at a time, never blocking it."""

from __future__ import annotations

from typing import Any

from tests.conftest import Run, settings_problems
from tools.harness import Capture

PDB = "PodDisruptionBudget"
ONE_AT_A_TIME = {"maxUnavailable": 1, "unhealthyPodEvictionPolicy": "AlwaysAllow"}
AIRFLOW_WORKLOADS = ("api-server", "dag-processor", "scheduler", "triggerer", "worker")


def budgets(capture: Capture) -> dict[str, dict[str, Any]]:
    return {
        r.plain_inputs["metadata"]["name"]: r.plain_inputs["spec"]
        for r in capture.kubernetes_objects()
        if r.inputs.get("kind") == PDB
    }


def expected(*components: str) -> dict[str, dict[str, Any]]:
    return {
        f"airflow-{component}": {
            **ONE_AT_A_TIME,
            "selector": {"matchLabels": {"app.kubernetes.io/name": "airflow", "app.kubernetes.io/component": component}},
        }
        for component in components
    }


def test_should_budget_every_workload_one_pod_at_a_time(default_run: Capture) -> None:
    assert budgets(default_run) == expected(*AIRFLOW_WORKLOADS, "postgresql", "redis")


def test_should_select_the_pods_of_exactly_one_workload_each(default_run: Capture) -> None:
    """A budget whose selector matched no pod would protect nothing, silently; one matching two workloads would make
    them share one allowance."""
    workloads = {
        r.plain_inputs["metadata"]["name"]: r.plain_inputs["spec"]["template"]["metadata"]["labels"]
        for r in default_run.kubernetes_objects()
        if r.inputs.get("kind") in ("Deployment", "StatefulSet")
    }
    for name, spec in budgets(default_run).items():
        selector = spec["selector"]["matchLabels"]
        matched = [w for w, labels in workloads.items() if selector.items() <= labels.items()]
        assert matched == [name], f"{PDB}/{name} selects {matched}"


def test_should_budget_no_service_the_stack_does_not_run(run: Run) -> None:
    capture = run(
        secrets={
            "externalDatabaseUrl": "postgresql://airflow:pw@db.example.com:5432/airflow",
            "externalBrokerUrl": "redis://:pw@broker.example.com:6379/0",
        }
    )
    assert budgets(capture) == expected(*AIRFLOW_WORKLOADS)


def test_should_create_none_when_turned_off(run: Run) -> None:
    assert budgets(run(disruptionBudgets=False)) == {}


def test_should_refuse_a_value_that_is_not_a_boolean() -> None:
    assert settings_problems({"airflow:disruptionBudgets": "yes"}) == [
        "airflow:disruptionBudgets = 'yes': must be true or false"
    ]
