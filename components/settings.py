"""Stack configuration, read once, validated whole, frozen.

`Pulumi.yaml` declares every key with its type, description and default; this module is the only reader of the stack's
configuration. It takes the defaults from `Pulumi.yaml` too (the Pulumi CLI does the same before the program starts), so
that the program, the offline render and the tests see the same values without a second copy of any default.

Every problem is collected before anything fails, and reported in one message that names the key, the value and the
rule, so a user fixes a stack file in one round instead of one error per `pulumi preview`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import re
import struct
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import pulumi
import yaml

PROJECT_DIR = Path(__file__).resolve().parent.parent
PROJECT_FILE = PROJECT_DIR / "Pulumi.yaml"

T = TypeVar("T")
E = TypeVar("E", bound=StrEnum)


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
    """This project's keys; Pulumi.yaml also sets a provider's config (`kubernetes:...`), which the program never reads."""
    schema: dict[str, dict[str, Any]] = {key: declared for key, declared in project_file()["config"].items() if ":" not in key}
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


LABEL_NAME = r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?"
# An optional DNS-subdomain prefix and a slash, then the name.
LABEL_KEY = re.compile(rf"^({DNS_SUBDOMAIN.pattern[1:-1]}/)?{LABEL_NAME}$")
LABEL_VALUE = re.compile(rf"^({LABEL_NAME})?$")
LABEL_SELECTOR_RULE = "must be comma-separated key=value labels such as k8s-app=kube-dns (Kubernetes label syntax)"


def label_selector(raw: str) -> dict[str, str]:
    pairs = [pair.strip().partition("=") for pair in raw.split(",")]
    if not all(sep and LABEL_KEY.match(key) and LABEL_VALUE.match(value) for key, sep, value in pairs):
        raise ValueError(LABEL_SELECTOR_RULE)
    return {key: value for key, _, value in pairs}


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


def airflow_image_tag(raw: str) -> str:
    """An image tag that, when it names a version, names Airflow 3: the processes and settings here are Airflow 3's."""
    image_tag(raw)
    version = re.match(r"^v?(\d+)\.", raw)
    if version and version.group(1) != "3":
        raise ValueError("must be an Airflow 3.x image tag such as 3.3.2 (this stack runs Airflow 3's processes)")
    return raw


def image_reference(raw: str) -> str:
    unpinned = ":" not in raw.rsplit("/", 1)[-1] and "@" not in raw
    if not IMAGE_REFERENCE.match(raw) or unpinned:
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
        self.secret_keys: set[str] = set()
        """The keys read with `secret`: Pulumi.yaml cannot mark optional secrets, so the reading does."""

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
        """A secret value as a secret Output (None when unset). Its text never appears in a message.

        Pulumi.yaml declares such a key `default: ""` without `secret: true` (which would make the CLI require it in
        every stack), so the CLI hands the program an unencrypted "" when the stack does not set it; that is "unset".
        An encrypted empty value is what `pulumi config set --secret key "$(command)"` stores when the command
        failed, and is refused: taking it as "unset" would silently generate a new Fernet key that locks kept data
        out, or deploy an in-cluster database instead of the external one.

        The Output holds what `parse` returns, so a rule may also normalise the value (line ends, a final newline)."""
        if self._declared(key).get("default") != "":
            raise KeyError(f'config key {key!r} is read as a secret but not declared `default: ""` in Pulumi.yaml')
        self.secret_keys.add(key)
        raw = self._raw(self.qualified(key))
        encrypted = self._is_secret(self.qualified(key))
        if not raw:
            if raw == "" and encrypted:
                self.fail(key, "''", f"is empty: set the value, or remove the key with `pulumi config rm {key}`")
            return None
        if not encrypted:
            self.fail(key, "(plain text)", f"must be stored encrypted: pulumi config set --secret {key} ...")
        value = raw
        if parse is not None:
            try:
                value = parse(raw)
            except ValueError as error:
                self.fail(key, "(secret)", str(error))
        return pulumi.Output.secret(value)


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
    external_port: int | None
    """Port of the external database, from its URL (5432 when it names none), for the network policy; not secret.
    None when the database runs in the cluster."""
    image: str
    storage_size: str
    storage_class: str
    retain_on_destroy: bool
    resources: Resources


@dataclass(frozen=True)
class RedisSettings:
    """The Celery broker: an external URL, or the in-cluster broker's image and size."""

    external_url: pulumi.Output[str] | None
    external_port: int | None
    """Port of the external broker, from its URL (6379 when it names none, rediss:// too), for the network policy;
    not secret. None when the broker runs in the cluster."""
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
    worker_termination_grace_period: int
    """Seconds a stopping worker gets to finish its running tasks."""
    worker_safe_to_evict: bool
    """Whether a cluster autoscaler may evict a worker to remove its node."""
    disruption_budgets: bool
    dns_namespace: str
    """Namespace of the cluster's DNS pods, for the NetworkPolicies."""
    dns_pod_labels: dict[str, str]
    """Labels of the cluster's DNS pods."""
    migrations: Resources
    postgres: PostgresSettings
    redis: RedisSettings
    edge: EdgeSettings
    worker_logs: WorkerLogsSettings
    git_sync: GitSyncSettings | None
    secrets: SecretsSettings
    database_backup: DatabaseBackupSettings
    metadata_cleanup: MetadataCleanupSettings
    pgbouncer: PgBouncerSettings



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


DATABASE_URL_RULE = "must be a PostgreSQL URL such as postgresql://user:password@host:5432/airflow"
BROKER_URL_RULE = "must be a Redis URL such as redis://:password@host:6379/0 or rediss://..."
# What a URL without a port means: PostgreSQL's well-known port, and Redis's for redis:// and rediss:// alike (Redis
# serves TLS on the same default port; a service that does not names its port in the URL).
DATABASE_DEFAULT_PORT = 5432
BROKER_DEFAULT_PORT = 6379


def url_port(raw: str, default: int, rule: str) -> int:
    """The port the URL names, or `default`. The error is `rule` alone: the URL holds a password."""
    try:
        port = urlsplit(raw).port
    except ValueError:  # not a number, or above 65535
        raise ValueError(rule) from None
    if port == 0:
        raise ValueError(rule)
    return default if port is None else port


def database_port(raw: str) -> int:
    return url_port(raw, DATABASE_DEFAULT_PORT, DATABASE_URL_RULE)


def broker_port(raw: str) -> int:
    return url_port(raw, BROKER_DEFAULT_PORT, BROKER_URL_RULE)


def database_url(raw: str) -> str:
    if not re.match(r"^postgres(ql)?(\+[a-z0-9]+)?://[^/\s]+/\S+$", raw):
        raise ValueError(DATABASE_URL_RULE)
    database_port(raw)
    return raw


def broker_url(raw: str) -> str:
    if not re.match(r"^rediss?://\S+$", raw):
        raise ValueError(BROKER_URL_RULE)
    broker_port(raw)
    return raw


def secret_url_port(reader: ConfigReader, key: str, port: Callable[[str], int]) -> int | None:
    """The port of the secret URL `key`, which is not secret itself; None when the URL is unset. A bad URL is
    reported by `reader.secret` with its rule, so it is not reported again here."""
    raw = reader.text(key)
    if not raw:
        return None
    try:
        return port(raw)
    except ValueError:
        return None


def read_settings(reader: ConfigReader, stack: str) -> Settings:
    """Reads every key; raises SettingsError listing all problems found."""
    repository = reader.read("airflowImageRepository", image_repository)
    tag = reader.read("airflowImageTag", airflow_image_tag)
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
        worker_termination_grace_period=reader.read("workerTerminationGracePeriod", integer_between(30, 86400)),
        worker_safe_to_evict=reader.read("workerSafeToEvict", parse_bool),
        disruption_budgets=reader.read("disruptionBudgets", parse_bool),
        dns_namespace=reader.read("dnsNamespace", dns_label),
        dns_pod_labels=reader.read("dnsPodLabels", label_selector),
        migrations=read_resources(reader, "migrations"),
        postgres=PostgresSettings(
            external_url=reader.secret("externalDatabaseUrl", database_url),
            external_port=secret_url_port(reader, "externalDatabaseUrl", database_port),
            image=reader.read("postgresImage", image_reference),
            storage_size=reader.read("postgresStorageSize", memory_quantity),
            storage_class=reader.read("postgresStorageClass", dns_subdomain_or_empty),
            retain_on_destroy=reader.read("postgresRetainOnDestroy", parse_bool),
            resources=read_resources(reader, "postgres"),
        ),
        redis=RedisSettings(
            external_url=reader.secret("externalBrokerUrl", broker_url),
            external_port=secret_url_port(reader, "externalBrokerUrl", broker_port),
            image=reader.read("redisImage", image_reference),
            resources=read_resources(reader, "redis"),
        ),
        edge=read_edge(reader),
        worker_logs=read_worker_logs(reader),
        git_sync=read_git_sync(reader),
        secrets=read_secrets(reader),
        database_backup=read_database_backup(reader),
        metadata_cleanup=read_metadata_cleanup(reader),
        pgbouncer=read_pgbouncer(reader),
    )
    if reader.problems:
        raise SettingsError(reader.problems)
    return settings


@cache
def secret_keys() -> frozenset[str]:
    """The keys the program reads as secrets (a dry read of the defaults), for the docs, the render and the tests."""
    reader = ConfigReader(raw=lambda key: None, is_secret=lambda key: False)
    read_settings(reader, "secret-keys")
    return frozenset(reader.secret_keys)


def load_settings() -> Settings:
    """The settings of the running stack (CLI, or mocks with `set_all_config`)."""
    reader = ConfigReader(raw=pulumi.runtime.get_config, is_secret=pulumi.runtime.is_config_secret)
    return read_settings(reader, pulumi.get_stack())


# --- the edge: ingress controller, TLS issuer, UI host (IngressController, TlsIssuer, AirflowIngress) ---------------


class InstallMode(StrEnum):
    """Whether the stack installs a cluster add-on (ingress-nginx, cert-manager) or uses one already there."""

    INSTALL = "install"
    EXISTING = "existing"


class ServiceType(StrEnum):
    """Type of the ingress controller's Service."""

    LOAD_BALANCER = "LoadBalancer"
    NODE_PORT = "NodePort"


class IssuerKind(StrEnum):
    """Who signs the UI's certificate."""

    LETSENCRYPT_STAGING = "letsencrypt-staging"
    LETSENCRYPT_PRODUCTION = "letsencrypt-production"
    SELF_SIGNED = "self-signed"

    @property
    def is_acme(self) -> bool:
        """Let's Encrypt: needs a contact e-mail, a public name and port 80 reachable from the internet."""
        return self is not IssuerKind.SELF_SIGNED


class WildcardDns(StrEnum):
    """Public DNS services that resolve a name with an IP address in it to that address."""

    SSLIP = "sslip.io"
    NIP = "nip.io"


# Names no public CA may certify (RFC 2606, RFC 6761, and `.internal` reserved by ICANN for private use).
RESERVED_SUFFIXES = (".test", ".example", ".invalid", ".localhost", ".local", ".internal")
RESERVED_EMAIL_DOMAINS = ("example.com", "example.net", "example.org")
EXISTING_SERVICE = re.compile(r"^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)/([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)$")


@dataclass(frozen=True)
class EdgeSettings:
    """How the UI is reached from outside: the ingress controller, the certificate issuer and the host name."""

    ingress_mode: InstallMode
    ingress_namespace: str
    ingress_service_type: ServiceType
    ingress_class_name: str
    ingress_existing_service: str
    """`<namespace>/<name>` of an existing controller's Service; empty in install mode."""
    tls_mode: InstallMode
    cert_manager_namespace: str
    issuer_kind: IssuerKind
    acme_email: str
    domain: str
    """The UI's host name; empty means derived from the load balancer's address."""
    wildcard_dns_service: WildcardDns


def member_of(enum: type[E]) -> Callable[[str], E]:
    def parse(raw: str) -> E:
        try:
            return enum(raw)
        except ValueError:
            raise ValueError("must be one of " + ", ".join(member.value for member in enum)) from None

    return parse


def host_name_or_empty(raw: str) -> str:
    labels = raw.split(".")
    if raw and (
        not DNS_SUBDOMAIN.match(raw)
        or len(labels) < 2
        or any(len(label) > 63 for label in labels)
        or labels[-1].isdigit()
    ):
        raise ValueError(
            "must be empty or a fully qualified host name such as airflow.example.com "
            "(lower-case labels of letters, digits and '-', separated by '.')"
        )
    return raw


def email_or_empty(raw: str) -> str:
    return email(raw) if raw else raw


def service_reference_or_empty(raw: str) -> str:
    if raw and not EXISTING_SERVICE.match(raw):
        raise ValueError("must be empty or <namespace>/<name> of a Service, such as ingress-nginx/ingress-nginx-controller")
    return raw


def is_reserved(name: str) -> bool:
    return any(f".{name}".endswith(suffix) for suffix in RESERVED_SUFFIXES)


def read_edge(reader: ConfigReader) -> EdgeSettings:
    edge = EdgeSettings(
        ingress_mode=reader.read("ingressMode", member_of(InstallMode)),
        ingress_namespace=reader.read("ingressNamespace", dns_label),
        ingress_service_type=reader.read("ingressServiceType", member_of(ServiceType)),
        ingress_class_name=reader.read("ingressClassName", dns_label),
        ingress_existing_service=reader.read("ingressExistingService", service_reference_or_empty),
        tls_mode=reader.read("tlsMode", member_of(InstallMode)),
        cert_manager_namespace=reader.read("certManagerNamespace", dns_label),
        issuer_kind=reader.read("issuerKind", member_of(IssuerKind)),
        acme_email=reader.read("acmeEmail", email_or_empty),
        domain=reader.read("domain", host_name_or_empty),
        wildcard_dns_service=reader.read("wildcardDnsService", member_of(WildcardDns)),
    )
    # A bad value already reported stands as its default (empty): `reader.text` tells it from a missing one.
    if edge.ingress_mode is InstallMode.EXISTING and not reader.text("ingressExistingService"):
        reader.fail(
            "ingressExistingService",
            "''",
            "is required when airflow:ingressMode is existing: the <namespace>/<name> of the controller's Service",
        )
    if edge.ingress_mode is InstallMode.INSTALL and edge.ingress_service_type is ServiceType.NODE_PORT and not edge.domain:
        reader.fail(
            "domain",
            "''",
            "is required when airflow:ingressServiceType is NodePort: a NodePort Service has no load-balancer address "
            "to derive a host name from",
        )
    if edge.issuer_kind.is_acme:
        if not reader.text("acmeEmail"):
            reader.fail(
                "acmeEmail",
                "''",
                f"is required when airflow:issuerKind is {edge.issuer_kind}: the contact address of the ACME account",
            )
        elif edge.acme_email and (
            edge.acme_email.rsplit("@", 1)[-1].lower() in RESERVED_EMAIL_DOMAINS or is_reserved(edge.acme_email)
        ):
            reader.fail(
                "acmeEmail",
                repr(edge.acme_email),
                "Let's Encrypt refuses contact addresses at reserved domains such as example.com: use a real mailbox",
            )
        if edge.domain and is_reserved(edge.domain):
            reader.fail(
                "domain",
                repr(edge.domain),
                f"Let's Encrypt cannot certify reserved names ({', '.join(RESERVED_SUFFIXES)}): "
                "use airflow:issuerKind self-signed",
            )
    return edge


# --- worker logs: the logs volume of each Celery worker and its groomer (WorkerLogs) ----------------------------------


class ClaimRetention(StrEnum):
    """What the StatefulSet controller does with a worker's logs claim (Kubernetes' own vocabulary)."""

    RETAIN = "Retain"
    DELETE = "Delete"


@dataclass(frozen=True)
class WorkerLogsSettings:
    """Where the Celery workers keep task logs, how long logs live, and what happens to the volumes."""

    persistence: bool
    """A PersistentVolumeClaim per worker (true) or an emptyDir that dies with the pod (false)."""
    size: str
    """Size of each worker's claim, or the emptyDir's size limit."""
    storage_class: str
    """StorageClass of the claims; empty means the cluster's default class."""
    when_scaled: ClaimRetention
    """Claims of workers removed by a scale-down."""
    when_deleted: ClaimRetention
    """Claims of all workers when the StatefulSet is deleted (also on its replacement)."""
    retention_days: int
    """The groomer deletes log files older than this."""
    fix_permissions: bool
    """A root init container that chowns the volume, for provisioners that ignore fsGroup."""
    groomer: Resources
    """Requests and limits of the groomer sidecar (also used by the permissions fix)."""


def read_worker_logs(reader: ConfigReader) -> WorkerLogsSettings:
    logs = WorkerLogsSettings(
        persistence=reader.read("workerLogsPersistence", parse_bool),
        size=reader.read("workerLogsSize", memory_quantity),
        storage_class=reader.read("workerLogsStorageClass", dns_subdomain_or_empty),
        when_scaled=reader.read("workerLogsWhenScaled", member_of(ClaimRetention)),
        when_deleted=reader.read("workerLogsWhenDeleted", member_of(ClaimRetention)),
        retention_days=reader.read("workerLogsRetentionDays", integer_between(1, 3650)),
        fix_permissions=reader.read("workerLogsFixPermissions", parse_bool),
        groomer=read_resources(reader, "logGroomer"),
    )
    if logs.fix_permissions and not logs.persistence:
        reader.fail(
            "workerLogsFixPermissions",
            "'true'",
            "only applies when airflow:workerLogsPersistence is true: an emptyDir always honours fsGroup",
        )
    return logs


# --- DAGs from git: repository, revision, credentials, host keys (GitSync) --------------------------------------------


class GitTransport(StrEnum):
    """How git-sync reaches the repository."""

    SSH = "ssh"
    HTTPS = "https"


SSH_PORT = 22
HTTPS_PORT = 443
# The published SSH host keys of the big git hosts, so that host-key verification needs no setup for them. Looked up
# 2026-11-24 in each operator's own documentation: GitHub "GitHub's SSH key fingerprints"; GitLab "GitLab.com settings"
# (SSH known_hosts entries); Bitbucket Cloud "Configure SSH and two-step verification" (fingerprints), whose lines are
# served at bitbucket.org/site/ssh. Every key's SHA256 fingerprint is checked against the published one in
# tests/test_git_sync.py. When an operator rotates a key, git-sync fails with "Host key verification failed": update here.
BUILT_IN_HOST_KEYS: dict[str, tuple[str, ...]] = {
    "github.com": (
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl",
        "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBEmKSENjQEezOmxkZMy7opKgwFB9nkt5YRrYMjN"
        "uG5N87uRgg6CLrbo5wAdT/y6v0mKV0U2w0WZ2YB/++Tpockg=",
        "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABgQCj7ndNxQowgcQnjshcLrqPEiiphnt+VTTvDP6mHBL9j1aNUkY4Ue1gvwnGLVlOhGeYrnZaMgRK6+P"
        "KCUXaDbC7qtbW8gIkhL7aGCsOr/C56SJMy/BCZfxd1nWzAOxSDPgVsmerOBYfNqltV9/hWCqBywINIR+5dIg6JTJ72pcEpEjcYgXkE2YEFXV1JHnsK"
        "gbLWNlhScqb2UmyRkQyytRLtL+38TGxkxCflmO+5Z8CSSNY7GidjMIZ7Q4zMjA2n1nGrlTDkzwDCsw+wqFPGQA179cnfGWOWRVruj16z6XyvxvjJwbz"
        "0wQZ75XK5tKSb7FNyeIEs4TT4jk+S4dhPeAUC5y+bDYirYgM4GC7uEnztnZyaVWQ7B381AK4Qdrwt51ZqExKbQpTUNn+EjqoTwvqNj4kqx5QUCI0Th"
        "S/YkOxJCXmPUWZbhjpCg56i+2aB6CmK2JGhn57K5mj0MNdBXA4/WnwH6XoPWJzK5Nyu2zB3nAZp+S5hpQs+p1vN1/wsjk=",
    ),
    "gitlab.com": (
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAfuCHKVTjquxvt6CM6tdG4SLp1Btn/nOeHHE5UOzRdf",
        "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBFSMqzJeV9rUzU4kWitGjeR4PWSa29SPqJ1fVkht"
        "j3Hw9xjLVXVYrU9QlYWrOLXBpQ6KWjbjTDTdDkoohFzgbEY=",
        "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQCsj2bNKTBSpIYDEGk9KxsGh3mySTRgMtXL583qmBpzeQ+jqCMRgBqB98u3z++J1sKlXHWfM9dyhS"
        "evkMwSbhoR8XIq/U0tCNyokEi/ueaBMCvbcTHhO7FcwzY92WK4Yt0aGROY5qX2UKSeOvuP4D6TPqKF1onrSzH9bx9XUf2lEdWT/ia1NEKjunUqu1xOB"
        "/StKDHMoX4/OKyIzuS0q/T1zOATthvasJFoPrAjkohTyaDUz2LN5JoH839hViyEG82yB+MjcFV5MU3N1l1QL3cVUCh93xSaua1N85qivl+siMkPGbO5"
        "xR/En4iEY6K2XPASUEMaieWVNTRCtJ4S8H+9",
    ),
    "bitbucket.org": (
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIazEu89wgQZ4bqs3d63QSMzYVa0MuJ2e2gKTKqu+UUO",
        "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBPIQmuzMBuKdWeF4+a2sjSSpBK0iqitSQ+5BM9Kh"
        "pexuGt20JpTVM7u5BDZngncgrqDMbWdxMWWOGtZ9UgbqgZE=",
        "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABgQDQeJzhupRu0u0cdegZIa8e86EG2qOCsIsD1Xw0xSeiPDlCr7kq97NLmMbpKTX6Esc30NuoqEEHCu"
        "c7yWtwp8dI76EEEB1VqY9QJq6vk+aySyboD5QF61I/1WeTwu+deCbgKMGbUijeXhtfbxSxm6JwGrXrhBdofTsbKRUsrN1WoNgUa8uqN1Vx6WAJw1JH"
        "PhglEGGHea6QICwJOAr/6mrui/oB7pkaWKHj3z7d1IC4KWLtY47elvjbaTlkN04Kc/5LFEirorGYVbt15kAUlqGM65pk6ZBxtaO3+30LVlORZkxOh+"
        "LKL/BvbZ/iRNhItLqNyieoQj/uh/7Iv4uyH/cV/0b4WDSd3DptigWq84lJubb9t/DnZlrJazxyDCulTmKdOR7vs9gMTo+uoIrPSb8ScTtvw65+odKA"
        "lBj59dhnVp9zd7QUojOpXlL62Aw56U4oO+FALuevvMjiWeavKhJqlR7i5n9srYcrNV7ttmDw7kf/97P5zauIhxcjX+xHv4M=",
    ),
}
HOST_KEY_TYPES = (
    "ssh-ed25519",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "ssh-rsa",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
)
GIT_HOST = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$")
GIT_USER = re.compile(r"^[A-Za-z0-9._-]+$")
SCP_LIKE_URL = re.compile(r"^(?P<user>[^@:/\s]+)@(?P<host>[^@:/\s]+):(?P<path>\S+)$")
REPOSITORY_PATH = re.compile(r"^[A-Za-z0-9._~/-]+$")
GIT_REF = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._/+-]{0,254}$")
PATH_SEGMENT = re.compile(r"^[A-Za-z0-9_.-]+$")
GO_DURATION = re.compile(r"^(\d+(\.\d+)?(ms|s|m|h))+$")
DURATION_SECONDS = {"ms": Decimal("0.001"), "s": Decimal(1), "m": Decimal(60), "h": Decimal(3600)}
PEM_BLOCK = re.compile(r"^-----BEGIN ([A-Z0-9 ]+)-----\n(.*?)\n-----END \1-----$", re.DOTALL)
PUBLIC_KEY_TEXT = re.compile(
    r"^(ssh-\S+|ecdsa-\S+|sk-\S+)\s+AAAA|^-----BEGIN [A-Z0-9 ]*PUBLIC KEY-----|^---- BEGIN SSH2 PUBLIC KEY"
)
PRIVATE_KEY_LABELS = ("OPENSSH PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY", "DSA PRIVATE KEY", "PRIVATE KEY")
OPENSSH_KEY_MAGIC = b"openssh-key-v1\x00"

REPOSITORY_RULE = (
    "must be an SSH URL such as git@github.com:org/repo.git or ssh://git@git.example.com:2222/org/repo.git, "
    "or an HTTPS URL such as https://github.com/org/repo.git"
)
SSH_KEY_RULE = (
    "must be an SSH private key: the text of the key file (-----BEGIN OPENSSH PRIVATE KEY----- ...), "
    "or that text in base64 (base64 -w 0)"
)
PUBLIC_KEY_RULE = (
    "is a public key (a .pub file): give the private key instead: "
    "pulumi config set --secret gitSyncSshKey < ~/.ssh/id_ed25519"
)
CREDENTIALS_IN_URL_RULE = (
    "must not carry a user name or password: set airflow:gitSyncUsername, and airflow:gitSyncToken with --secret"
)
PASSPHRASE_RULE = (
    "is protected by a passphrase, which git-sync cannot type: use a deploy key without one "
    "(ssh-keygen -t ed25519 -N '' -f airflow-dags)"
)


@dataclass(frozen=True)
class GitRepository:
    """A repository URL, checked, with what the host-key check and the network policy need to know about it."""

    url: str
    transport: GitTransport
    host: str
    port: int

    @property
    def known_hosts_name(self) -> str:
        """How ssh names the host in known_hosts: bare on port 22, `[host]:port` on any other port."""
        return self.host if self.port == SSH_PORT else f"[{self.host}]:{self.port}"


@dataclass(frozen=True)
class KnownHostsLine:
    """One line of a known_hosts file."""

    text: str
    marker: str
    hosts: tuple[str, ...]

    def covers(self, name: str) -> bool:
        """Whether ssh would verify `name` (a known_hosts host name) with this line."""
        if self.marker == "@revoked":
            return False
        if any(pattern.startswith("!") and host_pattern_matches(pattern[1:], name) for pattern in self.hosts):
            return False
        return any(not pattern.startswith("!") and host_pattern_matches(pattern, name) for pattern in self.hosts)


@dataclass(frozen=True)
class GitSyncSettings:
    """Where the DAGs come from when a repository is configured, and how git-sync fetches them."""

    repository: GitRepository
    ref: str
    """Branch, tag or commit; HEAD is the repository's default branch."""
    sub_path: str
    """Folder of the DAGs inside the repository, relative, without a trailing '/'; empty for the root."""
    period: str
    """Time between syncs, a Go duration such as 10s."""
    dag_refresh_interval: int
    """Seconds between the dag-processor's listings of the DAGs folder: the configured value, or the period's."""
    depth: int
    """Commits fetched; 0 is the whole history."""
    max_failures: int
    """Consecutive failed syncs before git-sync exits (and the kubelet restarts it); -1 retries forever."""
    image: str
    resources: Resources
    ssh_key: pulumi.Output[str] | None
    """The private key file's text (secret), for an SSH repository."""
    verify_host_keys: bool
    known_hosts: str
    """The known_hosts file for an SSH repository with verification: the host's built-in lines, then the configured
    ones. Empty otherwise."""
    username: str
    token: pulumi.Output[str] | None
    """Access token (secret), for an HTTPS repository that needs one."""


def git_repository_or_empty(raw: str) -> GitRepository | None:
    if not raw:
        return None
    if re.match(r"^(http|git)://", raw):
        raise ValueError(
            "must not use http:// or git://, which let anyone on the network path change the DAGs: "
            "use the https:// or the SSH URL"
        )
    scp_like = SCP_LIKE_URL.match(raw)
    if scp_like and "://" not in raw:
        user, host, port, path = scp_like["user"], scp_like["host"].lower(), SSH_PORT, scp_like["path"]
        transport = GitTransport.SSH
    else:
        try:
            parts = urlsplit(raw)
            port = parts.port if parts.port is not None else SSH_PORT if parts.scheme == "ssh" else HTTPS_PORT
        except ValueError:  # an unparsable host or port
            raise ValueError(REPOSITORY_RULE) from None
        if parts.scheme == "https" and parts.username:
            raise ValueError(CREDENTIALS_IN_URL_RULE)
        if parts.scheme not in ("ssh", "https") or parts.password or parts.query or parts.fragment:
            raise ValueError(REPOSITORY_RULE)
        transport = GitTransport(parts.scheme)
        # git-sync runs as a user that the git host does not know: an SSH URL must name the remote user.
        user = (parts.username or "") if transport is GitTransport.SSH else "git"
        host, path = parts.hostname or "", parts.path.lstrip("/")
    if (
        not GIT_USER.match(user)
        or not GIT_HOST.match(host)
        or not 0 < port < 65536
        or not REPOSITORY_PATH.match(path)
        or ".." in path.split("/")
    ):
        raise ValueError(REPOSITORY_RULE)
    return GitRepository(url=raw, transport=transport, host=host, port=port)


def password_masked(raw: str) -> str | None:
    """The URL with its password replaced by ***, or None when it has no password."""
    try:
        parts = urlsplit(raw)
        password = parts.password
    except ValueError:
        return None
    if not password:
        return None
    return parts._replace(netloc=f"{parts.username}:***@{parts.netloc.rsplit('@', 1)[1]}").geturl()


def git_ref(raw: str) -> str:
    if not GIT_REF.match(raw) or ".." in raw or "//" in raw or raw.endswith(("/", ".", ".lock")):
        raise ValueError(
            "must be a branch, tag or commit such as main, v1.4.0 or a commit hash (HEAD: the default branch)"
        )
    return raw


def repository_sub_path(raw: str) -> str:
    if raw.startswith("/"):
        raise ValueError("must be relative to the repository's root, without a leading '/', such as part2/dags")
    path = raw.rstrip("/")
    segments = path.split("/") if path else []
    if ".." in segments:
        raise ValueError("must stay inside the repository: no '..'")
    if any(segment == "." or not PATH_SEGMENT.match(segment) for segment in segments):
        raise ValueError("must be a folder such as part2/dags: names of letters, digits, '.', '_' and '-' joined by '/'")
    return path


def duration_seconds(raw: str) -> Decimal:
    return sum(
        (Decimal(number) * DURATION_SECONDS[unit] for number, _, unit in re.findall(r"(\d+(\.\d+)?)(ms|s|m|h)", raw)),
        Decimal(0),
    )


def sync_period(raw: str) -> str:
    rule = "must be a duration from 1s to 24h such as 10s, 1m or 1m30s (units ms, s, m, h)"
    if not GO_DURATION.match(raw):
        raise ValueError(rule)
    if not 1 <= duration_seconds(raw) <= 86400:
        raise ValueError(rule)
    return raw


def username_or_empty(raw: str) -> str:
    if raw and not re.match(r"^[A-Za-z0-9_.@-]{1,64}$", raw):
        raise ValueError("must be empty or 1 to 64 letters, digits, '_', '.', '@' or '-'")
    return raw


def access_token(raw: str) -> str:
    token = raw.strip()
    if not token or len(token) > 1024 or any(character.isspace() for character in token):
        raise ValueError("must be an access token: one line, no spaces (a personal access token or app password)")
    return token


def base64_text(raw: str) -> str | None:
    """The text that `raw` is the base64 of, or None when it is not base64 of text."""
    try:
        return base64.b64decode("".join(raw.split()), validate=True).decode("utf-8")
    except ValueError:  # binascii.Error and UnicodeDecodeError are ValueErrors
        return None


def pem_body(body: str) -> bytes:
    try:
        return base64.b64decode("".join(body.split()), validate=True)
    except ValueError:
        raise ValueError(SSH_KEY_RULE) from None


def openssh_cipher(blob: bytes) -> str:
    """The cipher of an OpenSSH private key file ('none' when it has no passphrase)."""
    start = len(OPENSSH_KEY_MAGIC) + 4
    if not blob.startswith(OPENSSH_KEY_MAGIC) or len(blob) < start:
        raise ValueError(SSH_KEY_RULE)
    (length,) = struct.unpack_from(">I", blob, len(OPENSSH_KEY_MAGIC))
    cipher = blob[start : start + length]
    if len(cipher) != length:
        raise ValueError(SSH_KEY_RULE)
    return cipher.decode("ascii", "replace")


def ssh_private_key(raw: str) -> str:
    """The key file's text with LF line ends and a final newline: `pulumi config set < file` drops that newline, and
    OpenSSH refuses a key file without it. Takes the text or, as the seed article made it, its base64."""
    text = raw.strip().replace("\r\n", "\n")
    if not text.startswith("-") and not PUBLIC_KEY_TEXT.match(text):
        decoded = base64_text(text)
        if decoded is None:
            raise ValueError(SSH_KEY_RULE)
        text = decoded.strip().replace("\r\n", "\n")
    if PUBLIC_KEY_TEXT.match(text):
        raise ValueError(PUBLIC_KEY_RULE)
    block = PEM_BLOCK.match(text)
    if block and (block[1] == "ENCRYPTED PRIVATE KEY" or "Proc-Type: 4,ENCRYPTED" in block[2]):
        raise ValueError(PASSPHRASE_RULE)
    if not block or block[1] not in PRIVATE_KEY_LABELS:
        raise ValueError(SSH_KEY_RULE)
    der = pem_body(block[2])
    if block[1] == "OPENSSH PRIVATE KEY":
        if openssh_cipher(der) != "none":
            raise ValueError(PASSPHRASE_RULE)
    elif not der.startswith(b"\x30"):  # every PEM private key is a DER SEQUENCE
        raise ValueError(SSH_KEY_RULE)
    return text + "\n"


def host_pattern_matches(pattern: str, name: str) -> bool:
    """ssh's matching of a known_hosts host field: `*` and `?` wildcards, or a hashed name (`|1|salt|hmac`)."""
    if pattern.startswith("|1|"):
        salt, digest = pattern[3:].split("|", 1)
        expected = hmac.new(base64.b64decode(salt), name.encode(), hashlib.sha1).digest()
        return hmac.compare_digest(expected, base64.b64decode(digest))
    wildcard = re.escape(pattern.lower()).replace(r"\*", ".*").replace(r"\?", ".")
    return re.fullmatch(wildcard, name.lower()) is not None


def known_hosts_line(number: int, text: str) -> KnownHostsLine:
    fields = text.split()
    marker = fields.pop(0) if fields[0].startswith("@") else ""
    try:
        hosts, key_type, key = fields[0], fields[1], fields[2]
        blob = base64.b64decode(key, validate=True)
        for pattern in hosts.split(","):
            if pattern.startswith("|1|"):
                host_pattern_matches(pattern, "")
    except (IndexError, ValueError):
        blob, key_type, hosts = b"", "", ""
    encoded_type = key_type.encode()
    if (
        marker not in ("", "@cert-authority", "@revoked")
        or key_type not in HOST_KEY_TYPES
        or not blob.startswith(struct.pack(">I", len(encoded_type)) + encoded_type)  # the key says its own type
    ):
        raise ValueError(
            f"line {number} is not a known_hosts line '<host> <key type> <base64 key>' as printed by ssh-keyscan"
        )
    return KnownHostsLine(text=text, marker=marker, hosts=tuple(hosts.split(",")))


def known_hosts_lines(raw: str) -> tuple[KnownHostsLine, ...]:
    numbered = enumerate((line.strip() for line in raw.splitlines()), start=1)
    return tuple(known_hosts_line(number, line) for number, line in numbered if line and not line.startswith("#"))


def keyscan_command(repository: GitRepository) -> str:
    port = "" if repository.port == SSH_PORT else f" -p {repository.port}"
    return f"ssh-keyscan{port} {repository.host}"


def check_ssh_host_keys(
    reader: ConfigReader, repository: GitRepository, verify: bool, lines: tuple[KnownHostsLine, ...]
) -> str:
    """The known_hosts file for this repository; records a problem when the host cannot be verified."""
    shown = repr(reader.text("gitSyncKnownHosts"))
    if not verify:
        if lines:
            reader.fail("gitSyncKnownHosts", shown, "is unused while airflow:gitSyncVerifyHostKeys is false")
        return ""
    built_in = BUILT_IN_HOST_KEYS.get(repository.host, ()) if repository.port == SSH_PORT else ()
    name = repository.known_hosts_name
    if not built_in and not any(line.covers(name) for line in lines):
        scan = keyscan_command(repository)
        if not lines:
            reader.fail(
                "gitSyncKnownHosts",
                shown,
                f"is required for {name}, which has no built-in host key (only {', '.join(BUILT_IN_HOST_KEYS)} have): "
                f"`{scan} > known_hosts`, compare the fingerprints of `ssh-keygen -lf known_hosts` with those its "
                "operator publishes, then set the keys you checked: `pulumi config set gitSyncKnownHosts < known_hosts`",
            )
        else:
            reader.fail(
                "gitSyncKnownHosts", shown, f"has no line for {name}, the host of airflow:gitSyncRepository: add `{scan}`"
            )
    return "".join(f"{repository.host} {key}\n" for key in built_in) + "".join(f"{line.text}\n" for line in lines)


def read_git_sync(reader: ConfigReader) -> GitSyncSettings | None:
    """The git-sync settings, or None when no repository is set (the DAGs baked into the image are used)."""
    masked = password_masked(reader.text("gitSyncRepository") or "")
    if masked is not None:
        # Read like every key, but never echo the password.
        reader.fail("gitSyncRepository", repr(masked), CREDENTIALS_IN_URL_RULE)
        repository = None
    else:
        repository = reader.read("gitSyncRepository", git_repository_or_empty)
    ref = reader.read("gitSyncRef", git_ref)
    sub_path = reader.read("gitSyncSubPath", repository_sub_path)
    period = reader.read("gitSyncPeriod", sync_period)
    dag_refresh_interval = reader.read("gitSyncDagRefreshInterval", integer_between(0, 86400))
    depth = reader.read("gitSyncDepth", integer_between(0, 1_000_000))
    max_failures = reader.read("gitSyncMaxFailures", integer_between(-1, 1000))
    image = reader.read("gitSyncImage", image_reference)
    resources = read_resources(reader, "gitSync")
    ssh_key = reader.secret("gitSyncSshKey", ssh_private_key)
    verify = reader.read("gitSyncVerifyHostKeys", parse_bool)
    lines = reader.read("gitSyncKnownHosts", known_hosts_lines)
    username = reader.read("gitSyncUsername", username_or_empty)
    token = reader.secret("gitSyncToken", access_token)

    shown_username = repr(username)
    shown_known_hosts = repr(reader.text("gitSyncKnownHosts"))
    if repository is None:
        if not reader.text("gitSyncRepository"):
            unused = "is set, but airflow:gitSyncRepository is empty (the DAGs come from the image): set both or neither"
            for key, shown, value in (
                ("gitSyncSshKey", "(secret)", ssh_key),
                ("gitSyncToken", "(secret)", token),
                ("gitSyncUsername", shown_username, username),
                ("gitSyncKnownHosts", shown_known_hosts, lines),
                ("gitSyncDagRefreshInterval", str(dag_refresh_interval), dag_refresh_interval),
            ):
                if value:
                    reader.fail(key, shown, unused)
        return None

    known_hosts = ""
    if repository.transport is GitTransport.SSH:
        for key, shown, value in (("gitSyncToken", "(secret)", token), ("gitSyncUsername", shown_username, username)):
            if value:
                reader.fail(
                    key,
                    shown,
                    "is for HTTPS repositories, but airflow:gitSyncRepository is an SSH URL: "
                    "use airflow:gitSyncSshKey, or the repository's https:// URL",
                )
        if ssh_key is None:
            reader.fail(
                "gitSyncSshKey",
                "(not set)",
                f"is required for the SSH repository {repository.url}: "
                "pulumi config set --secret gitSyncSshKey < ~/.ssh/id_ed25519",
            )
        known_hosts = check_ssh_host_keys(reader, repository, verify, lines)
    else:
        if ssh_key is not None:
            reader.fail(
                "gitSyncSshKey",
                "(secret)",
                "is for SSH repositories, but airflow:gitSyncRepository is an HTTPS URL: use the repository's SSH URL "
                "(git@host:org/repo.git), or airflow:gitSyncUsername and airflow:gitSyncToken",
            )
        if lines:
            reader.fail(
                "gitSyncKnownHosts",
                shown_known_hosts,
                "applies to SSH repositories only; an HTTPS host is verified by its TLS certificate",
            )
        if token is not None and not username:
            reader.fail("gitSyncUsername", "''", "is required with airflow:gitSyncToken")
        if username and token is None:
            reader.fail(
                "gitSyncToken",
                "(not set)",
                "is required with airflow:gitSyncUsername: pulumi config set --secret gitSyncToken (it prompts)",
            )
    return GitSyncSettings(
        repository=repository,
        ref=ref,
        sub_path=sub_path,
        period=period,
        # Airflow takes whole seconds; rounding up keeps the listing no more frequent than the sync.
        dag_refresh_interval=dag_refresh_interval or math.ceil(duration_seconds(period)),
        depth=depth,
        max_failures=max_failures,
        image=image,
        resources=resources,
        ssh_key=ssh_key,
        verify_host_keys=verify,
        known_hosts=known_hosts,
        username=username,
        token=token,
    )


# --- secrets the kept data depends on, given back in config (AirflowSecrets) ------------------------------------------

FERNET_KEY_TEXT = re.compile(r"^[A-Za-z0-9_-]{43}=$")
FERNET_KEY_RULE = (
    "must be a Fernet key: url-safe base64 of exactly 32 bytes (44 characters ending in '='), as printed by "
    "Fernet.generate_key(); while rotating, such keys separated by commas, the new one first"
)
SECRET_PASSWORD_RULE = "must be a password without control characters (line breaks, tabs)"


@dataclass(frozen=True)
class SecretsSettings:
    """Secrets given in config instead of generated, so that data kept through `pulumi destroy` stays readable."""

    fernet_key: pulumi.Output[str] | None
    """Airflow's Fernet key, or comma-separated keys while rotating (secret); None to generate one."""
    postgres_password: pulumi.Output[str] | None
    """Password of the in-cluster PostgreSQL's `airflow` role (secret); None to generate one."""


def fernet_keys(raw: str) -> str:
    """Airflow splits the setting on commas without trimming, so the keys are joined back without spaces."""
    keys = [key.strip() for key in raw.split(",")]
    if not all(FERNET_KEY_TEXT.match(key) and len(base64.urlsafe_b64decode(key)) == 32 for key in keys):
        raise ValueError(FERNET_KEY_RULE)
    return ",".join(keys)


def secret_password(raw: str) -> str:
    # Any other character is fine: the Postgres component percent-encodes the password in the SQLAlchemy URL.
    if any(ord(character) < 32 or ord(character) == 127 for character in raw):
        raise ValueError(SECRET_PASSWORD_RULE)
    return raw


def read_secrets(reader: ConfigReader) -> SecretsSettings:
    settings = SecretsSettings(
        fernet_key=reader.secret("fernetKey", fernet_keys),
        postgres_password=reader.secret("postgresPassword", secret_password),
    )
    if settings.postgres_password is not None and reader.text("externalDatabaseUrl"):
        reader.fail(
            "postgresPassword",
            "(secret)",
            "is unused while airflow:externalDatabaseUrl is set (no in-cluster PostgreSQL): remove it with "
            "`pulumi config rm postgresPassword`",
        )
    return settings


# --- the data: backups of the metadata database and its clean-up (DatabaseBackup, MetadataCleanup) -------------------


class BackupMode(StrEnum):
    AUTO = "auto"
    ON = "on"
    OFF = "off"


@dataclass(frozen=True)
class DatabaseBackupSettings:
    """The nightly `pg_dump` of the metadata database onto a volume of its own."""

    enabled: bool
    """`databaseBackup` resolved: auto means on for the in-cluster database, off for an external one (whose provider
    usually backs it up)."""
    schedule: str
    """Cron schedule, in UTC."""
    keep: int
    """How many verified dumps stay on the volume."""
    storage_size: str
    storage_class: str
    resources: Resources


@dataclass(frozen=True)
class MetadataCleanupSettings:
    """The periodic `airflow db clean` that keeps the metadata database from growing forever."""

    enabled: bool
    schedule: str
    """Cron schedule, in UTC."""
    retention_days: int
    """Rows older than this many days are deleted."""
    resources: Resources


MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
WEEKDAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
# (low, high, names from low on) of each field, as the CronJob controller's parser reads them; 7 is Sunday too.
CRON_FIELDS = ((0, 59, ()), (0, 23, ()), (1, 31, ()), (1, 12, MONTH_NAMES), (0, 7, WEEKDAY_NAMES))
CRON_MACROS = ("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly")
CRON_RULE = (
    "must be a cron schedule in UTC: five fields (minute hour day-of-month month day-of-week), each *, a number, a "
    "range a-b or a list a,b, each optionally /step, e.g. '0 2 * * *'; or one of " + ", ".join(CRON_MACROS)
)


def cron_value(text: str, low: int, high: int, names: tuple[str, ...]) -> int:
    if text.lower() in names:
        return low + names.index(text.lower())
    if not text.isdigit() or not low <= int(text) <= high:
        raise ValueError(CRON_RULE)
    return int(text)


def cron_item(item: str, low: int, high: int, names: tuple[str, ...]) -> None:
    span, slash, step = item.partition("/")
    if slash and (not step.isdigit() or not 1 <= int(step) <= high):
        raise ValueError(CRON_RULE)
    if span in ("*", "?"):  # the controller's parser reads "?" as "*"
        return
    first, dash, last = span.partition("-")
    start = cron_value(first, low, high, names)
    if dash and cron_value(last, low, high, names) < start:
        raise ValueError(CRON_RULE)


def cron_schedule(raw: str) -> str:
    """A schedule the CronJob controller accepts, normalised to single spaces (what the API server then shows)."""
    fields = raw.split()
    if len(fields) == 1 and fields[0] in CRON_MACROS:
        return fields[0]
    if len(fields) != len(CRON_FIELDS):
        raise ValueError(CRON_RULE)
    for field_text, (low, high, names) in zip(fields, CRON_FIELDS, strict=True):
        for item in field_text.split(","):
            cron_item(item, low, high, names)
    return " ".join(fields)


def read_database_backup(reader: ConfigReader) -> DatabaseBackupSettings:
    mode = reader.read("databaseBackup", member_of(BackupMode))
    in_cluster = not reader.text("externalDatabaseUrl")
    return DatabaseBackupSettings(
        enabled=mode is BackupMode.ON or (mode is BackupMode.AUTO and in_cluster),
        schedule=reader.read("databaseBackupSchedule", cron_schedule),
        keep=reader.read("databaseBackupKeep", integer_between(1, 1000)),
        storage_size=reader.read("databaseBackupStorageSize", memory_quantity),
        storage_class=reader.read("databaseBackupStorageClass", dns_subdomain_or_empty),
        resources=read_resources(reader, "databaseBackup"),
    )


def read_metadata_cleanup(reader: ConfigReader) -> MetadataCleanupSettings:
    return MetadataCleanupSettings(
        enabled=reader.read("metadataCleanup", parse_bool),
        schedule=reader.read("metadataCleanupSchedule", cron_schedule),
        retention_days=reader.read("metadataCleanupRetentionDays", integer_between(1, 36500)),
        resources=read_resources(reader, "metadataCleanup"),
    )


# --- the connection pool in front of the metadata database (ConnectionPool) -------------------------------------------


@dataclass(frozen=True)
class PgBouncerSettings:
    """PgBouncer between the Airflow processes and their database, or none."""

    enabled: bool
    image: str
    process: ProcessSettings
    """Replicas and resources of the PgBouncer pods."""
    max_client_connections: int
    """Client connections each PgBouncer accepts (`max_client_conn`)."""
    pool_size: int
    """Server connections each PgBouncer opens to the database (`default_pool_size`)."""


def read_pgbouncer(reader: ConfigReader) -> PgBouncerSettings:
    pgbouncer = PgBouncerSettings(
        enabled=reader.read("pgbouncerEnabled", parse_bool),
        image=reader.read("pgbouncerImage", image_reference),
        process=read_process(reader, "pgbouncer", max_replicas=10),
        max_client_connections=reader.read("pgbouncerMaxClientConnections", integer_between(10, 100000)),
        pool_size=reader.read("pgbouncerPoolSize", integer_between(1, 1000)),
    )
    if pgbouncer.pool_size > pgbouncer.max_client_connections:
        reader.fail(
            "pgbouncerPoolSize",
            repr(str(pgbouncer.pool_size)),
            f"must not exceed airflow:pgbouncerMaxClientConnections ({pgbouncer.max_client_connections}): a pool "
            "larger than its clients can never fill",
        )
    return pgbouncer
