"""Offline render: what `pulumi up` of a stack would create, as files a reviewer can read and scanners can check.

    python -m tools.render --stack dev --out /tmp/render [--lb-address 203.0.113.10]

Runs the real program under Pulumi's mocks with Pulumi.yaml's defaults overlaid by Pulumi.<stack>.yaml (encrypted
values replaced by fake placeholders) and writes:
  manifests.yaml      every Kubernetes object, secret values redacted
  helm-releases.yaml  every Helm release: name, chart, repository, version, namespace, values
  resources.json      every Pulumi resource: type, name, parent, dependencies, secret input paths
Exits 1 with the settings' message when the stack's configuration is invalid.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import pulumi
import yaml

from tools.harness import DEFAULT_LB_ADDRESS, Capture, Registration, reveal, run_stack, secret_paths

REDACTED = "REDACTED"
HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
# Keys the Pulumi SDK adds to a Helm release's inputs on the wire; not part of what a reviewer set.
HELM_WIRE_ONLY = {"compat"}


def plain_numbers(value: Any) -> Any:
    """Wire numbers are floats; Kubernetes schemas want integers where the value is whole."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: plain_numbers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain_numbers(item) for item in value]
    return value


def manifest(registration: Registration) -> dict[str, Any]:
    redacted: dict[str, Any] = plain_numbers(reveal(registration.inputs, redact=REDACTED))
    if isinstance(redacted.get("stringData"), str):
        # The whole map was one secret value: keep its keys visible, only the values redacted.
        keys = reveal(registration.inputs["stringData"]).keys()
        redacted["stringData"] = dict.fromkeys(keys, REDACTED)
    return redacted


def helm_release(registration: Registration) -> dict[str, Any]:
    inputs = plain_numbers(reveal(registration.inputs, redact=REDACTED))
    return {
        "name": inputs.get("name", registration.name),
        "chart": inputs.get("chart"),
        "repository": (inputs.get("repositoryOpts") or {}).get("repo"),
        "version": inputs.get("version"),
        "namespace": inputs.get("namespace"),
        "values": inputs.get("values", {}),
    }


def resource_entries(capture: Capture) -> list[dict[str, Any]]:
    names = {r.urn: r.name for r in capture.registrations}
    ordered = sorted(capture.registrations, key=lambda r: (r.type, r.name))
    return [
        {
            "type": r.type,
            "name": r.name,
            "parent": names.get(r.parent),
            "dependsOn": sorted({names[d] for d in r.dependencies if d in names}),
            "secretInputs": secret_paths(r.inputs),
        }
        for r in ordered
    ]


def write_render(capture: Capture, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    # Sorted, so that two renders of the same program are byte-identical and a diff between them shows only changes.
    objects = sorted(
        (manifest(r) for r in capture.kubernetes_objects()),
        key=lambda o: (o.get("kind", ""), o.get("metadata", {}).get("namespace", ""), o.get("metadata", {}).get("name", "")),
    )
    (out / "manifests.yaml").write_text(yaml.safe_dump_all(objects, sort_keys=False))
    releases = [helm_release(r) for r in capture.registrations if r.type == HELM_RELEASE]
    (out / "helm-releases.yaml").write_text(yaml.safe_dump({"releases": releases}, sort_keys=False))
    (out / "resources.json").write_text(json.dumps(resource_entries(capture), indent=2) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.render", description=__doc__.splitlines()[0])
    parser.add_argument("--stack", required=True, help="stack name: renders Pulumi.<stack>.yaml")
    parser.add_argument("--out", required=True, type=Path, help="directory to write the three files into")
    parser.add_argument(
        "--lb-address", default=DEFAULT_LB_ADDRESS, help="address the ingress load balancer is assumed to get"
    )
    options = parser.parse_args(argv)
    try:
        capture = run_stack(options.stack, lb_address=options.lb_address)
    except (pulumi.RunError, FileNotFoundError) as error:
        print(f"render of stack {options.stack!r} failed:\n{error}", file=sys.stderr)
        return 1
    write_render(capture, options.out)
    print(
        f"rendered stack {options.stack!r}: {len(capture.kubernetes_objects())} Kubernetes objects, "
        f"{len(capture.registrations)} resources -> {options.out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
