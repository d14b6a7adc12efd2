"""Autoscaling settings: whether KEDA scales the Celery workers, where KEDA runs and how fast it reacts; whether an HPA
scales the api-server on CPU."""

from __future__ import annotations

from dataclasses import dataclass

from components.settings.customisation import EnvEntry
from components.settings.edge import InstallMode
from components.settings.reader import ConfigReader
from components.settings.rules import dns_label, integer_between, member_of, parse_bool

# Airflow's `[core] parallelism` default: the most task instances one scheduler lets be queued or running at once.
DEFAULT_PARALLELISM = 32
PARALLELISM_VARIABLE = "AIRFLOW__CORE__PARALLELISM"


@dataclass(frozen=True)
class WorkerAutoscalingSettings:
    enabled: bool
    keda_mode: InstallMode
    """`install`: the stack installs KEDA into keda_namespace; `existing`: a KEDA already runs there."""
    keda_namespace: str
    """Namespace of KEDA's operator, which runs the scaler's query: the database admits it (NetworkPolicies)."""
    max_replicas: int
    polling_interval: int
    """Seconds between two runs of the scaler's query."""
    cooldown_period: int
    """Seconds the demand must stay lower before workers are removed (to the minimum, and from one to none)."""


@dataclass(frozen=True)
class ApiServerAutoscalingSettings:
    enabled: bool
    max_replicas: int
    cpu_utilization: int
    """Average CPU use, in percent of the api-server containers' request, that the HPA keeps the pods at."""


def read_api_server_autoscaling(reader: ConfigReader, min_replicas: int) -> ApiServerAutoscalingSettings:
    autoscaling = ApiServerAutoscalingSettings(
        enabled=reader.read("apiServerAutoscaling", parse_bool),
        max_replicas=reader.read("apiServerMaxReplicas", integer_between(1, 20)),
        cpu_utilization=reader.read("apiServerCpuUtilization", integer_between(10, 100)),
    )
    if autoscaling.enabled and autoscaling.max_replicas < min_replicas:
        reader.fail(
            "apiServerMaxReplicas",
            repr(str(autoscaling.max_replicas)),
            f"must be at least airflow:apiServerReplicas ({min_replicas}), the minimum the autoscaler keeps",
        )
    return autoscaling


def read_worker_autoscaling(reader: ConfigReader, namespace: str) -> WorkerAutoscalingSettings:
    autoscaling = WorkerAutoscalingSettings(
        enabled=reader.read("workerAutoscaling", parse_bool),
        keda_mode=reader.read("kedaMode", member_of(InstallMode)),
        keda_namespace=reader.read("kedaNamespace", dns_label),
        max_replicas=reader.read("workerMaxReplicas", integer_between(1, 100)),
        polling_interval=reader.read("workerAutoscalingPollingInterval", integer_between(1, 3600)),
        cooldown_period=reader.read("workerAutoscalingCooldownPeriod", integer_between(30, 86400)),
    )
    if autoscaling.enabled and autoscaling.keda_namespace == namespace:
        reader.fail(
            "kedaNamespace",
            repr(autoscaling.keda_namespace),
            "must differ from airflow:namespace: KEDA's pods there would fall under Airflow's default-deny "
            "NetworkPolicy, and the stack's namespace is deleted with it",
        )
    return autoscaling


def min_worker_replicas(autoscaling: WorkerAutoscalingSettings) -> int:
    """Scale to zero only with the autoscaler: without it no worker would ever run a task."""
    return 0 if autoscaling.enabled else 1


def check_worker_range(reader: ConfigReader, autoscaling: WorkerAutoscalingSettings, min_replicas: int) -> None:
    if autoscaling.enabled and autoscaling.max_replicas < min_replicas:
        reader.fail(
            "workerMaxReplicas",
            repr(str(autoscaling.max_replicas)),
            f"must be at least airflow:workerReplicas ({min_replicas}), the minimum the autoscaler keeps",
        )


def task_slots(autoscaling: WorkerAutoscalingSettings, concurrency: int) -> int:
    return autoscaling.max_replicas * concurrency


def stack_parallelism(
    autoscaling: WorkerAutoscalingSettings, concurrency: int, schedulers: int, airflow_config: tuple[EnvEntry, ...]
) -> int | None:
    """`[core] parallelism` the stack sets when KEDA scales the workers and the team does not set it: enough for every
    worker KEDA may start to be busy. Each scheduler queues at most `parallelism` task instances, so Airflow's default
    (32) would leave workers past 32 / concurrency idle whatever the demand."""
    if not autoscaling.enabled or any(entry.name == PARALLELISM_VARIABLE for entry in airflow_config):
        return None
    return max(DEFAULT_PARALLELISM, -(-task_slots(autoscaling, concurrency) // schedulers))


def parallelism_cap(
    autoscaling: WorkerAutoscalingSettings, concurrency: int, schedulers: int, airflow_config: tuple[EnvEntry, ...]
) -> str | None:
    """Why the largest worker count can never be busy, or None: the team's `[core] parallelism` (0: no limit), per
    scheduler, is below the task slots of workerMaxReplicas workers."""
    given = {entry.name: entry.value for entry in airflow_config}.get(PARALLELISM_VARIABLE)
    if not autoscaling.enabled or given is None:
        return None
    try:
        parallelism = int(given)
    except ValueError:
        return None  # Airflow refuses it at start, naming the option
    slots = task_slots(autoscaling, concurrency)
    if parallelism <= 0 or schedulers * parallelism >= slots:
        return None
    busy = -(-schedulers * parallelism // concurrency)
    return (
        f"workerMaxReplicas ({autoscaling.max_replicas}) x workerConcurrency ({concurrency}) = {slots} task slots, but "
        f"{schedulers} scheduler(s) x core.parallelism ({parallelism}) run at most {schedulers * parallelism} tasks at "
        f"once, so at most {busy} workers are ever busy"
    )
