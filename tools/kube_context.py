"""The kube context a deploy goes to, checked and named in one line for deploy.sh to show before `pulumi up`.

    python -m tools.kube_context --stack STACK   prints `<context> (cluster <name> at <server>)`; exits 1 with the
                                                 reason when STACK is bound to a context that is not the current one

The Kubernetes provider uses the stack's `kubernetes:context` when Pulumi.<stack>.yaml names one, else the current
context of the kubeconfig (KUBECONFIG, else ~/.kube/config). Staging and prod name theirs, so a stack file cannot
reach the wrong cluster; requiring that context to be the current one as well keeps the kubectl commands an operator
runs after the deploy on the cluster the deploy went to. Reads the files only: no kubectl, no Pulumi passphrase.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

import yaml

from components.settings import PROJECT_DIR

CONTEXT_KEY = "kubernetes:context"
# The stack files ship this prefix where the operator's own context name goes.
PLACEHOLDER = "REPLACE"


class WrongContextError(Exception):
    """The stack is bound to a context that the kubeconfig does not have, or that is not the current one."""


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


def stack_context(stack: str, project_dir: Path = PROJECT_DIR) -> str | None:
    """The context Pulumi.<stack>.yaml binds the stack to, or None (a new stack, or one that follows the current
    context, as the local dev stack does)."""
    path = project_dir / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        return None
    value = ((yaml.safe_load(path.read_text()) or {}).get("config") or {}).get(CONTEXT_KEY)
    return str(value) if value else None


def check(config: dict[str, Any], stack: str, bound: str | None) -> str:
    """The context a deploy of `stack` goes to, described; WrongContextError when the stack is bound to another."""
    if bound is None:
        return describe(config)
    fix = f"{CONTEXT_KEY} in Pulumi.{stack}.yaml"
    if bound.startswith(PLACEHOLDER):
        raise WrongContextError(
            f"stack {stack} is bound to the placeholder context {bound!r}: set {fix} to the name "
            f"`kubectl config get-contexts` shows for its cluster"
        )
    if bound not in {c["name"] for c in config.get("contexts") or []}:
        raise WrongContextError(
            f"stack {stack} is bound to kube context {bound!r}, which is not in the kubeconfig (KUBECONFIG, else "
            f"~/.kube/config): add that context, or correct {fix}"
        )
    current = config.get("current-context")
    if bound != current:
        raise WrongContextError(
            f"stack {stack} is bound to kube context {bound!r}, but the current context is {current!r}: run "
            f"`kubectl config use-context {bound}` and deploy again, so that kubectl and the deploy see one cluster"
        )
    return describe(config, bound)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.kube_context", description=__doc__.splitlines()[0])
    parser.add_argument("--stack", required=True, help="the stack to deploy: reads Pulumi.<stack>.yaml")
    options = parser.parse_args(argv)
    config = merged(kubeconfig_paths(dict(os.environ)))
    try:
        print(check(config, options.stack, stack_context(options.stack)))
    except WrongContextError as error:
        print(f"deploy refused: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
