"""AirflowSecrets: every generated credential of the stack, made once by pulumi-random and kept in the state.

Owns only random resources; nothing here reaches the cluster. Values are secret Outputs, stable across updates
(a random resource changes only when it is replaced), so pods keep decrypting connections with the same Fernet key and
users keep their passwords. The Kubernetes Secrets that carry them are owned by their consumers.
"""

from __future__ import annotations

import pulumi
import pulumi_random as random


def fernet_key_from_base64(standard_base64: str) -> str:
    """Fernet wants url-safe base64 of 32 bytes, padded; RandomBytes gives the standard alphabet."""
    return standard_base64.replace("+", "-").replace("/", "_")


class AirflowSecrets(pulumi.ComponentResource):
    """Generated secrets: Fernet key, API secret key, JWT secret, database, broker and admin passwords."""

    fernet_key: pulumi.Output[str]
    api_secret_key: pulumi.Output[str]
    jwt_secret: pulumi.Output[str]
    postgres_password: pulumi.Output[str]
    redis_password: pulumi.Output[str]
    admin_password: pulumi.Output[str]

    def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("airflow:index:AirflowSecrets", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        fernet_bytes = random.RandomBytes(f"{name}-fernet-key", length=32, opts=child)
        self.fernet_key = pulumi.Output.secret(fernet_bytes.base64.apply(fernet_key_from_base64))

        def password(purpose: str, length: int) -> pulumi.Output[str]:
            # Letters and digits only: the passwords end up inside URLs and shell-free env vars, where symbols would
            # need escaping.
            generated = random.RandomPassword(f"{name}-{purpose}", length=length, special=False, opts=child)
            return pulumi.Output.secret(generated.result)

        self.api_secret_key = password("api-secret-key", 48)
        self.jwt_secret = password("jwt-secret", 64)
        self.postgres_password = password("postgres-password", 32)
        self.redis_password = password("redis-password", 32)
        self.admin_password = password("admin-password", 24)

        self.register_outputs(
            {
                "fernet_key": self.fernet_key,
                "api_secret_key": self.api_secret_key,
                "jwt_secret": self.jwt_secret,
                "postgres_password": self.postgres_password,
                "redis_password": self.redis_password,
                "admin_password": self.admin_password,
            }
        )
