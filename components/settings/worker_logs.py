"""Worker logs: the logs volume of each Celery worker and its groomer (WorkerLogs)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from components.settings.reader import ConfigReader
from components.settings.resources import Resources, read_resources
from components.settings.rules import dns_subdomain_or_empty, integer_between, member_of, memory_quantity, parse_bool


class ClaimRetention(StrEnum):
    """What the StatefulSet controller does with a worker's logs claim (Kubernetes' own vocabulary)."""

    RETAIN = "Retain"
    DELETE = "Delete"


@dataclass(frozen=True)
class WorkerLogsSettings:
    """Where the Celery workers keep task logs, how long logs live, and what happens to the volumes."""

    persistence: bool
    """A PersistentVolumeClaim per worker (true) or an emptyDir that dies with the pod (false)."""
    size: str
    """Size of each worker's claim, or the emptyDir's size limit."""
    storage_class: str
    """StorageClass of the claims; empty means the cluster's default class."""
    when_scaled: ClaimRetention
    """Claims of workers removed by a scale-down."""
    when_deleted: ClaimRetention
    """Claims of all workers when the StatefulSet is deleted (also on its replacement)."""
    retention_days: int
    """The groomer deletes log files older than this."""
    fix_permissions: bool
    """A root init container that chowns the volume, for provisioners that ignore fsGroup."""
    groomer: Resources
    """Requests and limits of the groomer sidecar (also used by the permissions fix)."""


def read_worker_logs(reader: ConfigReader) -> WorkerLogsSettings:
    logs = WorkerLogsSettings(
        persistence=reader.read("workerLogsPersistence", parse_bool),
        size=reader.read("workerLogsSize", memory_quantity),
        storage_class=reader.read("workerLogsStorageClass", dns_subdomain_or_empty),
        when_scaled=reader.read("workerLogsWhenScaled", member_of(ClaimRetention)),
        when_deleted=reader.read("workerLogsWhenDeleted", member_of(ClaimRetention)),
        retention_days=reader.read("workerLogsRetentionDays", integer_between(1, 3650)),
        fix_permissions=reader.read("workerLogsFixPermissions", parse_bool),
        groomer=read_resources(reader, "logGroomer"),
    )
    if logs.fix_permissions and not logs.persistence:
        reader.fail(
            "workerLogsFixPermissions",
            "'true'",
            "only applies when airflow:workerLogsPersistence is true: an emptyDir always honours fsGroup",
        )
    return logs

