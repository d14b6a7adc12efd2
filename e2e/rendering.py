"""The program rendered under Pulumi's mocks (render_program.py, in the project's .venv), as the objects `pulumi up`
would create, in an order `pulumi up` could create them in."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from layout import E2E, REPO, VENV

RENDER_TIMEOUT_S = 300
# Among objects whose dependencies are all created, the order a cluster settles fastest in: what Pods need
# (their ServiceAccount, Secrets, claims) before the controllers that create Pods. Every order the dependencies
# allow is one `pulumi up` could take, since it creates whatever is ready in parallel.
KIND_RANK = {kind: rank for rank, kinds in enumerate([
    ("Namespace",),
    ("ServiceAccount", "Secret", "ConfigMap", "PersistentVolumeClaim"),
    ("Service", "NetworkPolicy", "Role", "RoleBinding", "ClusterIssuer", "Issuer", "Certificate"),
]) for kind in kinds}
LATER = len({*KIND_RANK.values()})
WORKLOAD_KINDS = {"Deployment", "StatefulSet", "Job", "DaemonSet", "CronJob"}


@dataclass(frozen=True)
class RenderedObject:
    urn: str
    type: str
    name: str
    retain_on_delete: bool
    depends_on: tuple[str, ...]
    manifest: dict[str, Any]

    @property
    def api_version(self) -> str:
        return self.manifest["apiVersion"]

    @property
    def kind(self) -> str:
        return self.manifest["kind"]

    @property
    def object_name(self) -> str:
        return self.manifest["metadata"]["name"]

    @property
    def namespace(self) -> str | None:
        return self.manifest["metadata"].get("namespace")

    @property
    def label(self) -> str:
        """Kind, namespace/name and the Pulumi resource name, for messages."""
        where = f"{self.namespace}/{self.object_name}" if self.namespace else self.object_name
        return f"{self.kind} {where} ({self.name})"


def render(configs: list[dict[str, Any]]) -> list[list[RenderedObject]]:
    """One rendering of the program per stack configuration, in one run of the project's interpreter."""
    python = VENV / "bin" / "python"
    if not python.is_file():
        raise FileNotFoundError(f"{python} is missing: the acceptance tier renders the program with the project's "
                                f".venv (./test.sh creates it)")
    with tempfile.TemporaryDirectory(prefix="airflow-e2e-render-") as tmp:
        configs_file, out_file = Path(tmp) / "configs.json", Path(tmp) / "objects.json"
        configs_file.write_text(json.dumps(configs))
        env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")}
        # The program and tools/ import from the repository root; nothing is written into it.
        env.update(PYTHONPATH=str(REPO), PYTHONDONTWRITEBYTECODE="1")
        result = subprocess.run(
            [str(python), str(E2E / "render_program.py"), str(configs_file), str(out_file)],
            cwd=REPO, env=env, capture_output=True, text=True, timeout=RENDER_TIMEOUT_S, stdin=subprocess.DEVNULL)
        if result.returncode != 0:
            raise RuntimeError(f"rendering the program failed ({result.returncode}):\n{result.stdout[-4000:]}\n"
                               f"{result.stderr[-4000:]}")
        renders = json.loads(out_file.read_text())
    return [[RenderedObject(o["urn"], o["type"], o["name"], o["retainOnDelete"], tuple(o["dependsOn"]), o["manifest"])
             for o in objects] for objects in renders]


def creation_order(objects: list[RenderedObject]) -> list[RenderedObject]:
    """Each object after everything it depends on; among those ready, by KIND_RANK, then in registration order."""
    index = {o.urn: i for i, o in enumerate(objects)}
    unknown = {d for o in objects for d in o.depends_on} - index.keys()
    if unknown:
        raise ValueError(f"dependencies on objects the program does not create: {sorted(unknown)}")
    waiting = {o.urn: set(o.depends_on) for o in objects}
    done: list[RenderedObject] = []
    while waiting:
        ready = [objects[index[urn]] for urn, deps in waiting.items() if not deps]
        if not ready:
            raise ValueError(f"dependency cycle among {sorted(waiting)}")
        first = min(ready, key=lambda o: (KIND_RANK.get(o.kind, LATER), index[o.urn]))
        done.append(first)
        del waiting[first.urn]
        for deps in waiting.values():
            deps.discard(first.urn)
    return done
