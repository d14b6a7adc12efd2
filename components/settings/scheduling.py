"""Where pods run: `scheduling`, as `{default: {...}, <component>: {...}}` of the PodSpec fields that place a pod,
in Kubernetes' own shape, checked against Kubernetes' schema of those fields (PodCustomisation).

The schema is the part of Kubernetes' OpenAPI that covers these fields (`pod_scheduling_schema.json`, written by
`python -m tools.scheduling_schema --write` from the schemas the tests bundle, so the program needs no schema library
at `pulumi up`). The checker below reads the few JSON Schema keywords that part uses, and closes every object that
lists its fields, as the API server's strict field validation does; each error names the key path.
"""

from __future__ import annotations

import difflib
import json
from functools import cache
from pathlib import Path
from typing import Any

from components.settings.reader import ConfigReader

FIELDS = ("nodeSelector", "tolerations", "affinity", "topologySpreadConstraints", "priorityClassName")
SCHEMA_FILE = Path(__file__).with_name("pod_scheduling_schema.json")
JSON_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "null": (type(None),),
}


@cache
def schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SCHEMA_FILE.read_text())
    return loaded


def type_matches(value: Any, types: str | list[str]) -> bool:
    names = [types] if isinstance(types, str) else types
    if isinstance(value, bool):  # a bool is an int to Python, never a number to JSON
        return "boolean" in names
    return any(isinstance(value, JSON_TYPES[name]) for name in names)


def check(value: Any, node: dict[str, Any], path: str) -> list[tuple[str, str]]:
    """(key path, what is wrong) for every problem of `value` under the schema `node`."""
    if "$ref" in node:
        return check(value, schema()["definitions"][node["$ref"].removeprefix("#/$defs/")], path)
    if "type" in node and not type_matches(value, node["type"]):
        wanted = node["type"] if isinstance(node["type"], str) else " or ".join(t for t in node["type"] if t != "null")
        return [(path, f"must be of type {wanted}")]
    if "enum" in node and value not in node["enum"]:
        return [(path, "must be one of " + ", ".join(map(str, node["enum"])))]
    problems: list[tuple[str, str]] = []
    if isinstance(value, dict):
        properties = node.get("properties")
        for name in node.get("required", []):
            if name not in value:
                problems.append((path, f"needs the field {name!r}"))
        for name, item in value.items():
            if properties is not None and name in properties:
                problems += check(item, properties[name], f"{path}.{name}")
            elif isinstance(node.get("additionalProperties"), dict):
                problems += check(item, node["additionalProperties"], f"{path}.{name}")
            elif properties is not None:
                close = difflib.get_close_matches(name, properties, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                problems.append((f"{path}.{name}", f"is not a field of Kubernetes' schema here{hint}"))
    if isinstance(value, list) and "items" in node:
        for index, item in enumerate(value):
            problems += check(item, node["items"], f"{path}[{index}]")
    return problems


def read_scheduling(reader: ConfigReader) -> dict[str, dict[str, Any]]:
    """Per component label (or `default`), the PodSpec fields the team sets."""
    result: dict[str, dict[str, Any]] = {}
    for component, fields in reader.per_component("scheduling", "holding PodSpec fields"):
        key = f"scheduling.{component}"
        for name, value in fields.items():
            if name not in FIELDS:
                reader.fail(f"{key}.{name}", repr(value), f"must be one of the fields {', '.join(FIELDS)}")
                continue
            for path, problem in check(value, schema()["fields"][name], f"{key}.{name}"):
                reader.fail(path, "(value)", problem)
        result[component] = {name: value for name, value in fields.items() if name in FIELDS}
    return result
