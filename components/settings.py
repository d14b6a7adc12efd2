"""Stack configuration, read once, validated whole, frozen.

`Pulumi.yaml` declares every key with its type, description and default; this module is the only reader of the stack's
configuration. It takes the defaults from `Pulumi.yaml` too (the Pulumi CLI does the same before the program starts), so
that the program, the offline render and the tests see the same values without a second copy of any default.

Every problem is collected before anything fails, and reported in one message that names the key, the value and the
rule, so a user fixes a stack file in one round instead of one error per `pulumi preview`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

import pulumi
import yaml

PROJECT_DIR = Path(__file__).resolve().parent.parent
PROJECT_FILE = PROJECT_DIR / "Pulumi.yaml"

T = TypeVar("T")


class SettingsError(Exception):
    """The stack configuration is invalid; the message lists every problem."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        count = f"{len(problems)} problem" + ("" if len(problems) == 1 else "s")
        super().__init__(f"Invalid stack configuration ({count}):\n" + "\n".join(f"  - {p}" for p in problems))


@cache
def project_file() -> dict[str, Any]:
    """The parsed Pulumi.yaml: project name and the declared configuration schema."""
    loaded: dict[str, Any] = yaml.safe_load(PROJECT_FILE.read_text())
    return loaded


def config_schema() -> dict[str, dict[str, Any]]:
    schema: dict[str, dict[str, Any]] = project_file()["config"]
    return schema


# --- value rules -------------------------------------------------------------------------------------------------
# Each rule turns the raw string into a typed value or raises ValueError with "what is allowed".

DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
DNS_SUBDOMAIN = re.compile(r"^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
IMAGE_REPOSITORY = re.compile(r"^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(/[a-z0-9]+([._-]{1,2}[a-z0-9]+)*)*$")
IMAGE_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
IMAGE_REFERENCE = re.compile(IMAGE_REPOSITORY.pattern[:-1] + r"(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$")
EMAIL = re.compile(r"^[^@\s]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
CPU_QUANTITY = re.compile(r"^(\d+(\.\d+)?|\.\d+)m?$")
MEMORY_QUANTITY = re.compile(r"^(\d+(\.\d+)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$")
BINARY_SUFFIX = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
DECIMAL_SUFFIX = {"k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "P": 10**15, "E": 10**18}
PULL_POLICIES = ("Always", "IfNotPresent", "Never")
TRUE_WORDS, FALSE_WORDS = ("true",), ("false",)


def parse_bool(raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in TRUE_WORDS:
        return True
    if lowered in FALSE_WORDS:
        return False
    raise ValueError("must be true or false")


def integer_between(low: int, high: int) -> Callable[[str], int]:
    def parse(raw: str) -> int:
        try:
            number = int(raw.strip())
        except ValueError:
            raise ValueError(f"must be a whole number from {low} to {high}") from None
        if not low <= number <= high:
            raise ValueError(f"must be a whole number from {low} to {high}")
        return number

    return parse


def one_of(*allowed: str) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        if raw not in allowed:
            raise ValueError("must be one of " + ", ".join(allowed))
        return raw

    return parse


def dns_label(raw: str) -> str:
    if not DNS_LABEL.match(raw):
        raise ValueError(
            "must be a DNS-1123 label: 1 to 63 lower-case letters, digits or '-', starting and ending with a letter or digit"
        )
    return raw


def dns_subdomain_or_empty(raw: str) -> str:
    if raw and not DNS_SUBDOMAIN.match(raw):
        raise ValueError("must be empty or a DNS-1123 subdomain (lower-case letters, digits, '-' and '.')")
    return raw


def image_repository(raw: str) -> str:
    if not IMAGE_REPOSITORY.match(raw):
        raise ValueError("must be an image repository without tag, such as apache/airflow or registry.example.com/airflow")
    return raw


def image_tag(raw: str) -> str:
    if not IMAGE_TAG.match(raw):
        raise ValueError("must be an image tag: letters, digits, '_', '.' and '-', at most 128 characters")
    return raw


def image_reference(raw: str) -> str:
    if not IMAGE_REFERENCE.match(raw) or ":" not in raw.rsplit("/", 1)[-1] and "@" not in raw:
        raise ValueError("must be a pinned image reference repository:tag (or @sha256:digest), such as postgres:18.1")
    return raw


def email(raw: str) -> str:
    if not EMAIL.match(raw):
        raise ValueError("must be an e-mail address such as ops@example.com")
    return raw


def username(raw: str) -> str:
    if not re.match(r"^[A-Za-z0-9_.@-]{1,64}$", raw):
        raise ValueError("must be 1 to 64 letters, digits, '_', '.', '@' or '-'")
    return raw


def cpu_quantity(raw: str) -> str:
    if not CPU_QUANTITY.match(raw) or quantity_value(raw) == 0:
        raise ValueError("must be a positive Kubernetes CPU quantity such as 250m, 0.5 or 2")
    return raw


def memory_quantity(raw: str) -> str:
    if not MEMORY_QUANTITY.match(raw) or quantity_value(raw) == 0:
        hint = ""
        suggestion = re.match(r"^(\d+(?:\.\d+)?)\s*([KMGTPE])i?B?$", raw.strip(), re.IGNORECASE)
        if suggestion:
            hint = f" (did you mean '{suggestion.group(1)}{suggestion.group(2).upper()}i'?)"
        raise ValueError("must be a positive Kubernetes quantity such as 512Mi or 2Gi" + hint)
    return raw


def quantity_value(raw: str) -> Decimal:
    """The number a Kubernetes quantity stands for (cores or bytes), to compare a request with its limit."""
    match = re.match(r"^([0-9.]+)([A-Za-z]*)$", raw)
    if not match:
        raise ValueError(raw)
    try:
        number = Decimal(match.group(1))
    except InvalidOperation:
        raise ValueError(raw) from None
    suffix = match.group(2)
    if suffix == "m":
        return number / 1000
    return number * BINARY_SUFFIX.get(suffix, DECIMAL_SUFFIX.get(suffix, 1))


# --- the reader ----------------------------------------------------------------------------------------------------


class ConfigReader:
    """Reads declared keys of this project, applies Pulumi.yaml defaults, and collects every problem."""

    def __init__(self, raw: Callable[[str], str | None], is_secret: Callable[[str], bool]) -> None:
        self._raw = raw
        self._is_secret = is_secret
        self.project = str(project_file()["name"])
        self.problems: list[str] = []

    def qualified(self, key: str) -> str:
        return f"{self.project}:{key}"

    def _declared(self, key: str) -> dict[str, Any]:
        try:
            return config_schema()[key]
        except KeyError:
            raise KeyError(f"config key {key!r} is read but not declared in Pulumi.yaml") from None

    def default(self, key: str) -> str | None:
        """The default declared in Pulumi.yaml, as the text the CLI would pass."""
        default = self._declared(key).get("default")
        if default is None:
            return None
        return str(default).lower() if isinstance(default, bool) else str(default)

    def text(self, key: str) -> str | None:
        """The configured value as text, or the declared default; None when neither exists."""
        value = self._raw(self.qualified(key))
        return self.default(key) if value is None else value

    def fail(self, key: str, shown_value: str, rule: str) -> None:
        self.problems.append(f"{self.qualified(key)} = {shown_value}: {rule}")

    def read(self, key: str, parse: Callable[[str], T]) -> T:
        """The parsed value. A bad value is recorded as a problem, and the declared default stands in for it so that
        reading goes on and every problem is found; `read_settings` then fails with all of them."""
        raw = self.text(key)
        try:
            if raw is None:
                raise ValueError("is required")
            return parse(raw)
        except ValueError as error:
            self.fail(key, "(not set)" if raw is None else repr(raw), str(error))
            return parse(self.default(key) or "")

    def secret(self, key: str, parse: Callable[[str], str] | None = None) -> pulumi.Output[str] | None:
        """A secret value as a secret Output (None when unset). Its text never appears in a message."""
        declared = self._declared(key)
        if not declared.get("secret"):
            raise KeyError(f"config key {key!r} is read as a secret but not declared `secret: true` in Pulumi.yaml")
        raw = self._raw(self.qualified(key))
        if raw is None or raw == "":
            return None
        if not self._is_secret(self.qualified(key)):
            self.fail(key, "(plain text)", f"must be stored encrypted: pulumi config set --secret {key} ...")
        if parse is not None:
            try:
                parse(raw)
            except ValueError as error:
                self.fail(key, "(secret)", str(error))
        return pulumi.Output.secret(raw)


# --- the settings ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Resources:
    """CPU and memory requests and limits of one container."""

    cpu_request: str
    cpu_limit: str
    memory_request: str
    memory_limit: str


@dataclass(frozen=True)
class ProcessSettings:
    """One Airflow process (api-server, scheduler, ...): how many pods and how big each is."""

    replicas: int
    resources: Resources


@dataclass(frozen=True)
class PostgresSettings:
    """The metadata database: an external URL, or the in-cluster PostgreSQL's image, volume and size."""

    external_url: pulumi.Output[str] | None
    image: str
    storage_size: str
    storage_class: str
    retain_on_destroy: bool
    resources: Resources


@dataclass(frozen=True)
class RedisSettings:
    """The Celery broker: an external URL, or the in-cluster broker's image and size."""

    external_url: pulumi.Output[str] | None
    image: str
    resources: Resources


@dataclass(frozen=True)
class Settings:
    """Everything the stack needs, validated. Built only by `load_settings`."""

    project: str
    stack: str
    namespace: str
    airflow_image: str
    image_pull_policy: str
    skip_await: bool
    admin_username: str
    admin_email: str
    api_server: ProcessSettings
    scheduler: ProcessSettings
    dag_processor: ProcessSettings
    triggerer: ProcessSettings
    worker: ProcessSettings
    migrations: Resources
    postgres: PostgresSettings
    redis: RedisSettings



def read_resources(reader: ConfigReader, prefix: str) -> Resources:
    resources = Resources(
        cpu_request=reader.read(f"{prefix}CpuRequest", cpu_quantity),
        cpu_limit=reader.read(f"{prefix}CpuLimit", cpu_quantity),
        memory_request=reader.read(f"{prefix}MemoryRequest", memory_quantity),
        memory_limit=reader.read(f"{prefix}MemoryLimit", memory_quantity),
    )
    for kind in ("cpu", "memory"):
        request = getattr(resources, f"{kind}_request")
        limit = getattr(resources, f"{kind}_limit")
        if quantity_value(request) > quantity_value(limit):
            reader.fail(
                f"{prefix}{kind.capitalize()}Request",
                repr(request),
                f"must not exceed {reader.qualified(prefix + kind.capitalize() + 'Limit')} ({limit!r})",
            )
    return resources


def read_process(reader: ConfigReader, prefix: str, max_replicas: int = 20) -> ProcessSettings:
    return ProcessSettings(
        replicas=reader.read(f"{prefix}Replicas", integer_between(1, max_replicas)),
        resources=read_resources(reader, prefix),
    )


def database_url(raw: str) -> str:
    if not re.match(r"^postgres(ql)?(\+[a-z0-9]+)?://[^/\s]+/\S+$", raw):
        raise ValueError("must be a PostgreSQL URL such as postgresql://user:password@host:5432/airflow")
    return raw


def broker_url(raw: str) -> str:
    if not re.match(r"^rediss?://\S+$", raw):
        raise ValueError("must be a Redis URL such as redis://:password@host:6379/0 or rediss://...")
    return raw


def read_settings(reader: ConfigReader, stack: str) -> Settings:
    """Reads every key; raises SettingsError listing all problems found."""
    repository = reader.read("airflowImageRepository", image_repository)
    tag = reader.read("airflowImageTag", image_tag)
    settings = Settings(
        project=reader.project,
        stack=stack,
        namespace=reader.read("namespace", dns_label),
        airflow_image=f"{repository}:{tag}",
        image_pull_policy=reader.read("imagePullPolicy", one_of(*PULL_POLICIES)),
        skip_await=reader.read("skipAwait", parse_bool),
        admin_username=reader.read("adminUsername", username),
        admin_email=reader.read("adminEmail", email),
        api_server=read_process(reader, "apiServer"),
        scheduler=read_process(reader, "scheduler"),
        dag_processor=read_process(reader, "dagProcessor"),
        triggerer=read_process(reader, "triggerer"),
        worker=read_process(reader, "worker", max_replicas=100),
        migrations=read_resources(reader, "migrations"),
        postgres=PostgresSettings(
            external_url=reader.secret("externalDatabaseUrl", database_url),
            image=reader.read("postgresImage", image_reference),
            storage_size=reader.read("postgresStorageSize", memory_quantity),
            storage_class=reader.read("postgresStorageClass", dns_subdomain_or_empty),
            retain_on_destroy=reader.read("postgresRetainOnDestroy", parse_bool),
            resources=read_resources(reader, "postgres"),
        ),
        redis=RedisSettings(
            external_url=reader.secret("externalBrokerUrl", broker_url),
            image=reader.read("redisImage", image_reference),
            resources=read_resources(reader, "redis"),
        ),
    )
    if reader.problems:
        raise SettingsError(reader.problems)
    return settings


def load_settings() -> Settings:
    """The settings of the running stack (CLI, or mocks with `set_all_config`)."""
    reader = ConfigReader(raw=pulumi.runtime.get_config, is_secret=pulumi.runtime.is_config_secret)
    return read_settings(reader, pulumi.get_stack())
