"""DisruptionBudgets: a voluntary disruption (a node drain, a cluster upgrade) never takes every pod of a process at once,
and never waits for ever on one either.

Owns one PodDisruptionBudget per workload it is given (by component label): the Airflow processes, and the in-cluster
PostgreSQL and broker when the stack runs them. Each allows one pod down at a time (`maxUnavailable: 1`):
with two or more replicas a drain evicts them one by one, the next only once the evicted one is running again
elsewhere, so the process keeps serving; with one replica the drain evicts it at once (a `minAvailable: 1` budget
would block the drain for ever), and the process is down until its pod is running again elsewhere. An unhealthy pod
may always be evicted (`unhealthyPodEvictionPolicy: AlwaysAllow`, Kubernetes 1.31+), so a pod that never got ready
cannot hold a drain up either. It creates no workload and leaves involuntary disruptions (a node lost) to the
workloads' own controllers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components import kube

COMPONENT = "disruption-budget"
MAX_UNAVAILABLE = 1


@dataclass(frozen=True)
class DisruptionBudgetsArgs:
    namespace: pulumi.Input[str]
    """Namespace of the workloads and their budgets."""
    components: Sequence[str]
    """The workloads, by their pods' `app.kubernetes.io/component` label."""


class DisruptionBudgets(pulumi.ComponentResource):
    """One PodDisruptionBudget per workload."""

    def __init__(self, name: str, args: DisruptionBudgetsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("airflow:index:DisruptionBudgets", name, None, opts)
        for component in sorted(args.components):
            k8s.policy.v1.PodDisruptionBudget(
                f"{name}-{component}",
                metadata=kube.object_meta(f"airflow-{component}", args.namespace, COMPONENT),
                spec=k8s.policy.v1.PodDisruptionBudgetSpecArgs(
                    max_unavailable=MAX_UNAVAILABLE,
                    selector=k8s.meta.v1.LabelSelectorArgs(match_labels=kube.selector_labels(component)),
                    unhealthy_pod_eviction_policy="AlwaysAllow",
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.register_outputs({})
