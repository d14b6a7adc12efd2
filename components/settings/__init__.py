"""Stack configuration, read once, validated whole, frozen.

One module per area (`database`, `edge`, `git_sync` with `git_repository` and `ssh`, `worker_logs`, `secrets`, `metrics`), the
shared value rules (`rules`), the reader (`reader`) and the whole (`core`). Every problem is collected before anything
fails, and reported in one message that names the key, the value and the rule, so a user fixes a stack file in one
round instead of one error per `pulumi preview`.

The names below are the package's interface; the components and tools import them from here.
"""

from components.settings.core import Settings, load_settings, read_settings, secret_keys
from components.settings.customisation import TASK_RUNNERS, CustomisationSettings, EnvEntry, oversubscription
from components.settings.database import (
    DATABASE_DEFAULT_PORT,
    DatabaseBackupSettings,
    MetadataCleanupSettings,
    PgBouncerSettings,
    PostgresSettings,
    RedisSettings,
)
from components.settings.edge import EdgeSettings, InstallMode, IssuerKind, ServiceType, WildcardDns
from components.settings.git_repository import GitTransport
from components.settings.git_sync import GitSyncSettings
from components.settings.metrics import MetricsSettings
from components.settings.reader import PROJECT_DIR, ConfigReader, SettingsError, config_schema, project_file
from components.settings.resources import ProcessSettings, Resources
from components.settings.rules import COMPONENTS, cron_schedule
from components.settings.secrets import SecretsSettings
from components.settings.ssh import BUILT_IN_HOST_KEYS, ssh_private_key
from components.settings.worker_logs import ClaimRetention, WorkerLogsSettings

__all__ = [
    "BUILT_IN_HOST_KEYS",
    "COMPONENTS",
    "DATABASE_DEFAULT_PORT",
    "PROJECT_DIR",
    "TASK_RUNNERS",
    "ClaimRetention",
    "ConfigReader",
    "CustomisationSettings",
    "DatabaseBackupSettings",
    "EdgeSettings",
    "EnvEntry",
    "GitSyncSettings",
    "GitTransport",
    "InstallMode",
    "IssuerKind",
    "MetadataCleanupSettings",
    "MetricsSettings",
    "PgBouncerSettings",
    "PostgresSettings",
    "ProcessSettings",
    "RedisSettings",
    "Resources",
    "SecretsSettings",
    "ServiceType",
    "Settings",
    "SettingsError",
    "WildcardDns",
    "WorkerLogsSettings",
    "config_schema",
    "cron_schedule",
    "load_settings",
    "oversubscription",
    "project_file",
    "read_settings",
    "secret_keys",
    "ssh_private_key",
]
