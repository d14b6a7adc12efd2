"""What the dev and prod stacks ask of a cluster: CPU, memory and volumes, computed from their render.

    python -m tools.sizing          print the sizing table
    python -m tools.sizing --write  rewrite the table between the markers in README.md

Read from the objects the program registers (tools.harness.run_stack), never typed by hand, so the README cannot
promise a smaller footprint than the stacks deploy; a test fails when the README's table is stale. A pod's request is
what the scheduler reserves for it: the larger of its containers' sum (restartable init containers, the sidecars,
included) and its largest one-off init container.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from components.settings import PROJECT_DIR
from tools.harness import run_stack
from tools.render import plain_numbers

README = PROJECT_DIR / "README.md"
START, END = "<!-- sizing:start -->", "<!-- sizing:end -->"
BLOCK = re.compile(re.escape(START) + r"\n(.*?)" + re.escape(END), re.DOTALL)
STACKS = ("dev", "prod")
RUNNING = ("Deployment", "StatefulSet")
SUFFIXES = {
    "m": Decimal("0.001"), "k": Decimal(10) ** 3, "M": Decimal(10) ** 6, "G": Decimal(10) ** 9, "T": Decimal(10) ** 12,
    "Ki": Decimal(2) ** 10, "Mi": Decimal(2) ** 20, "Gi": Decimal(2) ** 30, "Ti": Decimal(2) ** 40,
}  # fmt: skip
GI, MI = Decimal(2) ** 30, Decimal(2) ** 20


def quantity(text: str | float) -> Decimal:
    """A Kubernetes quantity (`250m`, `1`, `0.5`, `512Mi`, `2G`) as a number of cores or bytes."""
    match = re.fullmatch(r"([0-9.]+)(m|k|M|G|T|Ki|Mi|Gi|Ti)?", str(text))
    if not match:
        raise ValueError(f"not a Kubernetes quantity this tool reads: {text!r}")
    return Decimal(match.group(1)) * SUFFIXES.get(match.group(2) or "", Decimal(1))


@dataclass(frozen=True)
class Resources:
    """Requests and limits of a container or a pod; a limit of None means none is set."""

    cpu: Decimal = Decimal(0)
    memory: Decimal = Decimal(0)
    cpu_limit: Decimal | None = Decimal(0)
    memory_limit: Decimal | None = Decimal(0)

    @staticmethod
    def of(container: dict[str, Any]) -> Resources:
        resources = container.get("resources") or {}
        requests, limits = resources.get("requests") or {}, resources.get("limits") or {}

        def limit(name: str) -> Decimal | None:
            return quantity(limits[name]) if name in limits else None

        # Kubernetes takes a container's request from its limit when only the limit is set.
        cpu_limit, memory_limit = limit("cpu"), limit("memory")
        return Resources(
            cpu=quantity(requests["cpu"]) if "cpu" in requests else cpu_limit or Decimal(0),
            memory=quantity(requests["memory"]) if "memory" in requests else memory_limit or Decimal(0),
            cpu_limit=cpu_limit,
            memory_limit=memory_limit,
        )

    def __add__(self, other: Resources) -> Resources:
        return Resources(
            self.cpu + other.cpu,
            self.memory + other.memory,
            None if self.cpu_limit is None or other.cpu_limit is None else self.cpu_limit + other.cpu_limit,
            None if self.memory_limit is None or other.memory_limit is None else self.memory_limit + other.memory_limit,
        )

    def __mul__(self, times: int) -> Resources:
        return Resources(
            self.cpu * times,
            self.memory * times,
            None if self.cpu_limit is None else self.cpu_limit * times,
            None if self.memory_limit is None else self.memory_limit * times,
        )

    def at_least(self, other: Resources) -> Resources:
        """Field by field, the larger of the two: a one-off init container runs alone, before the others."""

        def larger(a: Decimal | None, b: Decimal | None) -> Decimal | None:
            return None if a is None or b is None else max(a, b)

        return Resources(
            max(self.cpu, other.cpu),
            max(self.memory, other.memory),
            larger(self.cpu_limit, other.cpu_limit),
            larger(self.memory_limit, other.memory_limit),
        )


def pod_resources(pod_spec: dict[str, Any]) -> Resources:
    init = pod_spec.get("initContainers") or []
    sidecars = [c for c in init if c.get("restartPolicy") == "Always"]
    running = sum((Resources.of(c) for c in [*pod_spec.get("containers", []), *sidecars]), Resources())
    for one_off in (c for c in init if c.get("restartPolicy") != "Always"):
        running = running.at_least(Resources.of(one_off))
    return running


@dataclass(frozen=True)
class Workload:
    name: str
    kind: str
    pods: int
    """Replicas of a Deployment or StatefulSet; 1 for a Job or a CronJob's run."""
    per_pod: Resources
    claims_per_pod: dict[str, Decimal] = field(default_factory=dict)
    """volumeClaimTemplates: one claim of each per pod."""
    suspended: bool = False


def short_name(name: str) -> str:
    # The migration Job's name ends in hashes of the image and secrets; the table names it without them.
    return re.sub(r"(-[0-9a-f]{8,})+$", "", name.removeprefix("airflow-"))


def workloads(objects: Iterable[dict[str, Any]]) -> list[Workload]:
    found = []
    for manifest in objects:
        kind, spec = manifest.get("kind"), manifest.get("spec") or {}
        if kind not in (*RUNNING, "Job", "CronJob"):
            continue
        template = spec["jobTemplate"]["spec"]["template"] if kind == "CronJob" else spec["template"]
        claims = {
            short_name(claim["metadata"]["name"]): quantity(claim["spec"]["resources"]["requests"]["storage"])
            for claim in spec.get("volumeClaimTemplates") or []
        }
        found.append(
            Workload(
                name=short_name(manifest["metadata"]["name"]),
                kind=kind,
                pods=int(spec.get("replicas", 1)) if kind in RUNNING else 1,
                per_pod=pod_resources(template["spec"]),
                claims_per_pod=claims,
                suspended=bool(spec.get("suspend")),
            )
        )
    return sorted(found, key=lambda w: (w.kind not in RUNNING, w.name))


def claims(objects: Iterable[dict[str, Any]]) -> dict[str, Decimal]:
    """The PersistentVolumeClaims the stack creates itself (the database's, the backups')."""
    return {
        short_name(m["metadata"]["name"]): quantity(m["spec"]["resources"]["requests"]["storage"])
        for m in objects
        if m.get("kind") == "PersistentVolumeClaim"
    }


def rendered_objects(stack: str) -> list[dict[str, Any]]:
    return [plain_numbers(r.plain_inputs) for r in run_stack(stack).kubernetes_objects()]


def cores(value: Decimal | None) -> str:
    if value is None:
        return "no limit"
    if value < 1:
        return f"{(value * 1000).normalize():f}m"
    return f"{value.quantize(Decimal('0.01')).normalize():f}"


def size(value: Decimal | None) -> str:
    if value is None:
        return "no limit"
    if value < GI:
        return f"{(value / MI).quantize(Decimal('1')).normalize():f}Mi"
    return f"{(value / GI).quantize(Decimal('0.01')).normalize():f}Gi"


def resources_text(resources: Resources) -> str:
    return (
        f"{cores(resources.cpu)} / {cores(resources.cpu_limit)} CPU, "
        f"{size(resources.memory)} / {size(resources.memory_limit)}"
    )


def workload_cell(workload: Workload | None) -> str:
    if workload is None:
        return "—"
    return f"{workload.pods} × {resources_text(workload.per_pod)}"


def running_total(found: list[Workload]) -> tuple[int, Resources]:
    running = [w for w in found if w.kind in RUNNING]
    return sum(w.pods for w in running), sum((w.per_pod * w.pods for w in running), Resources())


def volumes_cell(found: list[Workload], own_claims: dict[str, Decimal]) -> str:
    parts = [f"{name} {size(value)}" for name, value in sorted(own_claims.items())]
    total = sum(own_claims.values(), Decimal(0))
    for workload in found:
        for name, value in sorted(workload.claims_per_pod.items()):
            parts.append(f"{workload.name} {name} {workload.pods} × {size(value)}")
            total += value * workload.pods
    return f"{size(total)}: " + ", ".join(parts)


def table(renders: dict[str, list[dict[str, Any]]]) -> str:
    """The sizing table of these renders (stack name to its Kubernetes objects), one column per stack."""
    stacks = list(renders)
    found = {stack: workloads(objects) for stack, objects in renders.items()}
    names: dict[str, Workload] = {}
    for stack in stacks:
        for workload in found[stack]:
            names.setdefault(workload.name, workload)
    by_name = {stack: {w.name: w for w in found[stack]} for stack in stacks}
    rows = [
        f"| workload: pods × CPU request / limit, memory request / limit | {' | '.join(f'`{s}`' for s in stacks)} |",
        "| --- |" + " --- |" * len(stacks),
    ]
    ordered = sorted(names.values(), key=lambda w: (w.kind not in RUNNING, w.name))
    for workload in (w for w in ordered if w.kind in RUNNING):
        rows.append(f"| {workload.name} | {' | '.join(workload_cell(by_name[s].get(workload.name)) for s in stacks)} |")
    totals = []
    for stack in stacks:
        pods, total = running_total(found[stack])
        totals.append(f"**{pods} pods: {resources_text(total)}**")
    rows.append(f"| **always running, in all** | {' | '.join(totals)} |")
    for workload in (w for w in ordered if w.kind not in RUNNING):
        when = "on demand" if workload.suspended else ("at each migration" if workload.kind == "Job" else "while it runs")
        rows.append(
            f"| {workload.name} ({when}) | {' | '.join(workload_cell(by_name[s].get(workload.name)) for s in stacks)} |"
        )
    rows.append(
        f"| persistent volumes | {' | '.join(volumes_cell(found[s], claims(renders[s])) for s in stacks)} |"
    )
    return "\n".join(rows) + "\n"


def documented_table(document: str) -> str:
    match = BLOCK.search(document)
    if not match:
        raise ValueError(f"{README.name} has no {START} ... {END} block")
    return match.group(1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.sizing", description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="rewrite the table in README.md")
    options = parser.parse_args(argv)
    text = table({stack: rendered_objects(stack) for stack in STACKS})
    if not options.write:
        sys.stdout.write(text)
        return 0
    document = README.read_text()
    documented_table(document)
    README.write_text(BLOCK.sub(lambda _: f"{START}\n{text}{END}", document))
    return 0


if __name__ == "__main__":
    sys.exit(main())
