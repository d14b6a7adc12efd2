"""AirflowSecrets: every credential of the stack, made once by pulumi-random and kept in the state, or given in config.

Owns only random resources; nothing here reaches the cluster. Values are secret Outputs, stable across updates
(a random resource changes only when it is replaced), so pods keep decrypting connections with the same Fernet key and
users keep their passwords. The Kubernetes Secrets that carry them are owned by their consumers.

`pulumi destroy` forgets the random resources while the database volume may be kept; the data then depends on two of
them (the Fernet key that encrypted connections and variables, and the password PostgreSQL stored for the `airflow`
role at initdb). The `fernetKey` and `postgresPassword` config keys give those values back, and then no random resource
is made for them: one that existed would be an unused second value that silently takes over if the key is ever unset.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_random as random

from components.settings import SecretsSettings


def fernet_key_from_base64(standard_base64: str) -> str:
    """Fernet wants url-safe base64 of 32 bytes, padded; RandomBytes gives the standard alphabet."""
    return standard_base64.replace("+", "-").replace("/", "_")


@dataclass(frozen=True)
class AirflowSecretsArgs:
    """Values given in config, used instead of generated ones."""

    settings: SecretsSettings
    """The configured Fernet key and PostgreSQL password (each None to generate it)."""


class AirflowSecrets(pulumi.ComponentResource):
    """Secrets: Fernet key, API secret key, JWT secret, database, broker and admin passwords."""

    fernet_key: pulumi.Output[str]
    api_secret_key: pulumi.Output[str]
    jwt_secret: pulumi.Output[str]
    postgres_password: pulumi.Output[str]
    redis_password: pulumi.Output[str]
    admin_password: pulumi.Output[str]

    def __init__(self, name: str, args: AirflowSecretsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("airflow:index:AirflowSecrets", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        configured = args.settings

        def password(purpose: str, length: int) -> pulumi.Output[str]:
            # Letters and digits only: the passwords end up inside URLs and shell-free env vars, where symbols would
            # need escaping.
            generated = random.RandomPassword(f"{name}-{purpose}", length=length, special=False, opts=child)
            return pulumi.Output.secret(generated.result)

        if configured.fernet_key is not None:
            self.fernet_key = pulumi.Output.secret(configured.fernet_key)
        else:
            fernet_bytes = random.RandomBytes(f"{name}-fernet-key", length=32, opts=child)
            self.fernet_key = pulumi.Output.secret(fernet_bytes.base64.apply(fernet_key_from_base64))

        self.api_secret_key = password("api-secret-key", 48)
        self.jwt_secret = password("jwt-secret", 64)
        if configured.postgres_password is not None:
            self.postgres_password = pulumi.Output.secret(configured.postgres_password)
        else:
            self.postgres_password = password("postgres-password", 32)
        self.redis_password = password("redis-password", 32)
        self.admin_password = password("admin-password", 24)

        # pragma: no mutate block - equivalent: nothing reads a component's registered outputs back
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
