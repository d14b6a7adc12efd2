"""The kube context a deploy would use, as one line for deploy.sh to show before `pulumi up`.

    python -m tools.kube_context [CONTEXT]   prints `<context> (cluster <name> at <server>)` for CONTEXT (the
                                             stack's kubernetes:context), else for the current context

The Kubernetes provider uses the current context of the kubeconfig (KUBECONFIG, else ~/.kube/config) unless the stack
names another (`kubernetes:context`); showing it before `up` is what stops a deploy to the wrong cluster. Reads the
file only; needs no kubectl.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import yaml


def kubeconfig_paths(environ: dict[str, str]) -> list[Path]:
    if environ.get("KUBECONFIG"):
        return [Path(p) for p in environ["KUBECONFIG"].split(os.pathsep) if p]
    return [Path(environ.get("HOME", "~")).expanduser() / ".kube" / "config"]


def describe(config: dict[str, Any], context: str | None = None) -> str:
    """`<context> (cluster <name> at <server>)` for the named context, or the file's current one."""
    name = context or config.get("current-context")
    if not name:
        return "(no current context)"
    contexts = {c["name"]: c.get("context", {}) for c in config.get("contexts") or []}
    if name not in contexts:
        return f"{name} (not in the kubeconfig)"
    cluster = contexts[name].get("cluster", "?")
    servers = {c["name"]: c.get("cluster", {}).get("server", "?") for c in config.get("clusters") or []}
    return f"{name} (cluster {cluster} at {servers.get(cluster, '?')})"


def merged(paths: list[Path]) -> dict[str, Any]:
    """The kubeconfig files merged as kubectl does: the first file that sets a value wins."""
    result: dict[str, Any] = {"current-context": None, "contexts": [], "clusters": []}
    for path in paths:
        if not path.is_file():
            continue
        loaded = yaml.safe_load(path.read_text()) or {}
        result["current-context"] = result["current-context"] or loaded.get("current-context")
        for key in ("contexts", "clusters"):
            known = {item["name"] for item in result[key]}
            result[key] += [item for item in loaded.get(key) or [] if item["name"] not in known]
    return result


def main(argv: list[str]) -> int:
    print(describe(merged(kubeconfig_paths(dict(os.environ))), argv[0] if argv and argv[0] else None))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
