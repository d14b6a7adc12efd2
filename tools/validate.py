"""Strict schema validation of every object a stack renders: unknown fields rejected, every error reported.

    python -m tools.validate [--stack dev ...]        (default: every stack file, then `FEATURE_RENDERS`)

Kubernetes objects are checked against the OpenAPI schemas of the oldest and the newest Kubernetes minor this product
supports (`KUBERNETES_VERSIONS`), as bundled by kubernetes-validate; custom resources (cert-manager's, KEDA's, the
Prometheus Operator's) against the CRDs of every set `tools.crd_schemas` pins (`.schemas/<set>/`). An object
whose kind has no schema is an error too, so a new kind cannot slip through unchecked.

kubernetes-validate itself accepts unknown fields unless asked not to and stops at the first error; here its bundled
schemas are loaded directly, every object schema that lists its properties is closed (`additionalProperties: false`,
what the API server's strict field validation does), and every jsonschema error is collected. Each problem names the
object's kind and name, the path of the field, and the schema that rejected it.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import jsonschema
import yaml
from referencing import Registry, Resource

from tools.changed_stacks import all_stacks
from tools.crd_schemas import CRD_SETS, schema_dir
from tools.harness import Capture, run_program, run_stack
from tools.render import manifest

# The oldest minor this product supports and the newest kubernetes-validate bundles. 1.32 is the first with the
# StatefulSet PVC retention policy GA, which the worker logs use; upstream supports 1.35-1.37 in 2026-11, but managed
# offerings keep older minors longer. Within a GA API version fields are only added, so objects valid for both ends
# are valid in between.
KUBERNETES_VERSIONS = ("1.32", "1.37")
DEFINITIONS_URI = "https://kubernetes.io/api/_definitions.json"
OBJECT_META = f"{DEFINITIONS_URI}#/$defs/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"


@dataclass(frozen=True)
class Render:
    """One configuration the gates check: a stack file, or the defaults with features that are off by default on."""

    name: str
    stack: str | None = None
    values: dict[str, str] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)
    checkov: bool = False
    """Whether checkov scans it too. checkov takes seconds per run, so it scans the stack files and the renders that
    add containers; not the one that turns on the documented root init container, which it rightly flags (the Pod
    Security gate checks that exemption instead)."""

    def run(self) -> Capture:
        if self.stack:
            return run_stack(self.stack)
        config = {f"airflow:{key}": value for key, value in {**self.values, **self.secrets}.items()}
        return run_program(config, [f"airflow:{key}" for key in self.secrets])


# No stack file turns these on yet; their objects must pass the gates before one does.
FEATURE_RENDERS = (
    # A non-default port, so the git egress is seen to follow the repository URL.
    Render("git-sync", values={"gitSyncRepository": "https://git.acme-corp.io:8443/data/dags.git"}, checkov=True),
    Render("worker-logs-ephemeral", values={"workerLogsPersistence": "false"}),
    Render("worker-logs-permissions-fix", values={"workerLogsFixPermissions": "true"}),
    Render(
        "external-database-and-broker",
        secrets={
            "externalDatabaseUrl": "postgresql://airflow:secret@db.acme-corp.io:5432/airflow",
            "externalBrokerUrl": "redis://:secret@broker.acme-corp.io:6379/0",
        },
    ),
    Render(
        "pgbouncer-and-backups-of-an-external-database",
        values={"pgbouncerEnabled": "true", "pgbouncerReplicas": "2", "databaseBackup": "on"},
        secrets={"externalDatabaseUrl": "postgresql://airflow:secret@db.acme-corp.io:5432/airflow?sslmode=require"},
        checkov=True,
    ),
    # Everything an operator turns on together: workers scaled to zero and back, behind PgBouncer (the scaler still
    # reaches the database itself), metrics with both ServiceMonitors and the dashboard, DAGs from git.
    Render(
        "operated",
        values={
            "workerAutoscaling": "true",
            "apiServerAutoscaling": "true",
            "workerReplicas": "0",
            "workerMaxReplicas": "8",
            "pgbouncerEnabled": "true",
            "metricsEnabled": "true",
            "metricsServiceMonitor": "true",
            "metricsGrafanaDashboard": "true",
            "ingressMetrics": "true",
            "gitSyncRepository": "https://git.acme-corp.io/data/dags.git",
        },
        checkov=True,
    ),
    # The exporter with everything around it: ServiceMonitors (its own and the chart's), the dashboard, the
    # controller's metrics.
    Render(
        "metrics",
        values={
            "metricsEnabled": "true",
            "metricsServiceMonitor": "true",
            "metricsServiceMonitorLabels": "release=kube-prometheus-stack",
            "metricsGrafanaDashboard": "true",
            "ingressMetrics": "true",
        },
        checkov=True,
    ),
    Render(
        "customised",
        values={
            "airflowImageDigest": "sha256:" + "ab" * 32,
            "airflowConfig": '{"core": {"parallelism": 64}, "smtp": {"smtp_host": "smtp.acme-corp.io"}}',
            "airflowVariables": '{"environment": "prod"}',
            "extraEnvFrom": '["secret/airflow-extra", "configmap/airflow-settings"]',
            "imagePullSecrets": '["registry-acme"]',
            "podAnnotations": '{"default": {"team": "data"}, "worker": {"vault.hashicorp.com/agent-inject": "true"}}',
            "podLabels": '{"default": {"cost-centre": "analytics"}}',
            "serviceAccountAnnotations": '{"worker": {"eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/w"}}',
            "workerConcurrency": "8",
            "scheduling": (
                '{"default": {"nodeSelector": {"pool": "airflow"}, "tolerations": [{"key": "dedicated", '
                '"operator": "Equal", "value": "airflow", "effect": "NoSchedule"}]}, '
                '"worker": {"priorityClassName": "airflow-workers", "affinity": {"podAntiAffinity": '
                '{"preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 100, "podAffinityTerm": '
                '{"topologyKey": "kubernetes.io/hostname", "labelSelector": {"matchLabels": {"app": "x"}}}}]}}}}'
            ),
            "pgbouncerEnabled": "true",
        },
        secrets={
            "airflowConnections": '{"reporting": "postgresql://r:pw@reports.acme-corp.io:5432/reports"}',
            "webserverConfig": "from flask_appbuilder.security.manager import AUTH_OAUTH\nAUTH_TYPE = AUTH_OAUTH\n",
        },
        checkov=True,
    ),
    Render(
        "existing-edge-letsencrypt",
        values={
            "ingressMode": "existing",
            "ingressExistingService": "edge/nginx-controller",
            "ingressClassName": "edge-nginx",
            "tlsMode": "existing",
            "issuerKind": "letsencrypt-production",
            "acmeEmail": "platform@acme-corp.io",
            "domain": "airflow.acme-corp.io",
        },
    ),
)


def renders() -> list[Render]:
    """Every stack file of the repository, then every feature configuration."""
    return [stack_render(stack) for stack in all_stacks()] + list(FEATURE_RENDERS)


def stack_render(stack: str) -> Render:
    return Render(f"stack-{stack}", stack=stack, checkov=True)


@dataclass(frozen=True)
class SchemaProblem:
    """One field of one object that the schema rejects."""

    kind: str
    name: str
    path: str
    message: str
    schema: str

    def __str__(self) -> str:
        return f"{self.kind}/{self.name} at {self.path or '(root)'}: {self.message} [{self.schema}]"


# --- schemas --------------------------------------------------------------------------------------------------------


def close_objects(schema: Any, crd: bool = False) -> Any:
    """The schema with every object that lists its properties closed to other fields (a copy).

    In a CRD, `x-kubernetes-preserve-unknown-fields` keeps an object open on purpose, and an object with no properties
    at all is closed as well: the API server would prune (silently drop) whatever field it was given.
    """
    if isinstance(schema, list):
        return [close_objects(item, crd) for item in schema]
    if not isinstance(schema, dict):
        return schema
    closed = {key: close_objects(value, crd) for key, value in schema.items()}
    open_on_purpose = closed.get("x-kubernetes-preserve-unknown-fields") is True or "additionalProperties" in closed
    declares_fields = "properties" in closed or (crd and closed.get("type") == "object")
    if declares_fields and not open_on_purpose:
        closed["additionalProperties"] = False
    return closed


def openapi_to_jsonschema(schema: Any) -> Any:
    """The OpenAPI v3 dialect of CRDs (nullable, int-or-string) in plain JSON Schema terms (a copy)."""
    if isinstance(schema, list):
        return [openapi_to_jsonschema(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    converted = {key: openapi_to_jsonschema(value) for key, value in schema.items()}
    if converted.pop("x-kubernetes-int-or-string", False):
        converted["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if converted.pop("nullable", False) and isinstance(converted.get("type"), str):
        converted["type"] = [converted["type"], "null"]
    return converted


def bundled_schema_dir(version: str) -> Any:
    """kubernetes-validate's schemas of one minor (its non-strict flavour: closing objects is done here)."""
    directory = resources.files("kubernetes_validate") / "kubernetes-json-schema" / f"v{version}.0-local"
    if not directory.is_dir():
        raise ValueError(f"kubernetes-validate bundles no schemas for Kubernetes {version}")
    return directory


@cache
def kubernetes_registry(version: str) -> Registry[Any]:
    definitions = json.loads((bundled_schema_dir(version) / "_definitions.json").read_text())
    return Resource.from_contents(close_objects(definitions)) @ Registry()


def schema_file_name(api_version: str, kind: str) -> str:
    """kubernetes-validate's file naming: `rbac.authorization.k8s.io/v1` Role -> role-rbac-v1.json, `v1` Pod -> pod-v1.json."""
    group, _, version = api_version.rpartition("/")
    return f"{kind.lower()}-{group.split('.')[0]}-{version}.json" if group else f"{kind.lower()}-{version}.json"


@cache
def kubernetes_validator(version: str, api_version: str, kind: str) -> jsonschema.Validator | None:
    path = bundled_schema_dir(version) / schema_file_name(api_version, kind)
    if not path.is_file():
        return None
    schema = close_objects(json.loads(path.read_text()))
    # The file name drops the group's domain: make sure it is this group's kind, not a namesake in another group.
    if api_version not in schema.get("properties", {}).get("apiVersion", {}).get("enum", [api_version]):
        return None
    return jsonschema.Draft202012Validator(schema, registry=kubernetes_registry(version))


@dataclass(frozen=True)
class CrdSchema:
    schema: dict[str, Any]
    crd_set: str
    """The `tools.crd_schemas` set it comes from, which a problem names."""


@cache
def crd_schemas() -> dict[tuple[str, str], CrdSchema]:
    """(apiVersion, kind) -> JSON Schema of every served version of every CRD of every pinned set."""
    found: dict[tuple[str, str], CrdSchema] = {}
    for name in CRD_SETS:
        directory = schema_dir(name)
        if not directory.is_dir():
            raise FileNotFoundError(f"no CRD schemas at {directory}: install them with `python -m tools.crd_schemas`")
        for path in sorted(directory.glob("*.yaml")):
            for crd in yaml.safe_load_all(path.read_text()):
                if not crd or crd.get("kind") != "CustomResourceDefinition":
                    continue
                spec = crd["spec"]
                for served in spec["versions"]:
                    if not served.get("served", True):
                        continue
                    schema = close_objects(openapi_to_jsonschema(served["schema"]["openAPIV3Schema"]), crd=True)
                    # A CRD says only `metadata: {type: object}`; the API server checks it as any object's metadata.
                    schema["properties"]["metadata"] = {"$ref": OBJECT_META}
                    found[(f"{spec['group']}/{served['name']}", spec["names"]["kind"])] = CrdSchema(schema, name)
    return found


def crd_validator(version: str, api_version: str, kind: str) -> tuple[jsonschema.Validator, str] | None:
    """The validator of a custom resource, and the label of its schema."""
    found = crd_schemas().get((api_version, kind))
    if found is None:
        return None
    return jsonschema.Draft202012Validator(found.schema, registry=kubernetes_registry(version)), f"{found.crd_set} CRD"


# --- validation -----------------------------------------------------------------------------------------------------


def object_name(obj: dict[str, Any], fallback: str = "") -> str:
    metadata = obj.get("metadata") or {}
    return str(metadata.get("name") or fallback or "(no metadata.name)")


def dotted(path: Iterable[Any]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def problems_of(error: jsonschema.ValidationError) -> Iterator[tuple[str, str]]:
    """(path, message) of one jsonschema error; an unknown field gets its own path, one problem per field."""
    path = list(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = set(error.schema.get("properties", {}))
        for field in sorted(set(error.instance) - known):
            yield dotted([*path, field]), "unknown field"
        return
    if error.validator in ("oneOf", "anyOf") and error.context:
        # Name what each alternative wanted (e.g. "string or integer") instead of "not valid under any schema".
        wanted = sorted({sub.message for sub in error.context if len(sub.absolute_path) == len(error.absolute_path)})
        yield dotted(path), "; ".join(wanted) if wanted else error.message
        return
    yield dotted(path), error.message


def validate_object(obj: dict[str, Any], version: str, fallback_name: str = "") -> list[SchemaProblem]:
    """Every problem of one manifest against Kubernetes `version` (or the pinned CRDs), with their paths."""
    kind, api_version = str(obj.get("kind", "")), str(obj.get("apiVersion", ""))
    name = object_name(obj, fallback_name)
    validator = kubernetes_validator(version, api_version, kind)
    schema_label = f"Kubernetes {version}"
    if validator is None and (custom := crd_validator(version, api_version, kind)) is not None:
        validator, schema_label = custom
    if validator is None:
        return [
            SchemaProblem(
                kind or "(no kind)",
                name,
                "",
                f"no schema for apiVersion {api_version!r} kind {kind!r} in Kubernetes {version} or the CRDs of "
                f"{', '.join(CRD_SETS)}",
                f"Kubernetes {version}",
            )
        ]
    found = [
        SchemaProblem(kind, name, path, message, schema_label)
        for error in validator.iter_errors(obj)
        for path, message in problems_of(error)
    ]
    return sorted(set(found), key=lambda p: (p.path, p.message))


def validate_manifests(
    objects: Iterable[tuple[dict[str, Any], str]], versions: Iterable[str] = KUBERNETES_VERSIONS
) -> list[SchemaProblem]:
    """Problems of (manifest, Pulumi resource name) pairs against each version; one entry per distinct problem."""
    problems: dict[tuple[str, str, str, str], SchemaProblem] = {}
    for obj, resource_name in objects:
        for version in versions:
            for problem in validate_object(obj, version, resource_name):
                key = (problem.kind, problem.name, problem.path, problem.message)
                if key in problems and problems[key].schema != problem.schema:
                    # The same problem in both Kubernetes versions: say so once.
                    problem = SchemaProblem(*key, schema=f"{problems[key].schema}, {problem.schema}")
                problems[key] = problem
    return list(problems.values())


def rendered_objects(capture: Capture) -> list[tuple[dict[str, Any], str]]:
    """Each Kubernetes object exactly as the render writes it (secret values redacted), with its Pulumi name."""
    return [(manifest(registration), registration.name) for registration in capture.kubernetes_objects()]


def validate_capture(capture: Capture) -> list[SchemaProblem]:
    return validate_manifests(rendered_objects(capture))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.validate", description=__doc__.splitlines()[0])
    parser.add_argument("--stack", action="append", help="stack to validate (repeatable; default: every render)")
    options = parser.parse_args(argv)
    chosen = [stack_render(stack) for stack in options.stack] if options.stack else renders()
    status = 0
    versions = " and ".join(KUBERNETES_VERSIONS)
    for render in chosen:
        capture = render.run()
        problems = validate_capture(capture)
        checked = len(capture.kubernetes_objects())
        if problems:
            status = 1
            print(f"{render.name}: {len(problems)} schema problems in {checked} objects (Kubernetes {versions}):")
            for problem in sorted(problems, key=str):
                print(f"  {problem}")
        else:
            print(f"{render.name}: {checked} objects valid against Kubernetes {versions} (unknown fields rejected)")
    return status


if __name__ == "__main__":
    sys.exit(main())
