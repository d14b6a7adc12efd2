"""Secrets: made by pulumi-random or given in config, secret end to end, never written in plain text."""

from __future__ import annotations

import base64

import pytest

from components.secrets import fernet_key_from_base64
from components.settings import ConfigReader, SecretsSettings, SettingsError, project_file, read_settings, secret_keys
from components.settings.secrets import secret_password
from tests.conftest import Run
from tools.harness import Capture, is_secret, reveal

RANDOM_PASSWORD = "random:index/randomPassword:RandomPassword"


def test_should_make_the_fernet_key_url_safe_base64_of_32_random_bytes(default_run: Capture) -> None:
    fernet_bytes = default_run.one("random:index/randomBytes:RandomBytes", "secrets-fernet-key")
    assert fernet_bytes.inputs["length"] == 32
    key = reveal(default_run.one("kubernetes:core/v1:Secret", "airflow-secrets").inputs["stringData"])["fernet-key"]
    assert len(base64.urlsafe_b64decode(key)) == 32
    assert "+" not in key
    assert "/" not in key


def test_should_translate_the_standard_alphabet_to_the_url_safe_one() -> None:
    assert fernet_key_from_base64("ab+/cd==") == "ab-_cd=="


def test_should_generate_letter_and_digit_passwords_for_urls(default_run: Capture) -> None:
    """Letters and digits only, so that a password goes into a URL as it is; at least 24 characters each. A changed
    length would replace the resource and so rotate the password on the next `pulumi up`."""
    passwords = {r.name: r.inputs for r in default_run.of_type(RANDOM_PASSWORD)}
    assert passwords == {
        "secrets-api-secret-key": {"special": False, "length": 48},
        "secrets-jwt-secret": {"special": False, "length": 64},
        "secrets-postgres-password": {"special": False, "length": 32},
        "secrets-redis-password": {"special": False, "length": 32},
        "secrets-admin-password": {"special": False, "length": 24},
    }


def test_should_pass_every_kubernetes_secret_value_as_a_pulumi_secret(default_run: Capture) -> None:
    secrets = [r for r in default_run.kubernetes_objects() if r.inputs["kind"] == "Secret"]
    assert len(secrets) >= 3
    for secret in secrets:
        assert is_secret(secret.inputs["stringData"]), secret.name


def test_should_export_the_admin_password_as_a_secret(default_run: Capture) -> None:
    assert "adminPassword" in default_run.secret_outputs
    assert "adminUser" not in default_run.secret_outputs


def test_should_keep_an_external_database_url_secret_in_the_airflow_secret(run: Run) -> None:
    url = "postgresql://airflow:s3cret@db.example.com:5432/airflow"
    capture = run(secrets={"externalDatabaseUrl": url})
    string_data = capture.one("kubernetes:core/v1:Secret", "airflow-secrets").inputs["stringData"]
    assert is_secret(string_data)
    assert reveal(string_data)["sql-alchemy-conn"] == url


# --- values given back in config (fernetKey, postgresPassword) -------------------------------------------------------

RANDOM_BYTES = "random:index/randomBytes:RandomBytes"
SECRET = "kubernetes:core/v1:Secret"
# url-safe base64 of 32 bytes, with '-' and '_' in it; the same bytes in the standard alphabet have '+' and '/'.
OLD_FERNET_KEY = base64.urlsafe_b64encode(b"\xfb\xff" * 16).decode()
NEW_FERNET_KEY = base64.urlsafe_b64encode(bytes(range(32))).decode()
KEPT_PASSWORD = "kept-Pa55word"
FERNET_KEY_RULE = (
    "must be a Fernet key: url-safe base64 of exactly 32 bytes (44 characters ending in '='), as printed by "
    "Fernet.generate_key(); while rotating, such keys separated by commas, the new one first"
)


def string_data(capture: Capture, name: str) -> dict[str, str]:
    """The stringData of a Secret resource, checked to be a Pulumi secret as a whole."""
    data = capture.one(SECRET, name).inputs["stringData"]
    assert is_secret(data), f"{name}: stringData must be a Pulumi secret"
    values: dict[str, str] = reveal(data)
    return values


def test_should_put_exactly_the_configured_values_into_the_secrets(run: Run) -> None:
    capture = run(secrets={"fernetKey": OLD_FERNET_KEY, "postgresPassword": KEPT_PASSWORD})
    assert string_data(capture, "airflow-secrets")["fernet-key"] == OLD_FERNET_KEY, "airflow-secrets"
    assert string_data(capture, "postgres-credentials")["password"] == KEPT_PASSWORD, "postgres-credentials"
    assert string_data(capture, "airflow-secrets")["sql-alchemy-conn"].startswith(
        f"postgresql+psycopg2://airflow:{KEPT_PASSWORD}@"
    ), "airflow-secrets"


@pytest.mark.parametrize(
    ("configured", "absent", "present"),
    [
        ({"fernetKey": OLD_FERNET_KEY}, {"secrets-fernet-key"}, {"secrets-postgres-password"}),
        ({"postgresPassword": KEPT_PASSWORD}, {"secrets-postgres-password"}, {"secrets-fernet-key"}),
        (
            {"fernetKey": OLD_FERNET_KEY, "postgresPassword": KEPT_PASSWORD},
            {"secrets-fernet-key", "secrets-postgres-password"},
            set(),
        ),
    ],
    ids=["fernetKey", "postgresPassword", "both"],
)
def test_should_make_no_random_resource_for_a_configured_value(
    run: Run, configured: dict[str, str], absent: set[str], present: set[str]
) -> None:
    capture = run(secrets=configured)
    random_names = {r.name for r in capture.of_type(RANDOM_PASSWORD) + capture.of_type(RANDOM_BYTES)}
    assert not absent & random_names, f"generated although configured: {absent & random_names}"
    assert present <= random_names, f"not generated although not configured: {present - random_names}"
    assert {"secrets-api-secret-key", "secrets-jwt-secret", "secrets-redis-password", "secrets-admin-password"} <= (
        random_names
    ), "the other secrets are still generated"


def test_should_pass_rotation_keys_newest_first_without_spaces(run: Run) -> None:
    capture = run(secrets={"fernetKey": f"{NEW_FERNET_KEY}, {OLD_FERNET_KEY}"})
    assert string_data(capture, "airflow-secrets")["fernet-key"] == f"{NEW_FERNET_KEY},{OLD_FERNET_KEY}"


def problems_of(values: dict[str, str], plain_keys: tuple[str, ...] = ()) -> list[str]:
    """The problems read_settings reports for these `key: value` settings, stored encrypted unless in plain_keys."""
    config = {f"airflow:{key}": value for key, value in values.items()}
    reader = ConfigReader(raw=config.get, is_secret=lambda key: key.split(":", 1)[1] not in plain_keys)
    with pytest.raises(SettingsError) as caught:
        read_settings(reader)
    return caught.value.problems


BAD_SECRETS = [
    ("fernetKey", "not-a-fernet-key", f"airflow:fernetKey = (secret): {FERNET_KEY_RULE}"),
    ("fernetKey", base64.b64encode(b"\xfb\xff" * 16).decode(), f"airflow:fernetKey = (secret): {FERNET_KEY_RULE}"),
    ("fernetKey", base64.urlsafe_b64encode(bytes(31)).decode(), f"airflow:fernetKey = (secret): {FERNET_KEY_RULE}"),
    ("fernetKey", base64.urlsafe_b64encode(bytes(33)).decode(), f"airflow:fernetKey = (secret): {FERNET_KEY_RULE}"),
    ("fernetKey", f"{NEW_FERNET_KEY},", f"airflow:fernetKey = (secret): {FERNET_KEY_RULE}"),
    (
        "postgresPassword",
        "kept-password\n",
        "airflow:postgresPassword = (secret): must be a password without control characters (line breaks, tabs)",
    ),
    *[
        (key, "", f"airflow:{key} = '': is empty: set the value, or remove the key with `pulumi config rm {key}`")
        for key in sorted(secret_keys())
    ],
]


# No backslash in an id: pytest escapes it once more each time it collects the module in the same process, as mutmut
# does, and the second collection would not find the first one's test.
@pytest.mark.parametrize(
    ("key", "value", "message"), BAD_SECRETS, ids=[f"{k}={v!r}".replace("\\n", "<LF>") for k, v, _ in BAD_SECRETS]
)
def test_should_name_the_key_and_rule_of_a_bad_secret_without_echoing_it(key: str, value: str, message: str) -> None:
    problems = problems_of({key: value})
    assert problems == [message]
    if value:
        assert value.strip() not in str(problems), key


def test_should_take_the_clis_unencrypted_empty_default_of_a_secret_as_unset() -> None:
    """The CLI hands the program every declared default; an optional secret's is an unencrypted ""."""
    config = {f"airflow:{key}": "" for key in secret_keys()}
    settings = read_settings(ConfigReader(raw=config.get, is_secret=lambda key: False))
    assert settings.secrets == SecretsSettings(fernet_key=None, postgres_password=None)
    assert (settings.postgres.external_url, settings.redis.external_url, settings.git_sync) == (None, None, None)


@pytest.mark.parametrize("key", ["fernetKey", "postgresPassword"])
def test_should_refuse_a_given_secret_stored_in_plain_text(key: str) -> None:
    value = OLD_FERNET_KEY if key == "fernetKey" else KEPT_PASSWORD
    problems = problems_of({key: value}, plain_keys=(key,))
    assert problems == [f"airflow:{key} = (plain text): must be stored encrypted: pulumi config set --secret {key} ..."]
    assert value not in str(problems), key


def test_should_keep_a_password_with_spaces_and_refuse_the_delete_character() -> None:
    # A space is printable, percent-encoded in the database URL like any other character; DEL (127) is a control.
    assert secret_password(" kept Pa55 word ") == " kept Pa55 word "
    assert problems_of({"postgresPassword": f"kept{chr(127)}Pa55"}) == [
        "airflow:postgresPassword = (secret): must be a password without control characters (line breaks, tabs)"
    ]


def test_should_refuse_a_postgres_password_for_an_external_database() -> None:
    problems = problems_of(
        {"postgresPassword": KEPT_PASSWORD, "externalDatabaseUrl": "postgresql://a:b@db.example.com:5432/airflow"}
    )
    assert problems == [
        "airflow:postgresPassword = (secret): is unused while airflow:externalDatabaseUrl is set (no in-cluster "
        "PostgreSQL): remove it with `pulumi config rm postgresPassword`"
    ]


def test_should_have_the_kubernetes_provider_update_a_changed_secret_in_place() -> None:
    """The Secrets have fixed names: a replacement (the provider's default for a data change) cannot create the new
    object beside the old one, so a rotation would fail; in place, the pods roll by the secrets digest."""
    assert project_file()["config"]["kubernetes:enableSecretMutable"] == {"value": True}
