"""Requests, limits and replica counts of a process, read the same way for every component."""

from __future__ import annotations

from dataclasses import dataclass

from components.settings.reader import ConfigReader
from components.settings.rules import cpu_quantity, integer_between, memory_quantity, quantity_value


@dataclass(frozen=True)
class Resources:
    """CPU and memory requests and limits of one container."""

    cpu_request: str
    cpu_limit: str
    memory_request: str
    memory_limit: str


@dataclass(frozen=True)
class ProcessSettings:
    """One Airflow process (api-server, scheduler, ...): how many pods and how big each is."""

    replicas: int
    resources: Resources


def read_resources(reader: ConfigReader, prefix: str) -> Resources:
    resources = Resources(
        cpu_request=reader.read(f"{prefix}CpuRequest", cpu_quantity),
        cpu_limit=reader.read(f"{prefix}CpuLimit", cpu_quantity),
        memory_request=reader.read(f"{prefix}MemoryRequest", memory_quantity),
        memory_limit=reader.read(f"{prefix}MemoryLimit", memory_quantity),
    )
    for kind in ("cpu", "memory"):
        request = getattr(resources, f"{kind}_request")
        limit = getattr(resources, f"{kind}_limit")
        if quantity_value(request) > quantity_value(limit):
            reader.fail(
                f"{prefix}{kind.capitalize()}Request",
                repr(request),
                f"must not exceed {reader.qualified(prefix + kind.capitalize() + 'Limit')} ({limit!r})",
            )
    return resources


def read_process(reader: ConfigReader, prefix: str, max_replicas: int = 20, min_replicas: int = 1) -> ProcessSettings:
    return ProcessSettings(
        replicas=reader.read(f"{prefix}Replicas", integer_between(min_replicas, max_replicas)),
        resources=read_resources(reader, prefix),
    )

