"""Runs the real program (`__main__.py`) under Pulumi's mocks and records everything it registers.

Shared by the tests, the offline render and the benchmarks, so all three see exactly what `pulumi up` would ask for.
The mock monitor records each registration as the engine would receive it: type, name, parent, the resources it
depends on, and its inputs with secret values still marked.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import ipaddress
import json
import runpy
import struct
from dataclasses import dataclass, field
from typing import Any

import pulumi
import yaml
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc

from components.settings import PROJECT_DIR, project_file

MAIN = PROJECT_DIR / "__main__.py"
DEFAULT_LB_ADDRESS = "203.0.113.10"
SECRET_SIGNATURE = rpc._special_sig_key  # noqa: SLF001 - the wire marker of a secret value
SECRET_MARK = rpc._special_secret_sig  # noqa: SLF001


def placeholder_ssh_private_key(comment: str = "placeholder, not a real key") -> str:
    """An OpenSSH private key file, well-formed, whose key material is all zero bytes: it passes the settings'
    validation, and nobody can take it for (or use it as) a real key."""

    def string(data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + data

    public_key = string(b"ssh-ed25519") + string(bytes(32))
    private = struct.pack(">II", 0, 0) + public_key + string(bytes(64)) + string(comment.encode())
    private += bytes(range(1, 1 + -len(private) % 8))  # padded to the cipher block size, as ssh-keygen does
    unencrypted = string(b"none") + string(b"none") + string(b"")
    blob = b"openssh-key-v1\x00" + unencrypted + struct.pack(">I", 1) + string(public_key) + string(private)
    body = base64.b64encode(blob).decode()
    lines = "\n".join(body[start : start + 70] for start in range(0, len(body), 70))
    return f"-----BEGIN OPENSSH PRIVATE KEY-----\n{lines}\n-----END OPENSSH PRIVATE KEY-----\n"


# Stand-ins for `secure:` stack values, which the render cannot decrypt. Each must pass the settings' validation and
# be obviously fake; a key without one gets a generic placeholder.
RENDER_PLACEHOLDERS: dict[str, str] = {
    "externalDatabaseUrl": "postgresql://airflow:placeholder@database.invalid:5432/airflow",
    "externalBrokerUrl": "redis://:placeholder@broker.invalid:6379/0",
    # An all-zero key: well-formed, obviously not a real one.
    "fernetKey": base64.urlsafe_b64encode(bytes(32)).decode(),
    "postgresPassword": "placeholder-password",
    "gitSyncSshKey": placeholder_ssh_private_key(),
    "gitSyncToken": "placeholder-token",
}
GENERIC_PLACEHOLDER = "placeholder-for-an-encrypted-value"


def is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(SECRET_SIGNATURE) == SECRET_MARK


def secret_paths(value: Any, path: str = "") -> list[str]:
    """Dotted paths of the secret values inside a wire-format input tree."""
    if is_secret(value):
        return [path or "."]
    if isinstance(value, dict):
        return [p for key, item in value.items() for p in secret_paths(item, f"{path}.{key}" if path else key)]
    if isinstance(value, list):
        return [p for index, item in enumerate(value) for p in secret_paths(item, f"{path}[{index}]")]
    return []


def reveal(value: Any, redact: str | None = None) -> Any:
    """The input tree with secret markers removed: values kept, or replaced by `redact`."""
    if is_secret(value):
        return redact if redact is not None else reveal(value["value"])
    if isinstance(value, dict):
        return {key: reveal(item, redact) for key, item in value.items()}
    if isinstance(value, list):
        return [reveal(item, redact) for item in value]
    return value


@dataclass
class Registration:
    """One resource as the engine would see it."""

    type: str
    name: str
    urn: str
    parent: str
    custom: bool
    dependencies: list[str]
    inputs: dict[str, Any]
    lookup_id: str = ""
    retain_on_delete: bool = False
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)
    """Per input property, the resources its value came from: the data edges of `dependencies` (the rest is depends_on)."""

    @property
    def is_kubernetes_object(self) -> bool:
        return self.custom and self.type.startswith("kubernetes:") and not self.type.startswith("kubernetes:helm")

    @property
    def plain_inputs(self) -> dict[str, Any]:
        revealed: dict[str, Any] = reveal(self.inputs)
        return revealed


@dataclass
class Capture:
    """Everything one run of the program registered, and its stack outputs."""

    registrations: list[Registration] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    secret_outputs: set[str] = field(default_factory=set)
    output_dependencies: dict[str, set[str]] = field(default_factory=dict)
    """Per stack output, the URNs of the resources its value waits for."""

    def by_urn(self) -> dict[str, Registration]:
        return {r.urn: r for r in self.registrations}

    def of_type(self, type_token: str) -> list[Registration]:
        return [r for r in self.registrations if r.type == type_token]

    def one(self, type_token: str, name: str) -> Registration:
        found = [r for r in self.registrations if r.type == type_token and r.name == name]
        assert len(found) == 1, f"expected one {type_token} named {name!r}, found {len(found)}"
        return found[0]

    def kubernetes_objects(self) -> list[Registration]:
        """Objects the program creates in the cluster (lookups of existing objects excluded)."""
        return [r for r in self.registrations if r.is_kubernetes_object and not r.lookup_id]

    def object(self, kind: str, name: str) -> dict[str, Any]:
        """The plain manifest of the object of this kind and metadata.name."""
        found = [
            r.plain_inputs
            for r in self.kubernetes_objects()
            if r.inputs.get("kind") == kind and reveal(r.inputs.get("metadata", {})).get("name") == name
        ]
        assert len(found) == 1, f"expected one {kind} named {name!r}, found {len(found)}"
        return found[0]


def fake_text(seed: str, length: int) -> str:
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    digest = hashlib.sha512(seed.encode()).digest()
    return "".join(alphabet[digest[i % len(digest)] % len(alphabet)] for i in range(length))


class ProgramMocks(pulumi.runtime.Mocks):
    """Answers registrations like a provider would: inputs echoed, random values faked (and secret), lookups filled."""

    def __init__(self, lb_address: str) -> None:
        self.lb_address = lb_address

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        outputs = dict(args.inputs)
        if args.typ == "random:index/randomPassword:RandomPassword":
            outputs["result"] = rpc.wrap_rpc_secret(fake_text(args.name, int(args.inputs.get("length", 16))))
        elif args.typ == "random:index/randomBytes:RandomBytes":
            raw = hashlib.sha256(args.name.encode()).digest()[: int(args.inputs.get("length", 32))]
            outputs["base64"] = rpc.wrap_rpc_secret(base64.b64encode(raw).decode())
            outputs["hex"] = rpc.wrap_rpc_secret(raw.hex())
        elif args.typ == "kubernetes:core/v1:Service" and args.resource_id:
            outputs.update(self._looked_up_service(args.resource_id))
        elif args.typ == "kubernetes:helm.sh/v3:Release":
            # Like the provider: `status` is known once Helm has deployed the release, unknown in a preview.
            outputs["status"] = (
                rpc.UNKNOWN
                if pulumi.runtime.is_dry_run()
                else {"name": args.inputs.get("name"), "namespace": args.inputs.get("namespace"), "status": "deployed"}
            )
        elif args.typ.startswith("kubernetes:") and "metadata" in outputs:
            metadata = dict(outputs["metadata"] or {})
            metadata.setdefault("name", f"{args.name}-mock")
            outputs["metadata"] = metadata
        return (args.resource_id or f"{args.name}-id"), outputs

    def _looked_up_service(self, resource_id: str) -> dict[str, Any]:
        namespace, _, name = resource_id.partition("/")
        try:
            ipaddress.ip_address(self.lb_address)
            entry = {"ip": self.lb_address}
        except ValueError:
            entry = {"hostname": self.lb_address}
        return {
            "metadata": {"name": name, "namespace": namespace},
            "spec": {"type": "LoadBalancer"},
            "status": {"loadBalancer": {"ingress": [entry] if self.lb_address else []}},
        }

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return {}, None


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """The mock monitor, also keeping what only the engine sees: dependencies, parents, secret markers."""

    def __init__(self, mocks: ProgramMocks, capture: Capture) -> None:
        super().__init__(mocks)
        self.capture = capture

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            self.capture.registrations.append(
                Registration(
                    type=request.type,
                    name=request.name,
                    urn=response.urn,
                    parent=request.parent,
                    custom=request.custom,
                    dependencies=list(request.dependencies),
                    # Deserialised as the engine holds them: secret values stay wrapped in their marker.
                    inputs=rpc.deserialize_properties(request.object),
                    lookup_id=request.importId,
                    retain_on_delete=bool(request.retainOnDelete),
                    property_dependencies={key: list(deps.urns) for key, deps in request.propertyDependencies.items()},
                )
            )
        return response

    def ReadResource(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
        """`Resource.get` lookups arrive here, not in RegisterResource; recorded with their id as `lookup_id`."""
        response = super().ReadResource(request)
        self.capture.registrations.append(
            Registration(
                type=request.type,
                name=request.name,
                urn=response.urn,
                parent=request.parent,
                custom=True,
                dependencies=list(request.dependencies),
                inputs=rpc.deserialize_properties(request.properties),
                lookup_id=request.id,
            )
        )
        return response


async def collect_stack_outputs(capture: Capture) -> None:
    """Under mocks the root stack is finished before the program runs, so its exports are read here instead."""
    root = pulumi.runtime.get_root_resource()
    for key, value in getattr(root, "outputs", {}).items():
        output = pulumi.Output.from_input(value)
        capture.outputs[key] = await output.future()
        if await output.is_secret():
            capture.secret_outputs.add(key)
        capture.output_dependencies[key] = {str(await resource.urn.future()) for resource in await output.resources()}


def stack_config(stack: str) -> tuple[dict[str, str], list[str]]:
    """Pulumi.<stack>.yaml as the CLI would pass it: `secure:` values replaced by fake placeholders, marked secret."""
    path = PROJECT_DIR / f"Pulumi.{stack}.yaml"
    if not path.exists():
        raise FileNotFoundError(f"no stack file {path.name} in {PROJECT_DIR}")
    document = yaml.safe_load(path.read_text()) or {}
    config: dict[str, str] = {}
    secret_keys: list[str] = []
    for key, value in (document.get("config") or {}).items():
        if isinstance(value, dict) and "secure" in value:
            short_key = key.split(":", 1)[-1]
            config[key] = RENDER_PLACEHOLDERS.get(short_key, GENERIC_PLACEHOLDER)
            secret_keys.append(key)
        elif isinstance(value, bool):
            config[key] = str(value).lower()
        elif isinstance(value, (dict, list)):
            config[key] = json.dumps(value)
        else:
            config[key] = str(value)
    return config, secret_keys


def run_program(
    config: dict[str, str] | None = None,
    secret_keys: list[str] | None = None,
    stack: str = "test",
    lb_address: str = DEFAULT_LB_ADDRESS,
    preview: bool = False,
) -> Capture:
    """Runs __main__.py once under mocks with this configuration (keys `airflow:<key>`) and returns what it did."""
    capture = Capture()
    mocks = ProgramMocks(lb_address)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        pulumi.runtime.set_all_config(dict(config or {}), list(secret_keys or []))
        pulumi.runtime.set_mocks(
            mocks,
            project=str(project_file()["name"]),
            stack=stack,
            preview=preview,
            monitor=RecordingMonitor(mocks, capture),
        )

        def program() -> Any:
            runpy.run_path(str(MAIN), run_name="__main__")
            return asyncio.ensure_future(collect_stack_outputs(capture))

        pulumi.runtime.test(program)()
    finally:
        pulumi.runtime.reset_options()
        pulumi.runtime.set_all_config({}, [])
        loop.close()
        asyncio.set_event_loop(None)
        # A fresh policy leaves the thread as a new process finds it, so code run after the program (a settings test
        # that builds a secret Output) gets a loop again instead of "There is no current event loop".
        asyncio.set_event_loop_policy(None)
    return capture


def run_stack(stack: str, lb_address: str = DEFAULT_LB_ADDRESS) -> Capture:
    config, secret_keys = stack_config(stack)
    return run_program(config, secret_keys, stack=stack, lb_address=lb_address)

