"""AirflowOverrides: the team's own Airflow configuration, connections, variables and FAB webserver config, as the
Airflow containers' environment and files.

Owns the Secret `airflow-config-overrides` (the `airflowConfig` options, when the stack stores any of them encrypted),
the Secret `airflow-connections` (every `airflowConnections` and `airflowVariables` entry) and the Secret
`airflow-webserver-config` (`webserverConfig`, FAB's webserver_config.py: SSO, LDAP, roles). It gives AirflowCore what
to add to its containers: the options for every process, the connections and variables for the processes that run
tasks or callbacks, `envFrom` for the existing Secrets and ConfigMaps the stack names, and the webserver config for
the api-server. It leaves out the options the stack sets itself (the settings refuse them) and everything about pods
other than their environment and that file (PodCustomisation).

A secret value reaches the pods only by `secretKeyRef` or a Secret volume: never as a plain env value, in the render
or in a preview. Since pods read those Secrets by reference, a changed value alone changes no pod template: the keyed
digest of the Secrets' data goes into the pods' annotations, so a change rolls them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s

from components import kube
from components.settings import CustomisationSettings, EnvEntry

COMPONENT = "airflow"
CONFIG_SECRET_NAME = "airflow-config-overrides"
CONNECTIONS_SECRET_NAME = "airflow-connections"
WEBSERVER_CONFIG_SECRET_NAME = "airflow-webserver-config"
# The file name FAB reads, which AirflowCore mounts where AIRFLOW__FAB__CONFIG_FILE points.
WEBSERVER_CONFIG_KEY = "webserver_config.py"


@dataclass(frozen=True)
class AirflowEnvironment:
    """What the Airflow containers get from the overrides (AirflowCore's input)."""

    env: list[k8s.core.v1.EnvVarArgs] = field(default_factory=list)
    """For every Airflow process, the migration Job and the clean-up."""
    task_env: list[k8s.core.v1.EnvVarArgs] = field(default_factory=list)
    """For the processes that run tasks or callbacks."""
    env_from: list[k8s.core.v1.EnvFromSourceArgs] = field(default_factory=list)
    """For every Airflow container."""
    digest: pulumi.Input[str] = ""
    """Keyed digest of the overrides' Secrets (empty without any), for the pods' annotations."""
    webserver_config_secret: pulumi.Input[str] | None = None
    """The Secret holding FAB's webserver_config.py (key `webserver_config.py`) for the api-server, when the team
    gives one."""


@dataclass(frozen=True)
class AirflowOverridesArgs:
    namespace: pulumi.Input[str]
    """Namespace of the Secrets (Airflow's)."""
    settings: CustomisationSettings
    """The overrides, validated."""
    digest_key: pulumi.Output[str]
    """A generated secret that keys the digest of the Secrets' data."""


def secret_refs(entries: tuple[EnvEntry, ...], secret_name: pulumi.Input[str]) -> list[k8s.core.v1.EnvVarArgs]:
    return [kube.secret_env(entry.name, secret_name, entry.name) for entry in entries]


class AirflowOverrides(pulumi.ComponentResource):
    """The Secrets and environment that carry a team's Airflow configuration, connections and variables."""

    environment: AirflowEnvironment
    """What AirflowCore adds to its containers."""

    def __init__(self, name: str, args: AirflowOverridesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("airflow:index:AirflowOverrides", name, None, opts)
        settings = args.settings
        secret_data: dict[str, pulumi.Input[str]] = {}
        env: list[k8s.core.v1.EnvVarArgs] = []
        if settings.airflow_config_secret and settings.airflow_config:
            data = {entry.name: pulumi.Output.secret(entry.value) for entry in settings.airflow_config}
            config_secret = self._secret(f"{name}-config", CONFIG_SECRET_NAME, args.namespace, data)
            env = secret_refs(settings.airflow_config, config_secret.metadata.name)
            secret_data.update(data)
        else:
            env = [k8s.core.v1.EnvVarArgs(name=entry.name, value=entry.value) for entry in settings.airflow_config]

        task_entries = settings.connections + settings.variables
        task_env: list[k8s.core.v1.EnvVarArgs] = []
        if task_entries:
            data = {entry.name: pulumi.Output.secret(entry.value) for entry in task_entries}
            connections = self._secret(f"{name}-connections", CONNECTIONS_SECRET_NAME, args.namespace, data)
            task_env = secret_refs(task_entries, connections.metadata.name)
            secret_data.update(data)

        webserver_config_secret = None
        if settings.webserver_config:
            data = {WEBSERVER_CONFIG_KEY: pulumi.Output.secret(settings.webserver_config)}
            webserver = self._secret(f"{name}-webserver-config", WEBSERVER_CONFIG_SECRET_NAME, args.namespace, data)
            webserver_config_secret = webserver.metadata.name
            secret_data.update(data)

        env_from = [
            k8s.core.v1.EnvFromSourceArgs(secret_ref=k8s.core.v1.SecretEnvSourceArgs(name=source))
            if kind == "secret"
            else k8s.core.v1.EnvFromSourceArgs(config_map_ref=k8s.core.v1.ConfigMapEnvSourceArgs(name=source))
            for kind, source in settings.env_from
        ]
        self.environment = AirflowEnvironment(
            env=env,
            task_env=task_env,
            env_from=env_from,
            digest=kube.secrets_digest(secret_data, args.digest_key) if secret_data else "",
            webserver_config_secret=webserver_config_secret,
        )
        self.register_outputs({})

    def _secret(
        self, logical_name: str, object_name: str, namespace: pulumi.Input[str], data: dict[str, pulumi.Output[str]]
    ) -> k8s.core.v1.Secret:
        return k8s.core.v1.Secret(
            logical_name,
            metadata=kube.object_meta(object_name, namespace, COMPONENT),
            type="Opaque",
            string_data=data,
            opts=pulumi.ResourceOptions(parent=self),
        )
