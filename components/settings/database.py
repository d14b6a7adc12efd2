"""The metadata database and the broker (in-cluster or external), the database's backups and clean-up, and the
connection pool in front of it (Postgres, Redis, DatabaseBackup, MetadataCleanup, ConnectionPool).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import parse_qsl, urlsplit

import pulumi

from components.settings.reader import ConfigReader
from components.settings.resources import ProcessSettings, Resources, read_process, read_resources
from components.settings.rules import (
    cron_schedule,
    dns_subdomain_or_empty,
    image_reference,
    integer_between,
    member_of,
    memory_quantity,
    parse_bool,
)


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
    # A login without a host (postgresql://user@/airflow) would have libpq look for a local socket no pod has.
    if not urlsplit(raw).hostname:
        raise ValueError(DATABASE_URL_RULE)
    return raw


def broker_url(raw: str) -> str:
    if not re.match(r"^rediss?://\S+$", raw):
        raise ValueError(BROKER_URL_RULE)
    broker_port(raw)
    if not urlsplit(raw).hostname:
        raise ValueError(BROKER_URL_RULE)
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


def read_postgres(reader: ConfigReader) -> PostgresSettings:
    return PostgresSettings(
        external_url=reader.secret("externalDatabaseUrl", database_url),
        external_port=secret_url_port(reader, "externalDatabaseUrl", database_port),
        image=reader.read("postgresImage", image_reference),
        storage_size=reader.read("postgresStorageSize", memory_quantity),
        storage_class=reader.read("postgresStorageClass", dns_subdomain_or_empty),
        retain_on_destroy=reader.read("postgresRetainOnDestroy", parse_bool),
        resources=read_resources(reader, "postgres"),
    )


def read_redis(reader: ConfigReader) -> RedisSettings:
    return RedisSettings(
        external_url=reader.secret("externalBrokerUrl", broker_url),
        external_port=secret_url_port(reader, "externalBrokerUrl", broker_port),
        image=reader.read("redisImage", image_reference),
        resources=read_resources(reader, "redis"),
    )


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



# libpq parameters that name files: the Airflow image may hold them, the backups' and PgBouncer's pods do not.
FILE_PARAMETERS = ("sslrootcert", "sslcert", "sslkey", "sslcrl", "sslcrldir")


def check_database_url_for_other_clients(reader: ConfigReader, backup: bool, pgbouncer: bool, autoscaler: bool) -> None:
    """Parameters of the external database URL that the other clients of the database (the backups' pg_dump,
    PgBouncer, KEDA's scaler) cannot honour; without this check they would be dropped silently, or point at missing
    files."""
    raw = reader.text("externalDatabaseUrl")
    if not raw or not (backup or pgbouncer or autoscaler):
        return
    try:
        given = {key for key, _ in parse_qsl(urlsplit(raw).query)}
    except ValueError:
        return  # the URL's own rule reports it
    named = (
        ("the backups (airflow:databaseBackup)", backup),
        ("PgBouncer (airflow:pgbouncerEnabled)", pgbouncer),
        ("KEDA (airflow:workerAutoscaling)", autoscaler),
    )
    clients = " and ".join(name for name, on in named if on)
    for parameter in sorted(given & set(FILE_PARAMETERS)):
        reader.fail(
            "externalDatabaseUrl",
            "(secret)",
            f"its {parameter} names a file that the pods of {clients} do not have: remove it (sslmode=require still "
            "encrypts), or turn those off",
        )
    if pgbouncer and "options" in given:
        reader.fail(
            "externalDatabaseUrl",
            "(secret)",
            "its options (startup parameters such as search_path) cannot pass through PgBouncer's transaction pooling: "
            "set them on the database role (ALTER ROLE ... SET), or turn airflow:pgbouncerEnabled off",
        )
