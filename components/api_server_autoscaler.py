"""ApiServerAutoscaler: a HorizontalPodAutoscaler that adds api-servers when their CPU use rises.

Owns one `autoscaling/v2` HorizontalPodAutoscaler on the api-server Deployment, between `apiServerReplicas` and
`apiServerMaxReplicas`, at `apiServerCpuUtilization` percent of the containers' CPU request. CPU, because the
api-server's load is requests (the UI, the REST API, and every running task's calls to the execution API), which it
spends CPU on; memory grows with its worker processes' caches and would not fall back after a burst. It relies on the
cluster's metrics-server (most managed clusters run one; kind and k3d need it installed) and leaves out the Deployment
(AirflowCore's: `kube.replica_count_owner` makes the stack stop setting its replica count once created).

A scale-down waits five minutes of lower use (the HPA's default window), so a burst's pods are not removed between
two page loads. Each api-server pod counts against the PodDisruptionBudget like the others.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components import kube
from components.settings.autoscaling import ApiServerAutoscalingSettings

COMPONENT = "api-server-autoscaler"


@dataclass(frozen=True)
class ApiServerAutoscalerArgs:
    namespace: pulumi.Input[str]
    deployment: pulumi.Input[str]
    """Name of the api-server Deployment, the scale target (AirflowCore's output)."""
    min_replicas: int
    settings: ApiServerAutoscalingSettings


class ApiServerAutoscaler(pulumi.ComponentResource):
    """The api-server's HorizontalPodAutoscaler."""

    def __init__(self, name: str, args: ApiServerAutoscalerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("airflow:index:ApiServerAutoscaler", name, None, opts)
        k8s.autoscaling.v2.HorizontalPodAutoscaler(
            f"{name}-hpa",
            metadata=kube.object_meta("airflow-api-server", args.namespace, COMPONENT),
            spec=k8s.autoscaling.v2.HorizontalPodAutoscalerSpecArgs(
                scale_target_ref=k8s.autoscaling.v2.CrossVersionObjectReferenceArgs(
                    api_version="apps/v1", kind="Deployment", name=args.deployment
                ),
                min_replicas=args.min_replicas,
                max_replicas=args.settings.max_replicas,
                metrics=[
                    k8s.autoscaling.v2.MetricSpecArgs(
                        type="Resource",
                        resource=k8s.autoscaling.v2.ResourceMetricSourceArgs(
                            name="cpu",
                            target=k8s.autoscaling.v2.MetricTargetArgs(
                                type="Utilization", average_utilization=args.settings.cpu_utilization
                            ),
                        ),
                    )
                ],
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({})
