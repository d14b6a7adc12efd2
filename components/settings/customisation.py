"""Making it yours: Airflow's own configuration, connections and variables, extra environment sources, image pull
secrets, pod and service-account metadata and the workers' concurrency, from the stack's structured keys
(AirflowOverrides, PodCustomisation).

Nothing here can weaken what the stack guarantees: an Airflow option the stack sets itself is refused with the key
that controls it, as are the labels the stack selects pods by and the annotations that carry its own state or would
loosen a pod's security profile.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from components.settings.reader import ConfigReader
from components.settings.resources import ProcessSettings
from components.settings.rules import (
    DEFAULT,
    DNS_SUBDOMAIN,
    LABEL_KEY,
    LABEL_VALUE,
    integer_between,
    quantity_value,
)
from components.settings.scheduling import read_scheduling

IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")
ENV_SUFFIX = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# The Airflow processes that run task or callback code, which are the ones that read connections and variables.
TASK_RUNNERS = ("worker", "triggerer", "dag-processor")
# Airflow options the stack sets itself, and what controls each instead.
OWNED_OPTIONS: dict[tuple[str, str], str] = {
    ("core", "executor"): "the stack runs the CeleryExecutor",
    ("database", "sql_alchemy_conn"): "airflow:externalDatabaseUrl (and airflow:pgbouncerEnabled)",
    ("celery", "broker_url"): "airflow:externalBrokerUrl",
    ("core", "fernet_key"): "airflow:fernetKey",
    ("api", "secret_key"): "the stack generates it (see rotating a secret)",
    ("api_auth", "jwt_secret"): "the stack generates it (see rotating a secret)",
    ("core", "dags_folder"): "airflow:gitSyncRepository and airflow:gitSyncSubPath",
    ("api", "base_url"): "airflow:domain",
    ("core", "execution_api_server_url"): "the stack points it at the api-server's Service",
    ("core", "auth_manager"): "the stack runs FAB's auth manager",
    ("core", "load_examples"): "the stack never loads the examples",
    ("core", "hostname_callable"): "the stack sets it so that task logs can be read from the workers",
    ("fab", "config_file"): "airflow:webserverConfig",
    ("fab", "cookie_secure"): "the stack serves the UI over HTTPS only",
    ("fab", "enable_proxy_fix"): "the stack sets it for the Ingress",
    ("dag_processor", "refresh_interval"): "airflow:gitSyncDagRefreshInterval",
    ("dag_processor", "bundle_refresh_check_interval"): "airflow:gitSyncDagRefreshInterval",
    ("celery", "worker_concurrency"): "airflow:workerConcurrency",
    ("api", "port"): "the api-server's Service, probes and NetworkPolicies use 8080",
    ("api", "host"): "the api-server listens on every address of its pod",
    ("logging", "worker_log_server_port"): "the NetworkPolicies open 8793",
    ("logging", "trigger_log_server_port"): "the NetworkPolicies open 8794",
    ("logging", "base_log_folder"): "the stack mounts the logs volumes there",
}
# Options the stack sets only while it runs the metrics exporter; otherwise the team may send StatsD elsewhere.
METRICS_OWNED = "airflow:metricsEnabled (every process sends StatsD to the stack's exporter)"
METRICS_OPTIONS: dict[tuple[str, str], str] = {
    ("metrics", "statsd_on"): METRICS_OWNED,
    ("metrics", "statsd_host"): METRICS_OWNED,
    ("metrics", "statsd_port"): METRICS_OWNED,
    ("metrics", "statsd_prefix"): METRICS_OWNED + ", whose mapping expects `airflow`",
    ("metrics", "legacy_names_on"): METRICS_OWNED + ", whose mapping labels the names that carry dag_id, task_id, pool",
}
# Labels the stack selects its pods by, and annotations that hold its own state or a pod's security profile.
OWNED_LABEL_PREFIXES = ("app.kubernetes.io/",)
OWNED_ANNOTATION_PREFIXES = (
    "airflow.pulumi.io/",
    "cluster-autoscaler.kubernetes.io/safe-to-evict",
    "container.apparmor.security.beta.kubernetes.io/",
    "seccomp.security.alpha.kubernetes.io/",
    "pod-security.kubernetes.io/",
)
OPTIONS_FILE = Path(__file__).with_name("airflow_options.json")
# Sections whose options are passed on as they are (to Celery's transports, to the log handlers' clients).
FREE_FORM_SECTIONS = (
    "celery_broker_transport_options", "celery_result_backend_transport_options", "elasticsearch_configs",
    "opensearch_configs",
)  # fmt: skip
ENV_SOURCE_RULE = "must be secret/<name> or configmap/<name>, naming an existing Secret or ConfigMap in the namespace"
# Past these a worker is clearly oversubscribed: its tasks queue for CPU or are killed for memory.
TASKS_PER_CORE = 8
MEMORY_PER_TASK = 200 * 2**20


@dataclass(frozen=True)
class EnvEntry:
    """One environment variable of the Airflow containers."""

    name: str
    value: str


@dataclass(frozen=True)
class CustomisationSettings:
    airflow_config: tuple[EnvEntry, ...]
    """`AIRFLOW__SECTION__OPTION` for every process."""
    airflow_config_secret: bool
    """Whether the stack stores any of airflowConfig encrypted: then all of it goes through a Secret."""
    connections: tuple[EnvEntry, ...]
    """`AIRFLOW_CONN_<ID>`, always secret."""
    variables: tuple[EnvEntry, ...]
    """`AIRFLOW_VAR_<KEY>`, always through a Secret."""
    env_from: tuple[tuple[str, str], ...]
    """(kind, name): existing Secrets and ConfigMaps whose keys become the Airflow containers' environment."""
    image_pull_secrets: tuple[str, ...]
    pod_annotations: dict[str, dict[str, str]]
    """Per component label, or `default`."""
    pod_labels: dict[str, dict[str, str]]
    service_account_annotations: dict[str, dict[str, str]]
    worker_concurrency: int
    scheduling: dict[str, dict[str, Any]]
    """Per component label, or `default`: the PodSpec fields that place a pod."""
    webserver_config: str
    """The text of FAB's webserver_config.py for the api-server; empty for FAB's default."""

    def for_component(self, table: dict[str, dict[str, Any]], component: str) -> dict[str, Any]:
        """The default's entries, then the component's, key by key."""
        return {**table.get(DEFAULT, {}), **table.get(component, {})}


def scalar_text(value: Any) -> str | None:
    """An option's value as Airflow reads it from the environment; None for a value of no Airflow type."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float | str):
        return str(value)
    return None


@cache
def known_options() -> dict[str, Any]:
    """The options Airflow and its bundled providers declare (smoke/airflow_options.py writes the file)."""
    loaded: dict[str, Any] = json.loads(OPTIONS_FILE.read_text())
    return loaded


def unknown_option(section: str, option: str, image_tag: str) -> str | None:
    """Why `[section] option` is not one Airflow reads, or None. Only for the Airflow minor the list is of (another
    image may have other options), and only in the sections it knows (a provider of a custom image adds its own), but
    a section named like a known one is taken for a typo."""
    known = known_options()
    minor = ".".join(str(known["airflow"]).split(".")[:2]) + "."
    if not image_tag.startswith(minor):
        return None
    sections: dict[str, list[str]] = known["sections"]
    if section not in sections:
        close = difflib.get_close_matches(section, sections, n=1, cutoff=0.8)
        return f"is not a section of airflow.cfg: did you mean [{close[0]}]?" if close else None
    if section in FREE_FORM_SECTIONS or option in sections[section]:
        return None
    close = difflib.get_close_matches(option, sections[section], n=1)
    hint = f": did you mean {close[0]}?" if close else ""
    return f"is not an option of [{section}] in Airflow {known['airflow']}{hint}"


def read_airflow_config(reader: ConfigReader, metrics_enabled: bool) -> tuple[tuple[EnvEntry, ...], bool]:
    sections, secret = reader.structured("airflowConfig", dict)
    owned = {**OWNED_OPTIONS, **(METRICS_OPTIONS if metrics_enabled else {})}
    entries = []
    for section, options in sorted(sections.items()):
        if not IDENTIFIER.match(section) or not isinstance(options, dict):
            rule = "must be a section of airflow.cfg in lower case, holding its options"
            reader.fail(f"airflowConfig.{section}", "(section)", rule)
            continue
        for option, value in sorted(options.items()):
            key = f"airflowConfig.{section}.{option}"
            shown = "(secret)" if secret else repr(value)
            text = scalar_text(value)
            if not IDENTIFIER.match(option):
                reader.fail(key, shown, "must name an option of airflow.cfg in lower case (letters, digits, '_')")
            elif (section, option) in owned:
                reader.fail(key, shown, f"is set by the stack: {owned[(section, option)]}")
            elif (unknown := unknown_option(section, option, reader.text("airflowImageTag"))) is not None:
                reader.fail(key, shown, unknown)
            elif text is None:
                reader.fail(key, shown, "must be a string, a number or a boolean")
            else:
                entries.append(EnvEntry(f"AIRFLOW__{section.upper()}__{option.upper()}", text))
    return tuple(entries), secret


def read_named_values(reader: ConfigReader, key: str, prefix: str, require_secret: bool) -> tuple[EnvEntry, ...]:
    """Connections or variables: `{id: value}`, each an environment variable `<prefix><ID>`."""
    values, secret = reader.structured(key, dict)
    if values and require_secret and not secret:
        reader.fail(key, "(plain text)", f"must be stored encrypted: pulumi config set --path --secret '{key}.<id>' ...")
    entries = []
    first_of: dict[str, str] = {}
    for name, value in sorted(values.items()):
        text = json.dumps(value) if isinstance(value, dict | list) else scalar_text(value)
        env_name = f"{prefix}{name.upper()}"
        if not ENV_SUFFIX.match(name):
            reader.fail(f"{key}.{name}", "(secret)", "must be a valid environment variable name: letters, digits, '_'")
        elif env_name in first_of:
            # Airflow looks ids up in upper case: one of the two would silently replace the other.
            rule = f"is the same environment variable ({env_name}) as airflow:{key}.{first_of[env_name]}: rename one"
            reader.fail(f"{key}.{name}", "(secret)", rule)
        elif not text:
            reader.fail(f"{key}.{name}", "(secret)", "must be a non-empty string, a number or a JSON object")
        else:
            first_of[env_name] = name
            entries.append(EnvEntry(env_name, text))
    return tuple(entries)


def read_names(reader: ConfigReader, key: str) -> tuple[str, ...]:
    names, _ = reader.structured(key, list)
    for name in names:
        if not isinstance(name, str) or not DNS_SUBDOMAIN.match(name):
            reader.fail(key, repr(name), "must list names of Secrets (DNS-1123 subdomains)")
    if len(set(map(str, names))) != len(names):
        reader.fail(key, repr(names), "must not list a name twice")
    return tuple(str(name) for name in names)


def read_env_from(reader: ConfigReader) -> tuple[tuple[str, str], ...]:
    sources, _ = reader.structured("extraEnvFrom", list)
    parsed = []
    for source in sources:
        kind, _, name = str(source).partition("/")
        if kind not in ("secret", "configmap") or not DNS_SUBDOMAIN.match(name):
            reader.fail("extraEnvFrom", repr(source), ENV_SOURCE_RULE)
        else:
            parsed.append((kind, name))
    return tuple(parsed)


def read_metadata(reader: ConfigReader, key: str, owned: tuple[str, ...], labels: bool) -> dict[str, dict[str, str]]:
    """`{default: {...}, <component>: {...}}` of labels or annotations."""
    result: dict[str, dict[str, str]] = {}
    for component, entries in reader.per_component(key, "holding a map"):
        for name, value in entries.items():
            path, shown = f"{key}.{component}", f"{{{name!r}: {value!r}}}"
            if not LABEL_KEY.match(name):
                reader.fail(path, shown, f"{name!r} is not a Kubernetes label or annotation key")
            elif any(name.startswith(prefix) for prefix in owned):
                reader.fail(path, shown, f"{name!r} is set by the stack and cannot be overridden")
            elif not isinstance(value, str) or (labels and not LABEL_VALUE.match(value)):
                label_rule = " of at most 63 letters, digits, '-', '_' or '.'" if labels else ""
                reader.fail(path, shown, f"must be a string{label_rule}")
        result[component] = {str(name): str(value) for name, value in entries.items()}
    return result


def read_webserver_config(reader: ConfigReader) -> str:
    """FAB's webserver_config.py, compiled (not run) so that a syntax error stops the preview, not the api-server."""
    text, secret = reader.text_and_secrecy("webserverConfig")
    try:
        compile(text, "webserver_config.py", "exec")
    except SyntaxError as error:
        shown = "(secret)" if secret else "(text)"
        reader.fail("webserverConfig", shown, f"is not valid Python: line {error.lineno}: {error.msg}")
        return ""
    return text


def read_customisation(reader: ConfigReader, metrics_enabled: bool) -> CustomisationSettings:
    """`metrics_enabled`: the stack then sets Airflow's StatsD options itself (METRICS_OPTIONS)."""
    airflow_config, airflow_config_secret = read_airflow_config(reader, metrics_enabled)
    return CustomisationSettings(
        airflow_config=airflow_config,
        airflow_config_secret=airflow_config_secret,
        connections=read_named_values(reader, "airflowConnections", "AIRFLOW_CONN_", require_secret=True),
        variables=read_named_values(reader, "airflowVariables", "AIRFLOW_VAR_", require_secret=False),
        env_from=read_env_from(reader),
        image_pull_secrets=read_names(reader, "imagePullSecrets"),
        pod_annotations=read_metadata(reader, "podAnnotations", OWNED_ANNOTATION_PREFIXES, labels=False),
        pod_labels=read_metadata(reader, "podLabels", OWNED_LABEL_PREFIXES, labels=True),
        service_account_annotations=read_metadata(
            reader, "serviceAccountAnnotations", OWNED_ANNOTATION_PREFIXES, labels=False
        ),
        worker_concurrency=reader.read("workerConcurrency", integer_between(1, 1000)),
        scheduling=read_scheduling(reader),
        webserver_config=read_webserver_config(reader),
    )


def oversubscription(concurrency: int, worker: ProcessSettings) -> str | None:
    """Why `concurrency` tasks clearly do not fit one worker's limits, or None."""
    cores = quantity_value(worker.resources.cpu_limit)
    memory = quantity_value(worker.resources.memory_limit)
    if concurrency > TASKS_PER_CORE * cores:
        return f"{concurrency} tasks on {worker.resources.cpu_limit} CPU is more than {TASKS_PER_CORE} per core"
    if memory / concurrency < Decimal(MEMORY_PER_TASK):
        return f"{concurrency} tasks in {worker.resources.memory_limit} leave less than 200Mi each"
    return None
