"""WorkerLogs: where Celery workers keep task logs, and how the UI reaches the logs of running tasks.

Owns the headless Service that gives every worker pod a stable DNS name (it is the worker StatefulSet's serviceName);
the api-server reads logs of running tasks from `http://<worker hostname>:8793`. Exposes, as a `WorkerStorage`, what
the worker StatefulSet takes; the StatefulSet itself belongs to AirflowCore.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components import kube
from components.airflow import AIRFLOW_HOME, WORKER_LOG_PORT, WorkerStorage

COMPONENT = "worker"
LOGS_PATH = f"{AIRFLOW_HOME}/logs"


@dataclass(frozen=True)
class WorkerLogsArgs:
    """Inputs of the worker logs."""

    namespace: pulumi.Input[str]
    """Namespace of the workers."""


class WorkerLogs(pulumi.ComponentResource):
    """The logs volume of the Celery workers and the Service through which their log servers are reached."""

    service_name: pulumi.Output[str]
    """Name of the headless Service of the workers."""
    storage: WorkerStorage
    """What the worker StatefulSet takes: serviceName, volumes, mounts."""

    def __init__(self, name: str, args: WorkerLogsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("airflow:index:WorkerLogs", name, None, opts)
        service = k8s.core.v1.Service(
            f"{name}-service",
            metadata=kube.object_meta("airflow-worker", args.namespace, COMPONENT),
            spec=k8s.core.v1.ServiceSpecArgs(
                cluster_ip="None",
                selector=kube.selector_labels(COMPONENT),
                ports=[k8s.core.v1.ServicePortArgs(name="worker-logs", port=WORKER_LOG_PORT, target_port="worker-logs")],
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        logs_volume, logs_mount = kube.writable_dir("logs", LOGS_PATH, "1Gi")
        self.service_name = service.metadata.name
        self.storage = WorkerStorage(
            service_name=self.service_name,
            addons=kube.PodAddons(volumes=[logs_volume], mounts=[logs_mount]),
        )
        self.register_outputs({"service_name": self.service_name})
