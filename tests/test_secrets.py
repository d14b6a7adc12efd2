"""Generated secrets: made by pulumi-random, secret end to end, never written in plain text."""

from __future__ import annotations

import base64

from components.secrets import fernet_key_from_base64
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
    passwords = {r.name: r.inputs for r in default_run.of_type(RANDOM_PASSWORD)}
    assert set(passwords) == {
        "secrets-api-secret-key",
        "secrets-jwt-secret",
        "secrets-postgres-password",
        "secrets-redis-password",
        "secrets-admin-password",
    }
    for name, inputs in passwords.items():
        assert inputs["special"] is False, name
        assert inputs["length"] >= 24, name


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
