"""Renders the program under Pulumi's mocks for the acceptance tier: every Kubernetes object it would create, with
the inputs the provider would send, what it depends on, and whether `pulumi destroy` would keep it.

    .venv/bin/python e2e/render_program.py CONFIGS.json OUT.json

Runs in the project's .venv (the Pulumi SDK, tools.harness), not in the e2e virtualenv: rendering.py starts it.
CONFIGS.json is a list of stack configurations ({key: value}, keys without the project prefix); OUT.json gets one
list of objects per configuration, in registration order. The renders share the process: each takes well under a
second, starting Python and the SDK takes longer.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from components.settings import project_file
from tools.harness import Capture, Registration, run_program
from tools.render import plain_numbers


def config_values(project: str, values: dict[str, Any]) -> dict[str, str]:
    """Stack config as the CLI passes it to the program: `<project>:<key>` to text, booleans lower-case, objects and
    arrays as JSON."""
    return {f"{project}:{k}": cli_text(v) for k, v in values.items()}


def cli_text(value: Any) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value).lower() if isinstance(value, bool) else str(value)


def kubernetes_dependencies(capture: Capture) -> dict[str, list[str]]:
    """For each object the program creates, the created objects it waits for. A dependency on anything else stands
    for what that waits for: a component for its children, a random value for its own dependencies."""
    by_urn = capture.by_urn()
    created = {r.urn for r in capture.kubernetes_objects()}
    children: dict[str, list[str]] = {}
    for r in capture.registrations:
        children.setdefault(r.parent, []).append(r.urn)

    def reached(urn: str, seen: set[str]) -> set[str]:
        if urn in seen or urn not in by_urn:
            return set()
        seen.add(urn)
        if urn in created:
            return {urn}
        through = by_urn[urn].dependencies + children.get(urn, [])
        return {found for d in through for found in reached(d, seen)}

    return {
        r.urn: sorted({found for d in r.dependencies for found in reached(d, set())} - {r.urn})
        for r in capture.kubernetes_objects()
    }


def rendered(registration: Registration, depends_on: list[str]) -> dict[str, Any]:
    # Secret values in clear: they are the mocks' fake values, and the API server has to store them as they are.
    manifest = plain_numbers(registration.plain_inputs)
    if not (manifest.get("metadata") or {}).get("name"):
        # The provider would name it `<resource name>-<random suffix>`; the tests find objects by their names.
        raise ValueError(f"{registration.type} {registration.name!r} has no metadata.name: the acceptance tier "
                         f"does not mimic the provider's auto-naming")
    return {
        "urn": registration.urn,
        "type": registration.type,
        "name": registration.name,
        "retainOnDelete": registration.retain_on_delete,
        "dependsOn": depends_on,
        "manifest": manifest,
    }


def main(configs_file: str, out_file: str) -> int:
    project = str(project_file()["name"])
    renders = []
    for values in json.loads(Path(configs_file).read_text()):
        capture = run_program(config_values(project, values))
        depends_on = kubernetes_dependencies(capture)
        renders.append([rendered(r, depends_on[r.urn]) for r in capture.kubernetes_objects()])
    Path(out_file).write_text(json.dumps(renders))
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
