"""Secrets the kept data depends on, given back in config instead of generated (AirflowSecrets)."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass

import pulumi

from components.settings.reader import ConfigReader

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

