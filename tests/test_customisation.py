"""Making it yours: airflowConfig, connections, variables, extraEnvFrom, imagePullSecrets, pod and service-account
metadata, workerConcurrency and the image digest; what each changes, and what each refuses."""

# The tables of exact messages keep one row per line, however long the message.
# ruff: noqa: E501

from __future__ import annotations

import json
from typing import Any

import pytest

from components.settings import COMPONENTS, ConfigReader, ProcessSettings, Resources, oversubscription, read_settings
from components.settings.scheduling import SCHEMA_FILE, check
from tests.conftest import Run, config_of, settings_problems
from tools.harness import Capture, is_secret, reveal
from tools.pod_security import PodTemplate, pod_templates, rendered
from tools.scheduling_schema import generate

AIRFLOW_CONTAINERS = {
    # (kind, object, container): every container that runs Airflow's own code.
    ("Deployment", "airflow-api-server", "api-server"),
    ("Deployment", "airflow-scheduler", "scheduler"),
    ("Deployment", "airflow-dag-processor", "dag-processor"),
    ("Deployment", "airflow-triggerer", "triggerer"),
    ("StatefulSet", "airflow-worker", "worker"),
    ("CronJob", "airflow-metadata-cleanup", "clean"),
}
VAULT_TOKEN = "s3cret-vault-Pa55"
CONNECTION = "postgresql://reporting:pw-Xy9@reports.acme-corp.io:5432/reports"


def containers(capture: Capture) -> dict[tuple[str, str, str], dict[str, Any]]:
    """Every container and init container of the render, by (kind, object, container)."""
    found = {}
    for template in pod_templates(rendered(capture)):
        for container in template.spec.get("initContainers", []) + template.spec["containers"]:
            found[(template.kind, template.name, container["name"])] = container
    return found


def airflow_containers(capture: Capture) -> dict[tuple[str, str, str], dict[str, Any]]:
    """The Airflow containers, the migration Job's and the init containers that wait for the schema included."""
    return {
        key: container
        for key, container in containers(capture).items()
        if str(container.get("image", "")).startswith("apache/airflow:3")
        and "log-groomer" not in key[2]
        and "pgbouncer" not in str(container.get("image"))
    }


def env_of(container: dict[str, Any]) -> dict[str, Any]:
    return {item["name"]: item.get("value", item.get("valueFrom")) for item in container.get("env", [])}


def secret_ref(secret: str, key: str) -> dict[str, Any]:
    return {"secretKeyRef": {"key": key, "name": secret}}


def test_should_give_every_airflow_process_a_plain_option_as_its_env_value(run: Run) -> None:
    capture = run(airflowConfig=json.dumps({"core": {"parallelism": 64, "dags_are_paused_at_creation": False}}))
    found = airflow_containers(capture)
    assert set(found) >= AIRFLOW_CONTAINERS, sorted(found)
    for key, container in found.items():
        env = env_of(container)
        assert env["AIRFLOW__CORE__PARALLELISM"] == "64", key
        assert env["AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION"] == "False", key
    names = {r.plain_inputs["metadata"]["name"] for r in capture.kubernetes_objects()}
    assert "airflow-config-overrides" not in names


def test_should_keep_an_encrypted_option_secret_end_to_end(run: Run) -> None:
    options = {"smtp": {"smtp_host": "smtp.acme-corp.io"}, "secrets": {"backend_kwargs": f'{{"token": "{VAULT_TOKEN}"}}'}}
    capture = run(secrets={"airflowConfig": json.dumps(options)})
    secret = capture.one("kubernetes:core/v1:Secret", "overrides-config")
    assert is_secret(secret.inputs["stringData"])
    assert reveal(secret.inputs["stringData"]) == {
        "AIRFLOW__SECRETS__BACKEND_KWARGS": f'{{"token": "{VAULT_TOKEN}"}}',
        "AIRFLOW__SMTP__SMTP_HOST": "smtp.acme-corp.io",
    }
    for key, container in airflow_containers(capture).items():
        env = env_of(container)
        assert env["AIRFLOW__SECRETS__BACKEND_KWARGS"] == secret_ref("airflow-config-overrides", "AIRFLOW__SECRETS__BACKEND_KWARGS"), key
    plain = json.dumps([reveal(r.inputs, redact="<secret>") for r in capture.registrations])
    assert VAULT_TOKEN not in plain, "the token shows outside a secret"


def test_should_roll_the_pods_when_an_encrypted_option_changes(run: Run) -> None:
    def digests(password: str) -> set[str]:
        capture = run(secrets={"airflowConfig": json.dumps({"secrets": {"backend_kwargs": password}})})
        deployment = capture.object("Deployment", "airflow-scheduler")
        return {deployment["spec"]["template"]["metadata"]["annotations"]["airflow.pulumi.io/overrides-digest"]}

    assert digests("one") != digests("two")


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        ({"core": {"executor": "LocalExecutor"}}, "airflow:airflowConfig.core.executor = 'LocalExecutor': is set by the stack: the stack runs the CeleryExecutor"),
        ({"database": {"sql_alchemy_conn": "x"}}, "airflow:airflowConfig.database.sql_alchemy_conn = 'x': is set by the stack: airflow:externalDatabaseUrl (and airflow:pgbouncerEnabled)"),
        ({"core": {"fernet_key": "k"}}, "airflow:airflowConfig.core.fernet_key = 'k': is set by the stack: airflow:fernetKey"),
        ({"celery": {"worker_concurrency": 4}}, "airflow:airflowConfig.celery.worker_concurrency = 4: is set by the stack: airflow:workerConcurrency"),
        ({"api": {"base_url": "https://x"}}, "airflow:airflowConfig.api.base_url = 'https://x': is set by the stack: airflow:domain"),
        ({"api": {"port": 9090}}, "airflow:airflowConfig.api.port = 9090: is set by the stack: the api-server's Service, probes and NetworkPolicies use 8080"),
        ({"Core": {"parallelism": 1}}, "airflow:airflowConfig.Core = (section): must be a section of airflow.cfg in lower case, holding its options"),
        ({"core": 5}, "airflow:airflowConfig.core = (section): must be a section of airflow.cfg in lower case, holding its options"),
        ({"core": {"Parallelism": 1}}, "airflow:airflowConfig.core.Parallelism = 1: must name an option of airflow.cfg in lower case (letters, digits, '_')"),
        ({"core": {"parallelism": [1]}}, "airflow:airflowConfig.core.parallelism = [1]: must be a string, a number or a boolean"),
    ],
)  # fmt: skip
def test_should_refuse_an_option_the_stack_owns_or_of_no_form(options: dict[str, Any], problem: str) -> None:
    assert settings_problems(config_of(airflowConfig=json.dumps(options))) == [problem]


@pytest.mark.parametrize(
    ("options", "tag", "problems"),
    [
        ({"core": {"paralelism": 8}}, "3.3.2", ["airflow:airflowConfig.core.paralelism = 8: is not an option of [core] in Airflow 3.3.2: did you mean parallelism?"]),
        ({"smtp": {"smtp_password": "x"}}, "3.3.2", ["airflow:airflowConfig.smtp.smtp_password = 'x': is not an option of [smtp] in Airflow 3.3.2: did you mean smtp_port?"]),
        ({"schedular": {"parsing_processes": 2}}, "3.3.2", ["airflow:airflowConfig.schedular.parsing_processes = 2: is not a section of airflow.cfg: did you mean [scheduler]?"]),
        ({"core": {"webserver_port": 8080}}, "3.3.2", ["airflow:airflowConfig.core.webserver_port = 8080: is not an option of [core] in Airflow 3.3.2"]),
        ({"aws": {"cloudwatch_task_handler_json_serializer": "x"}}, "3.3.2-python3.12", []),
        # A provider's section, named near [lineage] (a ratio of 0.78) but no typo of it.
        ({"openlineage": {"transport": '{"type": "console"}'}}, "3.3.2", []),
        ({"celery_broker_transport_options": {"visibility_timeout": 21600}}, "3.3.2", []),
        ({"core": {"paralelism": 8}}, "3.4.0", []),
    ],
)  # fmt: skip
def test_should_refuse_an_option_airflow_does_not_read_where_its_list_applies(
    options: dict[str, Any], tag: str, problems: list[str]
) -> None:
    """Checked against the options of Airflow 3.3.2 and its bundled providers, and only for an image of that minor,
    in the sections that list knows: a provider of a custom image, or another Airflow release, has options of its own."""
    config = config_of(airflowConfig=json.dumps(options), airflowImageTag=tag)
    found = settings_problems(config) if problems else []
    if not problems:
        read_settings(ConfigReader(raw=config.get, is_secret=lambda _: False))
    assert found == problems


def test_should_report_every_bad_section_and_option_not_only_the_first() -> None:
    options = {"Core": {"parallelism": 1}, "core": {"executor": "LocalExecutor"}, "scheduler": {"Bad": 1}}
    assert settings_problems(config_of(airflowConfig=json.dumps(options))) == [
        "airflow:airflowConfig.Core = (section): must be a section of airflow.cfg in lower case, holding its options",
        "airflow:airflowConfig.core.executor = 'LocalExecutor': is set by the stack: the stack runs the CeleryExecutor",
        "airflow:airflowConfig.scheduler.Bad = 1: must name an option of airflow.cfg in lower case (letters, digits, '_')",
    ]


def test_should_not_show_an_encrypted_options_value_in_its_problem() -> None:
    options = {"smtp": {"smtp_host": ["mail.acme-corp.io"]}, "core": {"fernet_key": "k"}}
    assert settings_problems(config_of(airflowConfig=json.dumps(options)), secret_keys=["airflow:airflowConfig"]) == [
        "airflow:airflowConfig.core.fernet_key = (secret): is set by the stack: airflow:fernetKey",
        "airflow:airflowConfig.smtp.smtp_host = (secret): must be a string, a number or a boolean",
    ]


def test_should_refuse_airflow_config_that_is_not_an_object() -> None:
    assert settings_problems(config_of(airflowConfig='"parallelism=64"')) == [
        "airflow:airflowConfig = '\"parallelism=64\"': must be an object: set it with `pulumi config set --path`"
    ]


def test_should_give_connections_and_variables_only_to_the_processes_that_run_tasks(run: Run) -> None:
    connections = {"reporting_db": CONNECTION, "api": {"conn_type": "http", "host": "api.acme-corp.io"}}
    capture = run(secrets={"airflowConnections": json.dumps(connections), "airflowVariables": json.dumps({"env": "prod"})})
    assert reveal(capture.one("kubernetes:core/v1:Secret", "overrides-connections").inputs["stringData"]) == {
        "AIRFLOW_CONN_API": '{"conn_type": "http", "host": "api.acme-corp.io"}',
        "AIRFLOW_CONN_REPORTING_DB": CONNECTION,
        "AIRFLOW_VAR_ENV": "prod",
    }
    expected = {
        "AIRFLOW_CONN_API": secret_ref("airflow-connections", "AIRFLOW_CONN_API"),
        "AIRFLOW_CONN_REPORTING_DB": secret_ref("airflow-connections", "AIRFLOW_CONN_REPORTING_DB"),
        "AIRFLOW_VAR_ENV": secret_ref("airflow-connections", "AIRFLOW_VAR_ENV"),
    }
    for key, container in airflow_containers(capture).items():
        env = env_of(container)
        given = {name: value for name, value in env.items() if name.startswith(("AIRFLOW_CONN_", "AIRFLOW_VAR_"))}
        runs_tasks = key[2] in {"worker", "triggerer", "dag-processor"}
        assert given == (expected if runs_tasks else {}), key


@pytest.mark.parametrize(
    ("secrets", "values", "problem"),
    [
        ({}, {"airflowConnections": json.dumps({"db": CONNECTION})}, "airflow:airflowConnections = (plain text): must be stored encrypted: pulumi config set --path --secret 'airflowConnections.<id>' ..."),
        ({"airflowConnections": json.dumps({"my-db": CONNECTION})}, {}, "airflow:airflowConnections.my-db = (secret): must be a valid environment variable name: letters, digits, '_'"),
        ({"airflowConnections": json.dumps({"db": ""})}, {}, "airflow:airflowConnections.db = (secret): must be a non-empty string, a number or a JSON object"),
        ({}, {"airflowVariables": json.dumps({"1st": "x"})}, "airflow:airflowVariables.1st = (secret): must be a valid environment variable name: letters, digits, '_'"),
        ({"airflowConnections": json.dumps({"my_db": CONNECTION, "MY_DB": CONNECTION})}, {}, "airflow:airflowConnections.my_db = (secret): is the same environment variable (AIRFLOW_CONN_MY_DB) as airflow:airflowConnections.MY_DB: rename one"),
    ],
)  # fmt: skip
def test_should_refuse_connections_in_plain_text_or_named_unlike_env_variables(
    secrets: dict[str, str], values: dict[str, str], problem: str
) -> None:
    assert settings_problems({**config_of(**values), **config_of(**secrets)}, [f"airflow:{k}" for k in secrets]) == [problem]


def test_should_add_the_named_secrets_and_config_maps_to_every_airflow_container(run: Run) -> None:
    capture = run(extraEnvFrom=json.dumps(["secret/airflow-extra", "configmap/airflow-settings"]))
    for key, container in airflow_containers(capture).items():
        assert container["envFrom"] == [
            {"secretRef": {"name": "airflow-extra"}},
            {"configMapRef": {"name": "airflow-settings"}},
        ], key


@pytest.mark.parametrize("source", ["airflow-extra", "vault/airflow", "secret/Airflow_Extra", "configmap/"])
def test_should_refuse_an_env_source_that_is_not_kind_and_name(source: str) -> None:
    assert settings_problems(config_of(extraEnvFrom=json.dumps([source]))) == [
        f"airflow:extraEnvFrom = {source!r}: must be secret/<name> or configmap/<name>, naming an existing Secret or "
        "ConfigMap in the namespace"
    ]


def everything_on(**values: Any) -> dict[str, Any]:
    return {"pgbouncerEnabled": True, "metricsEnabled": True, "gitSyncRepository": "https://git.acme-corp.io/data/dags.git", **values}


def test_should_give_the_pull_secrets_to_every_pod_the_stack_creates(run: Run) -> None:
    capture = run(**everything_on(imagePullSecrets=json.dumps(["registry-acme", "registry-mirror"])))
    templates = pod_templates(rendered(capture))
    assert {t.name for t in templates} >= {"airflow-postgresql", "airflow-redis", "airflow-pgbouncer", "airflow-database-backup"}
    for template in templates:
        assert template.spec["imagePullSecrets"] == [{"name": "registry-acme"}, {"name": "registry-mirror"}], template.name


@pytest.mark.parametrize(
    ("names", "problem"),
    [
        (["Registry"], "airflow:imagePullSecrets = 'Registry': must list names of Secrets (DNS-1123 subdomains)"),
        (["a", "a"], "airflow:imagePullSecrets = ['a', 'a']: must not list a name twice"),
    ],
)
def test_should_refuse_pull_secrets_that_are_not_secret_names(names: list[str], problem: str) -> None:
    assert settings_problems(config_of(imagePullSecrets=json.dumps(names))) == [problem]


def pod_template(capture: Capture, name: str) -> PodTemplate:
    (template,) = [t for t in pod_templates(rendered(capture)) if t.name == name]
    return template


def test_should_put_default_metadata_on_every_pod_and_let_a_component_replace_it_key_by_key(run: Run) -> None:
    # An annotation's value is free text, unlike a label's.
    annotations = {"default": {"team": "Data Platform, EU", "vault.hashicorp.com/agent-inject": "false"},
                   "worker": {"vault.hashicorp.com/agent-inject": "true"}}  # fmt: skip
    labels = {"default": {"cost-centre": "analytics"}, "postgresql": {"cost-centre": "platform"}}
    capture = run(podAnnotations=json.dumps(annotations), podLabels=json.dumps(labels))
    for template in pod_templates(rendered(capture)):
        metadata = template.template["metadata"]
        component = metadata["labels"]["app.kubernetes.io/component"]
        inject = "true" if component == "worker" else "false"
        assert {k: metadata["annotations"].get(k) for k in ("team", "vault.hashicorp.com/agent-inject")} == {
            "team": "Data Platform, EU", "vault.hashicorp.com/agent-inject": inject,
        }, template.name  # fmt: skip
        assert metadata["labels"]["cost-centre"] == ("platform" if component == "postgresql" else "analytics")
    worker = pod_template(capture, "airflow-worker").template["metadata"]
    assert worker["labels"] == {
        "app.kubernetes.io/component": "worker",
        "app.kubernetes.io/managed-by": "pulumi",
        "app.kubernetes.io/name": "airflow",
        "app.kubernetes.io/part-of": "airflow",
        "cost-centre": "analytics",
    }
    assert worker["annotations"]["cluster-autoscaler.kubernetes.io/safe-to-evict"] == "true"


def test_should_give_a_component_its_cloud_identity(run: Run) -> None:
    role = "arn:aws:iam::123456789012:role/airflow-workers"
    annotations = {"worker": {"eks.amazonaws.com/role-arn": role}, "default": {"team": "data"}}
    capture = run(serviceAccountAnnotations=json.dumps(annotations))
    accounts = {
        r.plain_inputs["metadata"]["name"]: r.plain_inputs
        for r in capture.kubernetes_objects()
        if r.type == "kubernetes:core/v1:ServiceAccount"
    }
    assert accounts["airflow-worker"]["metadata"]["annotations"] == {"eks.amazonaws.com/role-arn": role, "team": "data"}
    assert accounts["airflow-scheduler"]["metadata"]["annotations"] == {"team": "data"}
    assert all(account["automountServiceAccountToken"] is False for account in accounts.values())


@pytest.mark.parametrize(
    ("key", "table", "problem"),
    [
        ("podLabels", {"worker": {"app.kubernetes.io/component": "x"}}, "airflow:podLabels.worker = {'app.kubernetes.io/component': 'x'}: 'app.kubernetes.io/component' is set by the stack and cannot be overridden"),
        ("podAnnotations", {"default": {"airflow.pulumi.io/secrets-digest": "0"}}, "airflow:podAnnotations.default = {'airflow.pulumi.io/secrets-digest': '0'}: 'airflow.pulumi.io/secrets-digest' is set by the stack and cannot be overridden"),
        ("podAnnotations", {"worker": {"cluster-autoscaler.kubernetes.io/safe-to-evict": "false"}}, "airflow:podAnnotations.worker = {'cluster-autoscaler.kubernetes.io/safe-to-evict': 'false'}: 'cluster-autoscaler.kubernetes.io/safe-to-evict' is set by the stack and cannot be overridden"),
        ("podAnnotations", {"worker": {"container.apparmor.security.beta.kubernetes.io/worker": "unconfined"}}, "airflow:podAnnotations.worker = {'container.apparmor.security.beta.kubernetes.io/worker': 'unconfined'}: 'container.apparmor.security.beta.kubernetes.io/worker' is set by the stack and cannot be overridden"),
        ("podLabels", {"flower": {"team": "data"}}, f"airflow:podLabels.flower = (entry): must be one of default, {', '.join(COMPONENTS)}, holding a map"),
        ("podLabels", {"default": {"team": "data science"}}, "airflow:podLabels.default = {'team': 'data science'}: must be a string of at most 63 letters, digits, '-', '_' or '.'"),
        ("serviceAccountAnnotations", {"default": {"bad key!": "x"}}, "airflow:serviceAccountAnnotations.default = {'bad key!': 'x'}: 'bad key!' is not a Kubernetes label or annotation key"),
        ("podAnnotations", {"default": {"team": 5}}, "airflow:podAnnotations.default = {'team': 5}: must be a string"),
        ("serviceAccountAnnotations", {"worker": {"team": None}}, "airflow:serviceAccountAnnotations.worker = {'team': None}: must be a string"),
    ],
)  # fmt: skip
def test_should_refuse_metadata_that_would_override_the_stack_or_is_malformed(
    key: str, table: dict[str, Any], problem: str
) -> None:
    assert settings_problems(config_of(**{key: json.dumps(table)})) == [problem]


def test_should_name_every_component_the_stack_labels_its_pods_with(run: Run) -> None:
    capture = run(**everything_on(databaseBackup="on"))
    labelled = {t.template["metadata"]["labels"]["app.kubernetes.io/component"] for t in pod_templates(rendered(capture))}
    assert labelled == set(COMPONENTS)


def test_should_set_the_workers_celery_concurrency(run: Run) -> None:
    worker = airflow_containers(run(workerConcurrency=12))[("StatefulSet", "airflow-worker", "worker")]
    assert env_of(worker)["AIRFLOW__CELERY__WORKER_CONCURRENCY"] == "12"


@pytest.mark.parametrize(
    ("concurrency", "cpu", "memory", "expected"),
    [
        (16, "2", "4Gi", None),
        (17, "2", "8Gi", "17 tasks on 2 CPU is more than 8 per core"),
        (16, "4", "2Gi", "16 tasks in 2Gi leave less than 200Mi each"),
        (4, "500m", "1Gi", None),
        (5, "2", "1000Mi", None),  # exactly 200Mi each
    ],
)
def test_should_tell_when_the_workers_concurrency_clearly_oversubscribes_it(
    concurrency: int, cpu: str, memory: str, expected: str | None
) -> None:
    worker = ProcessSettings(replicas=1, resources=Resources("1", cpu, "1Gi", memory))
    assert oversubscription(concurrency, worker) == expected


def test_should_pull_the_airflow_image_by_digest_and_rerun_migrations_when_it_changes(run: Run) -> None:
    digest = "sha256:" + "ab" * 32

    def image_and_job(**values: Any) -> tuple[str, str]:
        capture = run(**values)
        (job,) = [o for o in rendered(capture) if o["kind"] == "Job"]
        return job["spec"]["template"]["spec"]["containers"][0]["image"], job["metadata"]["name"]

    image, job = image_and_job(airflowImageDigest=digest)
    assert image == f"apache/airflow:3.3.2@{digest}"
    assert job != image_and_job()[1]
    assert job != image_and_job(airflowImageDigest="sha256:" + "cd" * 32)[1]


def test_should_refuse_a_digest_that_is_not_sha256() -> None:
    assert settings_problems(config_of(airflowImageDigest="ab12")) == [
        "airflow:airflowImageDigest = 'ab12': must be empty or an image digest such as sha256:<64 lower-case hex digits>"
    ]


TAINTED_POOL = {"key": "dedicated", "operator": "Equal", "value": "airflow", "effect": "NoSchedule"}
NO_GPU = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
    "nodeSelectorTerms": [{"matchExpressions": [{"key": "gpu", "operator": "DoesNotExist"}]}]}}}  # fmt: skip


def placement(template: PodTemplate) -> dict[str, Any]:
    fields = ("nodeSelector", "tolerations", "affinity", "topologySpreadConstraints", "priorityClassName")
    return {field: template.spec[field] for field in fields if field in template.spec}


def spread(component: str) -> list[dict[str, Any]]:
    return [{
        "labelSelector": {"matchLabels": {"app.kubernetes.io/component": component, "app.kubernetes.io/name": "airflow"}},
        "maxSkew": 1, "topologyKey": "kubernetes.io/hostname", "whenUnsatisfiable": "ScheduleAnyway",
    }]  # fmt: skip


def test_should_spread_the_replicas_of_each_workload_over_nodes_by_default(default_run: Capture) -> None:
    for template in pod_templates(rendered(default_run)):
        component = template.template["metadata"]["labels"]["app.kubernetes.io/component"]
        expected = {"topologySpreadConstraints": spread(component)} if template.kind in ("Deployment", "StatefulSet") else {}
        assert placement(template) == expected, template.name


ZONE_SPREAD = {
    "maxSkew": 2,
    "topologyKey": "topology.kubernetes.io/zone",
    "whenUnsatisfiable": "DoNotSchedule",
    "labelSelector": {"matchLabels": {"app.kubernetes.io/component": "triggerer"}},
}


def test_should_place_pods_by_the_default_and_let_a_component_replace_it_field_by_field(run: Run) -> None:
    scheduling = {
        "default": {"nodeSelector": {"pool": "airflow"}, "tolerations": [TAINTED_POOL]},
        "worker": {"nodeSelector": {"pool": "workers"}, "affinity": NO_GPU, "priorityClassName": "airflow-workers"},
        "triggerer": {"topologySpreadConstraints": [ZONE_SPREAD]},
    }
    capture = run(scheduling=json.dumps(scheduling))
    assert placement(pod_template(capture, "airflow-worker")) == {
        "nodeSelector": {"pool": "workers"},
        "tolerations": [TAINTED_POOL],
        "affinity": NO_GPU,
        "priorityClassName": "airflow-workers",
    }
    assert placement(pod_template(capture, "airflow-scheduler")) == {
        "nodeSelector": {"pool": "airflow"},
        "tolerations": [TAINTED_POOL],
        "topologySpreadConstraints": spread("scheduler"),
    }
    # The team's own spread replaces the stack's, as its affinity does.
    assert placement(pod_template(capture, "airflow-triggerer")) == {
        "nodeSelector": {"pool": "airflow"},
        "tolerations": [TAINTED_POOL],
        "topologySpreadConstraints": [ZONE_SPREAD],
    }


@pytest.mark.parametrize(
    ("scheduling", "problem"),
    [
        ({"default": {"tolerations": [{**TAINTED_POOL, "tolerationSeconds": "60"}]}}, "airflow:scheduling.default.tolerations[0].tolerationSeconds = (value): must be of type integer"),
        ({"worker": {"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [{"matchExpression": []}]}}}}}, "airflow:scheduling.worker.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpression = (value): is not a field of Kubernetes' schema here (did you mean 'matchExpressions'?)"),
        ({"worker": {"topologySpreadConstraints": [{"maxSkew": 1, "topologyKey": "zone"}]}}, "airflow:scheduling.worker.topologySpreadConstraints[0] = (value): needs the field 'whenUnsatisfiable'"),
        ({"worker": {"securityContext": {"privileged": True}}}, "airflow:scheduling.worker.securityContext = {'privileged': True}: must be one of the fields nodeSelector, tolerations, affinity, topologySpreadConstraints, priorityClassName"),
        ({"workers": {"nodeSelector": {"pool": "w"}}}, f"airflow:scheduling.workers = (entry): must be one of default, {', '.join(COMPONENTS)}, holding PodSpec fields"),
        ({"default": {"priorityClassName": 5}}, "airflow:scheduling.default.priorityClassName = (value): must be of type string"),
        ({"worker": {"topologySpreadConstraints": [{"maxSkew": 1, "topologyKey": 5, "whenUnsatisfiable": "DoNotSchedule"}]}}, "airflow:scheduling.worker.topologySpreadConstraints[0].topologyKey = (value): must be of type string"),
        ({"default": {"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [{"zone": []}]}}}}}, "airflow:scheduling.default.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].zone = (value): is not a field of Kubernetes' schema here"),
    ],
)  # fmt: skip
def test_should_refuse_placement_kubernetes_would_refuse_naming_the_key_path(scheduling: dict[str, Any], problem: str) -> None:
    assert settings_problems(config_of(scheduling=json.dumps(scheduling))) == [problem]


def test_should_report_every_misplaced_value_not_only_the_last() -> None:
    # A bool is an int to Python, but never an integer to Kubernetes.
    scheduling = {
        "default": {"tolerations": [{**TAINTED_POOL, "tolerationSeconds": True}, {**TAINTED_POOL, "tolerationSeconds": "60"}]},
        "worker": {"hostNetwork": True, "nodeSelector": {"pool": 5, "zone": None, "disk": ["ssd"]}},
    }
    assert settings_problems(config_of(scheduling=json.dumps(scheduling))) == [
        "airflow:scheduling.default.tolerations[0].tolerationSeconds = (value): must be of type integer",
        "airflow:scheduling.default.tolerations[1].tolerationSeconds = (value): must be of type integer",
        "airflow:scheduling.worker.hostNetwork = True: must be one of the fields nodeSelector, tolerations, affinity, "
        "topologySpreadConstraints, priorityClassName",
        "airflow:scheduling.worker.nodeSelector.pool = (value): must be of type string",
        "airflow:scheduling.worker.nodeSelector.disk = (value): must be of type string",
    ]


def test_should_accept_null_where_kubernetes_does() -> None:
    scheduling = {"default": {"tolerations": None, "affinity": {"nodeAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [{"matchExpressions": None}]}}}}}  # fmt: skip
    config = config_of(scheduling=json.dumps(scheduling))
    assert read_settings(ConfigReader(raw=config.get, is_secret=lambda _: False)).customisation.scheduling == scheduling


def test_should_check_the_schema_keywords_kubernetes_1_32_does_not_use_yet() -> None:
    """The shipped schema has no `enum`, no boolean and no type of two names besides null; a regenerated one may."""
    node = {"properties": {
        "policy": {"enum": ["Honor", 2]},
        "port": {"type": ["integer", "string", "null"]},
        "enabled": {"type": "boolean"},
    }}  # fmt: skip
    assert check({"policy": "Ignore", "port": 1.5, "enabled": 1}, node, "spec") == [
        ("spec.policy", "must be one of Honor, 2"),
        ("spec.port", "must be of type integer or string"),
        ("spec.enabled", "must be of type boolean"),
    ]
    assert check({"policy": "Honor", "port": None, "enabled": True}, node, "spec") == []


def test_should_ship_the_current_schema_of_the_placement_fields() -> None:
    assert SCHEMA_FILE.read_text() == generate(), "stale: run python -m tools.scheduling_schema --write"


WEBSERVER_CONFIG = '''from flask_appbuilder.security.manager import AUTH_OAUTH

AUTH_TYPE = AUTH_OAUTH
OAUTH_PROVIDERS = [{"name": "acme", "remote_app": {"client_secret": "oauth-s3cret-Zq"}}]
'''


def test_should_mount_the_teams_webserver_config_for_the_api_server_only(run: Run) -> None:
    capture = run(secrets={"webserverConfig": WEBSERVER_CONFIG})
    secret = capture.one("kubernetes:core/v1:Secret", "overrides-webserver-config")
    assert is_secret(secret.inputs["stringData"])
    assert reveal(secret.inputs["stringData"]) == {"webserver_config.py": WEBSERVER_CONFIG}
    api_server = pod_template(capture, "airflow-api-server").spec
    assert {"name": "webserver-config", "secret": {"defaultMode": 0o440, "secretName": "airflow-webserver-config"}} in (
        api_server["volumes"]
    )
    mount = {"mountPath": "/opt/airflow/runtime/webserver_config.py", "name": "webserver-config", "readOnly": True,
             "subPath": "webserver_config.py"}  # fmt: skip
    (main,) = [c for c in api_server["containers"] if c["name"] == "api-server"]
    assert mount in main["volumeMounts"]
    assert env_of(main)["AIRFLOW__FAB__CONFIG_FILE"] == "/opt/airflow/runtime/webserver_config.py"
    for name in ("airflow-scheduler", "airflow-worker", "airflow-dag-processor", "airflow-triggerer"):
        assert "webserver-config" not in json.dumps(pod_template(capture, name).spec), name
    assert "oauth-s3cret-Zq" not in json.dumps([reveal(r.inputs, redact="<secret>") for r in capture.registrations])


def test_should_keep_each_override_in_an_opaque_secret_of_airflows_namespace_under_the_overrides(run: Run) -> None:
    capture = run(
        secrets={
            "airflowConfig": json.dumps({"smtp": {"smtp_host": "smtp.acme-corp.io"}}),
            "airflowConnections": json.dumps({"reporting_db": CONNECTION}),
            "webserverConfig": WEBSERVER_CONFIG,
        }
    )
    names = {r.urn: r.name for r in capture.registrations}

    def secret(object_name: str) -> tuple[str | None, dict[str, Any]]:
        return (
            "overrides",
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {
                    "name": object_name,
                    "namespace": "airflow",
                    "labels": {
                        "app.kubernetes.io/name": "airflow",
                        "app.kubernetes.io/component": "airflow",
                        "app.kubernetes.io/part-of": "airflow",
                        "app.kubernetes.io/managed-by": "pulumi",
                    },
                },
                "type": "Opaque",
                "stringData": "<secret>",
            },
        )

    # The parent is part of each Secret's URN: under another, `pulumi up` would delete the Secret and create another.
    assert {
        r.name: (names.get(r.parent), reveal(r.inputs, redact="<secret>"))
        for r in capture.of_type("kubernetes:core/v1:Secret")
        if r.name.startswith("overrides")
    } == {
        "overrides-config": secret("airflow-config-overrides"),
        "overrides-connections": secret("airflow-connections"),
        "overrides-webserver-config": secret("airflow-webserver-config"),
    }


def test_should_annotate_the_pods_with_a_keyed_digest_of_the_overrides_only_when_there_are_any(
    run: Run, default_run: Capture
) -> None:
    capture = run(secrets={"airflowConfig": json.dumps({"smtp": {"smtp_host": "smtp.acme-corp.io"}})})
    # Literals: an unkeyed digest (of the key left out) would differ, and would let anyone test a guessed value.
    assert capture.object("Deployment", "airflow-scheduler")["spec"]["template"]["metadata"]["annotations"] == {
        "airflow.pulumi.io/overrides-digest": "25cf16dcbdce2fa3f1004996b4d84e305a0ae4c6ccc5bf0fa01274f38fe6ffc0",
        "airflow.pulumi.io/secrets-digest": "48ee1a71829cefc75797ba7d2a9ca76ba5c4e5ea1a721351673fb293b0a9e869",
    }
    stack_labels = {"app.kubernetes.io/name": "airflow", "app.kubernetes.io/part-of": "airflow",
                    "app.kubernetes.io/managed-by": "pulumi"}  # fmt: skip
    assert default_run.object("Deployment", "airflow-scheduler")["spec"]["template"]["metadata"] == {
        "labels": {**stack_labels, "app.kubernetes.io/component": "scheduler"},
        "annotations": {"airflow.pulumi.io/secrets-digest": "48ee1a71829cefc75797ba7d2a9ca76ba5c4e5ea1a721351673fb293b0a9e869"},
    }
    # Nor does a pod without annotations of its own get an empty map from the team's (empty) ones.
    assert default_run.object("Deployment", "airflow-redis")["spec"]["template"]["metadata"] == {
        "labels": {**stack_labels, "app.kubernetes.io/component": "redis"}
    }


def test_should_keep_fabs_default_without_a_webserver_config(default_run: Capture) -> None:
    assert "webserver-config" not in json.dumps(pod_template(default_run, "airflow-api-server").spec)


def test_should_refuse_a_webserver_config_that_is_not_python() -> None:
    assert settings_problems(config_of(webserverConfig="AUTH_TYPE = = 1\n")) == [
        "airflow:webserverConfig = (text): is not valid Python: line 1: invalid syntax"
    ]


def test_should_not_echo_an_encrypted_webserver_config_that_is_not_python() -> None:
    config = config_of(webserverConfig="CLIENT_SECRET = = 'oauth-s3cret-Zq'\n")
    assert settings_problems(config, secret_keys=["airflow:webserverConfig"]) == [
        "airflow:webserverConfig = (secret): is not valid Python: line 1: invalid syntax"
    ]


def test_should_refuse_pointing_fab_at_another_config_file() -> None:
    assert settings_problems(config_of(airflowConfig=json.dumps({"fab": {"config_file": "/x.py"}}))) == [
        "airflow:airflowConfig.fab.config_file = '/x.py': is set by the stack: airflow:webserverConfig"
    ]
