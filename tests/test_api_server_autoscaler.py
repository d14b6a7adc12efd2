"""ApiServerAutoscaler: an HPA on the api-server's CPU, its count left to the HPA, and its settings.

The real engine leaves an autoscaler's count alone and takes it back when autoscaling is off (e2e/test_airflow.py,
with the workers and the api-server both autoscaled)."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

from components import kube
from tests.conftest import Run, config_of, settings_problems
from tools.harness import Capture

HPA = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"


def test_should_scale_the_api_server_deployment_on_its_cpu_use(run: Run) -> None:
    capture = run(apiServerAutoscaling=True, apiServerReplicas=2, apiServerMaxReplicas=6, apiServerCpuUtilization=60)
    assert capture.one(HPA, "api-server-autoscaler-hpa").plain_inputs == {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {
            "name": "airflow-api-server",
            "namespace": "airflow",
            "labels": {
                "app.kubernetes.io/name": "airflow",
                "app.kubernetes.io/part-of": "airflow",
                "app.kubernetes.io/component": "api-server-autoscaler",
                "app.kubernetes.io/managed-by": "pulumi",
            },
        },
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "airflow-api-server"},
            "minReplicas": 2,
            "maxReplicas": 6,
            "metrics": [
                {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 60}}}
            ],
        },
    }
    deployment = capture.object("Deployment", "airflow-api-server")
    assert capture.one(HPA, "api-server-autoscaler-hpa").plain_inputs["spec"]["scaleTargetRef"]["name"] == (
        deployment["metadata"]["name"]
    )
    by_urn = {r.urn: r.name for r in capture.registrations}
    owned = {r.name: (r.type, by_urn.get(r.parent)) for r in capture.registrations if r.name.startswith("api-server-autoscaler")}
    assert owned == {
        "api-server-autoscaler": ("airflow:index:ApiServerAutoscaler", None),
        "api-server-autoscaler-hpa": (HPA, "api-server-autoscaler"),
    }


def test_should_create_no_hpa_when_off(default_run: Capture) -> None:
    assert default_run.of_type(HPA) == []


@pytest.mark.parametrize(("autoscaled", "ignored"), [(True, ["spec.replicas"]), (False, None)])
def test_should_leave_the_api_server_count_to_the_hpa_only_when_it_scales_it(autoscaled: bool, ignored: list[str] | None) -> None:
    args = pulumi.ResourceTransformationArgs(
        resource=None,  # type: ignore[arg-type]
        type_="kubernetes:apps/v1:Deployment",
        name="airflow-api-server",
        props={"metadata": kube.object_meta("airflow-api-server", "airflow", "api-server")},
        opts=pulumi.ResourceOptions(),
    )
    result = kube.replica_count_owner(kube.DEPLOYMENT, "api-server", autoscaled)(args)
    assert result is not None
    assert result.opts.ignore_changes == ignored


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (
            {"apiServerAutoscaling": True, "apiServerReplicas": 3, "apiServerMaxReplicas": 2},
            "airflow:apiServerMaxReplicas = '2': must be at least airflow:apiServerReplicas (3), the minimum the "
            "autoscaler keeps",
        ),
        ({"apiServerMaxReplicas": 21}, "airflow:apiServerMaxReplicas = '21': must be a whole number from 1 to 20"),
        ({"apiServerCpuUtilization": 9}, "airflow:apiServerCpuUtilization = '9': must be a whole number from 10 to 100"),
        ({"apiServerCpuUtilization": 101}, "airflow:apiServerCpuUtilization = '101': must be a whole number from 10 to 100"),
        ({"apiServerAutoscaling": "yes please"}, "airflow:apiServerAutoscaling = 'yes please': must be true or false"),
    ],
)
def test_should_refuse_api_server_autoscaling_settings_that_cannot_work(values: dict[str, Any], expected: str) -> None:
    assert settings_problems(config_of(**values)) == [expected]


@pytest.mark.parametrize(("replicas", "maximum", "utilization"), [(1, 1, 10), (20, 20, 100)])
def test_should_take_the_limits_of_each_setting(run: Run, replicas: int, maximum: int, utilization: int) -> None:
    values = {"apiServerReplicas": replicas, "apiServerMaxReplicas": maximum, "apiServerCpuUtilization": utilization}
    spec = run(apiServerAutoscaling=True, **values).one(HPA, "api-server-autoscaler-hpa").plain_inputs["spec"]
    assert (spec["minReplicas"], spec["maxReplicas"], spec["metrics"][0]["resource"]["target"]["averageUtilization"]) == (
        replicas,
        maximum,
        utilization,
    )
