"""PostgreSQL and the Celery broker: in-cluster by default, replaced by external URLs, data kept."""

from __future__ import annotations

import pytest

from tests.conftest import Run
from tools.harness import Capture, reveal

PVC = "kubernetes:core/v1:PersistentVolumeClaim"


def airflow_secret(capture: Capture) -> dict[str, str]:
    values: dict[str, str] = reveal(capture.one("kubernetes:core/v1:Secret", "airflow-secrets").inputs["stringData"])
    return values


def test_should_run_postgres_on_its_own_claim(default_run: Capture) -> None:
    postgres = default_run.object("StatefulSet", "airflow-postgresql")
    volumes = postgres["spec"]["template"]["spec"]["volumes"]
    assert {"name": "data", "persistentVolumeClaim": {"claimName": "airflow-postgresql-data"}} in volumes
    assert "volumeClaimTemplates" not in postgres["spec"], "a template claim would be tied to the StatefulSet"


def test_should_connect_airflow_to_the_in_cluster_postgres(default_run: Capture) -> None:
    url = airflow_secret(default_run)["sql-alchemy-conn"]
    assert url.startswith("postgresql+psycopg2://airflow:")
    assert url.endswith("@airflow-postgresql.airflow.svc:5432/airflow")


def test_should_connect_airflow_to_the_in_cluster_broker_with_its_password(default_run: Capture) -> None:
    broker = airflow_secret(default_run)["broker-url"]
    password = reveal(default_run.one("kubernetes:core/v1:Secret", "redis-credentials").inputs["stringData"])["password"]
    assert broker == f"redis://:{password}@airflow-redis.airflow.svc:6379/0"
    args = default_run.object("Deployment", "airflow-redis")["spec"]["template"]["spec"]["containers"][0]["args"]
    assert args[:2] == ["--requirepass", "$(REDIS_PASSWORD)"]


@pytest.mark.parametrize(("retain", "expected"), [(None, True), (True, True), (False, False)])
def test_should_keep_the_database_volume_and_its_namespace_on_destroy_unless_opted_out(
    run: Run, retain: bool | None, expected: bool
) -> None:
    capture = run(**({} if retain is None else {"postgresRetainOnDestroy": retain}))
    assert capture.one(PVC, "postgres-data").retain_on_delete is expected
    assert capture.one("kubernetes:core/v1:Namespace", "namespace").retain_on_delete is expected


@pytest.mark.parametrize(("storage_class", "expected"), [("", None), ("yc-network-hdd", "yc-network-hdd")])
def test_should_size_the_database_volume_from_config(run: Run, storage_class: str, expected: str | None) -> None:
    claim = run(postgresStorageSize="20Gi", postgresStorageClass=storage_class).object(
        "PersistentVolumeClaim", "airflow-postgresql-data"
    )
    assert claim["spec"]["resources"]["requests"]["storage"] == "20Gi"
    assert claim["spec"].get("storageClassName") == expected


def test_should_not_deploy_postgres_with_an_external_database(run: Run) -> None:
    capture = run(secrets={"externalDatabaseUrl": "postgresql://a:b@db.example.com:5432/airflow"})
    names = {r.plain_inputs["metadata"]["name"] for r in capture.kubernetes_objects()}
    assert not {n for n in names if n.startswith("airflow-postgresql")}, names
    assert airflow_secret(capture)["sql-alchemy-conn"] == "postgresql://a:b@db.example.com:5432/airflow"


def test_should_not_deploy_the_broker_with_an_external_one(run: Run) -> None:
    capture = run(secrets={"externalBrokerUrl": "rediss://:pw@cache.example.com:6380/0"})
    names = {r.plain_inputs["metadata"]["name"] for r in capture.kubernetes_objects()}
    assert not {n for n in names if n.startswith("airflow-redis")}, names
    assert airflow_secret(capture)["broker-url"] == "rediss://:pw@cache.example.com:6380/0"
