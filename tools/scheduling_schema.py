"""Writes the Kubernetes schema of the pod fields `scheduling` sets, for the settings to validate a stack's fragments.

    python -m tools.scheduling_schema [--write]     (without --write: exit 1 if the committed file is stale)

The program cannot depend on kubernetes-validate (a test tool), so the part of its bundled OpenAPI schema that covers
`nodeSelector`, `tolerations`, `affinity`, `topologySpreadConstraints` and `priorityClassName` of a PodSpec, with
every definition they reach and without the descriptions, is committed beside the settings. It is taken from the
oldest Kubernetes minor the product supports (tools.validate.KUBERNETES_VERSIONS), whose fields every newer one has.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from components.settings.scheduling import FIELDS, SCHEMA_FILE
from tools.validate import KUBERNETES_VERSIONS, bundled_schema_dir


def without_descriptions(schema: Any) -> Any:
    if isinstance(schema, list):
        return [without_descriptions(item) for item in schema]
    if isinstance(schema, dict):
        return {key: without_descriptions(value) for key, value in schema.items() if key != "description"}
    return schema


def references(schema: Any) -> set[str]:
    if isinstance(schema, list):
        return {name for item in schema for name in references(item)}
    if isinstance(schema, dict):
        found = {schema["$ref"].removeprefix("#/$defs/")} if "$ref" in schema else set()
        return found | {name for value in schema.values() for name in references(value)}
    return set()


def generate() -> str:
    version = KUBERNETES_VERSIONS[0]
    definitions = json.loads((bundled_schema_dir(version) / "_definitions.json").read_text())["$defs"]
    pod_spec = definitions["io.k8s.api.core.v1.PodSpec"]["properties"]
    fields = {name: without_descriptions(pod_spec[name]) for name in FIELDS}
    needed, pending = set(), references(fields)
    while pending:
        name = pending.pop()
        needed.add(name)
        pending |= references(definitions[name]) - needed
    schema = {
        "kubernetes": version,
        "fields": fields,
        "definitions": {name: without_descriptions(definitions[name]) for name in sorted(needed)},
    }
    return json.dumps(schema, indent=1, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.scheduling_schema", description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="write the file instead of checking it")
    options = parser.parse_args(argv)
    text = generate()
    if options.write:
        SCHEMA_FILE.write_text(text)
        return 0
    if SCHEMA_FILE.read_text() != text:
        print(f"{SCHEMA_FILE} is stale: run python -m tools.scheduling_schema --write", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
