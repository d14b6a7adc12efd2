"""Settings: every key declared, defaults from Pulumi.yaml only, every bad value reported with key, value and rule."""

from __future__ import annotations

import re
from operator import attrgetter

import pulumi
import pytest

from components.settings import PROJECT_DIR, ConfigReader, SettingsError, config_schema, read_settings, secret_keys
from components.settings import reader as reader_module
from tests.conftest import Run, config_of, settings_problems


def settings_from(values: dict[str, str], secret_keys: tuple[str, ...] = ()) -> object:
    reader = ConfigReader(raw=values.get, is_secret=lambda key: key in secret_keys)
    return read_settings(reader)




BAD_VALUES = [
    ("workerReplicas", "two", "airflow:workerReplicas = 'two': must be a whole number from 1 to 100"),
    ("workerReplicas", "0", "airflow:workerReplicas = '0': must be a whole number from 1 to 100"),
    ("schedulerReplicas", "21", "airflow:schedulerReplicas = '21': must be a whole number from 1 to 20"),
    (
        "workerMemoryLimit",
        "512mb",
        "airflow:workerMemoryLimit = '512mb': must be a positive Kubernetes quantity such as 512Mi or 2Gi "
        "(did you mean '512Mi'?)",
    ),
    (
        "workerMemoryLimit",
        "1GB",
        "airflow:workerMemoryLimit = '1GB': must be a positive Kubernetes quantity such as 512Mi or 2Gi "
        "(did you mean '1Gi'?)",
    ),
    (
        "apiServerCpuLimit",
        "1 core",
        "airflow:apiServerCpuLimit = '1 core': must be a positive Kubernetes CPU quantity such as 250m, 0.5 or 2",
    ),
    (
        "imagePullPolicy",
        "Sometimes",
        "airflow:imagePullPolicy = 'Sometimes': must be one of Always, IfNotPresent, Never",
    ),
    (
        "namespace",
        "",
        "airflow:namespace = '': must be a DNS-1123 label: 1 to 63 lower-case letters, digits or '-', "
        "starting and ending with a letter or digit",
    ),
    (
        "namespace",
        "Airflow_Prod",
        "airflow:namespace = 'Airflow_Prod': must be a DNS-1123 label: 1 to 63 lower-case letters, digits or '-', "
        "starting and ending with a letter or digit",
    ),
    ("skipAwait", "yes", "airflow:skipAwait = 'yes': must be true or false"),
    (
        "airflowImageTag",
        "2.10.5",
        "airflow:airflowImageTag = '2.10.5': must be an Airflow 3.x image tag such as 3.3.2 (this stack runs Airflow 3's "
        "processes)",
    ),
    ("adminEmail", "admin", "airflow:adminEmail = 'admin': must be an e-mail address such as ops@example.com"),
    (
        "airflowImageRepository",
        "apache/airflow:3.3.2",
        "airflow:airflowImageRepository = 'apache/airflow:3.3.2': must be an image repository without tag, such as "
        "apache/airflow or registry.example.com/airflow",
    ),
    (
        "airflowImageTag",
        "3.3.2 latest",
        "airflow:airflowImageTag = '3.3.2 latest': must be an image tag: letters, digits, '_', '.' and '-', "
        "at most 128 characters",
    ),
    (
        "postgresImage",
        "postgres",
        "airflow:postgresImage = 'postgres': must be a pinned image reference repository:tag (or @sha256:digest), "
        "such as postgres:18.1",
    ),
    (
        "postgresImage",
        "registry.example.com:5000/postgres",
        "airflow:postgresImage = 'registry.example.com:5000/postgres': must be a pinned image reference "
        "repository:tag (or @sha256:digest), such as postgres:18.1",
    ),
    (
        "airflowImageTag",
        "v2.10.5",
        "airflow:airflowImageTag = 'v2.10.5': must be an Airflow 3.x image tag such as 3.3.2 (this stack runs Airflow "
        "3's processes)",
    ),
    ("adminUsername", "ops admin", "airflow:adminUsername = 'ops admin': must be 1 to 64 letters, digits, '_', '.', '@' or '-'"),
    (
        "postgresStorageClass",
        "Fast_SSD",
        "airflow:postgresStorageClass = 'Fast_SSD': must be empty or a DNS-1123 subdomain "
        "(lower-case letters, digits, '-' and '.')",
    ),
]


@pytest.mark.parametrize(("key", "value", "message"), BAD_VALUES, ids=[f"{k}={v!r}" for k, v, _ in BAD_VALUES])
def test_should_name_key_value_and_rule_for_a_bad_value(key: str, value: str, message: str) -> None:
    assert settings_problems({f"airflow:{key}": value}) == [message]


def test_should_accept_what_each_rule_allows_at_its_edges() -> None:
    digest = "sha256:" + "0af9" * 16
    settings = settings_from({
        "airflow:adminUsername": "Ops.Admin@acme-1_x",
        "airflow:airflowImageDigest": digest,
        "airflow:postgresImage": "registry.example.com:5000/team/postgres:18.1",
    })  # fmt: skip
    assert settings.admin_username == "Ops.Admin@acme-1_x"  # type: ignore[attr-defined]
    assert settings.airflow_image == f"apache/airflow:3.3.2@{digest}"  # type: ignore[attr-defined]
    assert settings.postgres.image == "registry.example.com:5000/team/postgres:18.1"  # type: ignore[attr-defined]


def test_should_pass_a_default_as_the_text_the_cli_would() -> None:
    # The CLI writes a YAML boolean in lower case and an object or array as JSON.
    reader = ConfigReader(raw=lambda key: None, is_secret=lambda key: False)
    defaults = [reader.default(key) for key in ("skipAwait", "workerReplicas", "namespace", "scheduling")]
    assert defaults == ["false", "1", "airflow", "{}"]


def test_should_refuse_an_object_or_list_of_another_shape_without_echoing_a_secret_one() -> None:
    problems = settings_problems(
        config_of(imagePullSecrets="regcred", airflowConnections="reports=postgresql://u:pw-Xy9@db/reports"),
        secret_keys=["airflow:airflowConnections"],
    )
    assert problems == [
        "airflow:airflowConnections = (secret): must be an object: set it with `pulumi config set --path`",
        "airflow:imagePullSecrets = 'regcred': must be a list: set it with `pulumi config set --path`",
    ]


def test_should_report_every_problem_at_once() -> None:
    problems = settings_problems(config_of(workerReplicas="two", namespace="Bad", imagePullPolicy="Sometimes"))
    assert [p.split(" = ")[0] for p in problems] == ["airflow:namespace", "airflow:imagePullPolicy", "airflow:workerReplicas"]


def test_should_reject_a_request_above_its_limit() -> None:
    problems = settings_problems(config_of(workerMemoryRequest="8Gi", workerMemoryLimit="4Gi"))
    assert problems == ["airflow:workerMemoryRequest = '8Gi': must not exceed airflow:workerMemoryLimit ('4Gi')"]


def test_should_read_a_decimal_suffix_as_a_power_of_ten() -> None:
    problems = settings_problems(config_of(workerMemoryRequest="2G", workerMemoryLimit="1Gi"))
    assert problems == ["airflow:workerMemoryRequest = '2G': must not exceed airflow:workerMemoryLimit ('1Gi')"]


def test_should_compare_quantities_across_units() -> None:
    settings = settings_from(config_of(workerCpuRequest="500m", workerCpuLimit="0.5"))
    assert settings.worker.resources.cpu_request == "500m"  # type: ignore[attr-defined]


def test_should_refuse_a_secret_stored_in_plain_text_without_echoing_it() -> None:
    url = "postgresql://u:hunter2@db:5432/airflow"
    problems = settings_problems({"airflow:externalDatabaseUrl": url})
    assert problems == [
        "airflow:externalDatabaseUrl = (plain text): must be stored encrypted: "
        "pulumi config set --secret externalDatabaseUrl ..."
    ]
    assert "hunter2" not in str(problems)


def test_should_validate_a_secret_without_echoing_it() -> None:
    problems = settings_problems({"airflow:externalBrokerUrl": "amqp://guest:hunter2@mq"}, ("airflow:externalBrokerUrl",))
    assert problems == [
        "airflow:externalBrokerUrl = (secret): must be a Redis URL such as redis://:password@host:6379/0 or rediss://..."
    ]


def test_should_name_the_rule_of_a_bad_external_database_url_without_echoing_it() -> None:
    url = "mysql://u:hunter2@db/airflow"
    problems = settings_problems({"airflow:externalDatabaseUrl": url}, ("airflow:externalDatabaseUrl",))
    assert problems == [
        "airflow:externalDatabaseUrl = (secret): must be a PostgreSQL URL such as postgresql://user:password@host:5432/airflow"
    ]


@pytest.mark.parametrize(
    ("key", "url", "rule"),
    [
        ("externalDatabaseUrl", "postgresql://airflow:hunter2@/airflow", "must be a PostgreSQL URL such as postgresql://user:password@host:5432/airflow"),
        ("externalDatabaseUrl", "postgresql://airflow:hunter2@:5432/airflow", "must be a PostgreSQL URL such as postgresql://user:password@host:5432/airflow"),
        ("externalBrokerUrl", "redis://:hunter2@/0", "must be a Redis URL such as redis://:password@host:6379/0 or rediss://..."),
    ],
)  # fmt: skip
def test_should_refuse_an_external_url_without_a_host(key: str, url: str, rule: str) -> None:
    problems = settings_problems({f"airflow:{key}": url}, (f"airflow:{key}",))
    assert problems == [f"airflow:{key} = (secret): {rule}"]


def test_should_take_every_default_from_pulumi_yaml() -> None:
    settings = settings_from({})
    schema = config_schema()
    assert settings.namespace == schema["namespace"]["default"]  # type: ignore[attr-defined]
    assert settings.worker.replicas == schema["workerReplicas"]["default"]  # type: ignore[attr-defined]
    assert settings.airflow_image == (  # type: ignore[attr-defined]
        f"{schema['airflowImageRepository']['default']}:{schema['airflowImageTag']['default']}"
    )


def test_should_declare_every_key_the_program_reads() -> None:
    """A key read but not declared would have no default and no documentation."""
    sources = "\n".join(p.read_text() for p in (PROJECT_DIR / "components").glob("*.py"))
    read_keys = set(re.findall(r'reader\.(?:read|secret)\(\s*"([A-Za-z]+)"', sources))
    read_prefixes = set(re.findall(r'read_(?:process|resources)\(reader, "([A-Za-z]+)"', sources))
    declared = set(config_schema())
    assert read_keys <= declared, read_keys - declared
    for prefix in read_prefixes:
        assert f"{prefix}CpuRequest" in declared, prefix


def test_should_declare_no_key_the_program_ignores() -> None:
    reader_calls: list[str] = []

    def unset(key: str) -> None:
        reader_calls.append(key)

    read_settings(ConfigReader(raw=unset, is_secret=lambda key: False))
    assert set(config_schema()) - {key.split(":", 1)[1] for key in reader_calls} == set()


def test_should_declare_every_key_optional_to_the_cli() -> None:
    """The CLI refuses to start a stack that lacks a declared key without a default (and `secret: true` with a default
    is refused too), so every key has a default and none is `secret: true`; the program guards the secrets."""
    assert [key for key, declared in config_schema().items() if "default" not in declared] == []
    assert [key for key, declared in config_schema().items() if "secret" in declared] == []


def test_should_read_as_secrets_exactly_the_keys_documented_as_secrets() -> None:
    documented = {key for key, declared in config_schema().items() if "pulumi config set --secret" in declared["description"]}
    assert secret_keys() == documented == {
        "externalDatabaseUrl", "externalBrokerUrl", "gitSyncSshKey", "gitSyncToken", "fernetKey", "postgresPassword"
    }


def test_should_record_each_key_it_reads_as_a_secret_set_or_not() -> None:
    reader = ConfigReader(raw={"airflow:gitSyncToken": "ghp_x"}.get, is_secret=lambda key: True)
    reader.secret("gitSyncToken", str)
    reader.secret("fernetKey", str)
    reader.text("namespace")
    assert reader.secret_keys == {"gitSyncToken", "fernetKey"}


def test_should_refuse_to_read_as_secret_a_key_not_declared_optional() -> None:
    with pytest.raises(KeyError, match=r"namespace.{0,3} is read as a secret but not declared `default: \"\"`"):
        ConfigReader(raw=lambda key: None, is_secret=lambda key: True).secret("namespace", str)


def test_should_name_a_key_that_declares_no_default_as_a_bug_of_the_program(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reader_module, "config_schema", lambda: {"workerReplicas": {"type": "integer"}})
    with pytest.raises(KeyError) as caught:
        ConfigReader(raw=lambda key: None, is_secret=lambda key: False).text("workerReplicas")
    assert caught.value.args == ("config key 'workerReplicas' declares no default in Pulumi.yaml",)


def test_should_name_a_key_read_but_not_declared() -> None:
    with pytest.raises(KeyError) as caught:
        ConfigReader(raw=lambda key: None, is_secret=lambda key: False).text("workerReplica")
    assert caught.value.args == ("config key 'workerReplica' is read but not declared in Pulumi.yaml",)


def test_should_fail_the_program_with_the_message_and_no_traceback(run: Run) -> None:
    with pytest.raises(pulumi.RunError) as caught:
        run(workerReplicas="two")
    assert "airflow:workerReplicas = 'two'" in str(caught.value)


UNDECLARED = "is not a key this program reads: "


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        ("workerReplica", f"airflow:workerReplica = (set): {UNDECLARED}did you mean airflow:workerReplicas?"),
        ("WorkerReplicas", f"airflow:WorkerReplicas = (set): {UNDECLARED}did you mean airflow:workerReplicas?"),
        ("gitSyncRepo", f"airflow:gitSyncRepo = (set): {UNDECLARED}did you mean airflow:gitSyncRepository?"),
        ("postgresPasword", f"airflow:postgresPasword = (set): {UNDECLARED}did you mean airflow:postgresPassword?"),
        ("flowerEnabled", f"airflow:flowerEnabled = (set): {UNDECLARED}see the configuration reference"),
    ],
)
def test_should_refuse_a_key_pulumi_yaml_does_not_declare_and_name_the_closest(key: str, problem: str) -> None:
    """The CLI passes an undeclared key of the project silently: without this a typo deploys the default."""
    # A declared key and another program's key around it: checking goes on past both.
    config = {"airflow:namespace": "airflow", f"airflow:{key}": "3", "kubernetes:context": "kind-airflow"}
    reader = ConfigReader(raw=config.get, is_secret=lambda _: False, present=config.keys)
    with pytest.raises(SettingsError) as caught:
        read_settings(reader)
    assert caught.value.problems == [problem]


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (
            {"airflow:workerReplicas": "two"},
            "Invalid stack configuration (1 problem):\n"
            "  - airflow:workerReplicas = 'two': must be a whole number from 1 to 100",
        ),
        (
            {"airflow:workerReplicas": "two", "airflow:schedulerReplicas": "21"},
            "Invalid stack configuration (2 problems):\n"
            "  - airflow:schedulerReplicas = '21': must be a whole number from 1 to 20\n"
            "  - airflow:workerReplicas = 'two': must be a whole number from 1 to 100",
        ),
    ],
)
def test_should_count_the_problems_and_list_each_on_a_line_of_its_own(values: dict[str, str], message: str) -> None:
    # The message is what `pulumi up` prints: every problem at once, not the first only.
    with pytest.raises(SettingsError) as caught:
        settings_from(values)
    assert str(caught.value) == message


def test_should_refuse_an_undeclared_key_through_the_program(run: Run) -> None:
    with pytest.raises(pulumi.RunError) as caught:
        run(workerReplica=3)
    assert "airflow:workerReplica = (set): is not a key this program reads: did you mean airflow:workerReplicas?" in (
        str(caught.value)
    )


RANGES = [
    # (key, lowest, highest, the setting it gives)
    ("apiServerReplicas", 1, 20, "api_server.replicas"),
    ("schedulerReplicas", 1, 20, "scheduler.replicas"),
    ("dagProcessorReplicas", 1, 20, "dag_processor.replicas"),
    ("triggererReplicas", 1, 20, "triggerer.replicas"),
    ("workerReplicas", 1, 100, "worker.replicas"),
    ("workerTerminationGracePeriod", 30, 86400, "worker_termination_grace_period"),
    ("apiServerMaxReplicas", 1, 20, "api_server_autoscaling.max_replicas"),
    ("apiServerCpuUtilization", 10, 100, "api_server_autoscaling.cpu_utilization"),
    ("workerMaxReplicas", 1, 100, "worker_autoscaling.max_replicas"),
    ("workerAutoscalingPollingInterval", 1, 3600, "worker_autoscaling.polling_interval"),
    ("workerAutoscalingCooldownPeriod", 30, 86400, "worker_autoscaling.cooldown_period"),
    ("workerConcurrency", 1, 1000, "customisation.worker_concurrency"),
    ("workerLogsRetentionDays", 1, 3650, "worker_logs.retention_days"),
]


@pytest.mark.parametrize(("key", "low", "high", "field"), RANGES)
def test_should_take_both_ends_of_each_range_and_refuse_one_past_them(key: str, low: int, high: int, field: str) -> None:
    for value in (low, high):
        assert attrgetter(field)(settings_from({f"airflow:{key}": str(value)})) == value, value
    for value in (low - 1, high + 1):
        assert settings_problems(config_of(**{key: value})) == [
            f"airflow:{key} = '{value}': must be a whole number from {low} to {high}"
        ], value


@pytest.mark.parametrize("tag", ["3.3.2", "3.3.2-python3.12", "v3.3.1", "latest-3", "my-build-42"])
def test_should_accept_airflow_3_and_custom_image_tags(tag: str) -> None:
    settings = settings_from({"airflow:airflowImageTag": tag})
    assert settings.airflow_image.endswith(f":{tag}")  # type: ignore[attr-defined]
