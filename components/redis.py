"""Redis: the in-cluster Celery broker (a one-replica Deployment of Valkey, its Secret and Service).

The broker holds only queued task messages, so it keeps no volume: if it restarts, Airflow's scheduler re-queues the
task instances stuck in `queued` (scheduler.task_queued_timeout). Valkey, the BSD-licensed fork of Redis 7.2, avoids the
licence change of later Redis releases and speaks the same protocol, so Celery's redis:// transport uses it unchanged.
Point `externalBrokerUrl` at a managed Redis instead, and this component is not built.

The Secret holds the password (for valkey-cli in the readiness probe, from the environment) and valkey.conf with it
(mounted for valkey-server), so the password is in no process's arguments. Valkey reads the file only at start: after
the password changes, restart the Deployment (docs/secrets.md, "The broker password").
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components import kube
from components.settings import RedisSettings

COMPONENT = "redis"
PORT = 6379
# The uid/gid of the `valkey` user in the official image.
VALKEY_UID = 999
CONFIG_KEY = "valkey.conf"
CONFIG_DIR = "/etc/valkey"
# Owner root, group fsGroup (the kubelet's doing): valkey reads the file through its group, nobody else can.
CONFIG_MODE = 0o440
# valkey-cli reads its password from this variable (valkey 9 also takes VALKEYCLI_AUTH, and keeps this one as a
# fallback), so the password never appears in a process's arguments.
CLI_AUTH_ENV = "REDISCLI_AUTH"


def valkey_config(password: str) -> str:
    """The broker's configuration file. Queued messages are not worth a disk: no RDB snapshots, no append-only file."""
    # The generated password is letters and digits only, so it needs no quoting in the file.
    return f"port {PORT}\nrequirepass {password}\nsave \"\"\nappendonly no\n"


@dataclass(frozen=True)
class RedisArgs:
    """Inputs of the in-cluster broker."""

    namespace: pulumi.Input[str]
    """Namespace to create the broker in."""
    password: pulumi.Output[str]
    """Password clients must present (secret)."""
    settings: RedisSettings
    """Image and resources."""
    image_pull_policy: str
    """Pull policy of the container."""


class Redis(pulumi.ComponentResource):
    """A single password-protected broker for Celery."""

    broker_url: pulumi.Output[str]
    """Celery broker URL with the password (secret)."""
    component: str
    """The component label of its pod (for the disruption budgets)."""

    def __init__(self, name: str, args: RedisArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("airflow:index:Redis", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        resource_name = f"airflow-{COMPONENT}"

        credentials = k8s.core.v1.Secret(
            f"{name}-credentials",
            metadata=kube.object_meta(resource_name, args.namespace, COMPONENT),
            type="Opaque",
            # The config file is built from the secret Output, so it stays secret in the state and the preview.
            string_data={"password": args.password, CONFIG_KEY: args.password.apply(valkey_config)},
            opts=child,
        )
        service = k8s.core.v1.Service(
            f"{name}-service",
            metadata=kube.object_meta(resource_name, args.namespace, COMPONENT),
            spec=k8s.core.v1.ServiceSpecArgs(
                selector=kube.selector_labels(COMPONENT),
                ports=[k8s.core.v1.ServicePortArgs(name="redis", port=PORT, target_port="redis")],
            ),
            opts=child,
        )

        service_account = kube.service_account(f"{name}-sa", resource_name, args.namespace, COMPONENT, self)
        data_volume, data_mount = kube.writable_dir("data", "/data", "64Mi")
        k8s.apps.v1.Deployment(
            f"{name}-deployment",
            metadata=kube.object_meta(
                resource_name,
                args.namespace,
                COMPONENT,
                annotations=kube.checkov_skips(*kube.WORKLOAD_SKIPS, kube.IMAGE_USER),
            ),
            spec=k8s.apps.v1.DeploymentSpecArgs(
                replicas=1,
                # Two brokers must never run at once: queued messages would split between them.
                strategy=k8s.apps.v1.DeploymentStrategyArgs(type="Recreate"),
                selector=k8s.meta.v1.LabelSelectorArgs(match_labels=kube.selector_labels(COMPONENT)),
                template=k8s.core.v1.PodTemplateSpecArgs(
                    metadata=k8s.meta.v1.ObjectMetaArgs(labels=kube.labels(COMPONENT)),
                    spec=k8s.core.v1.PodSpecArgs(
                        service_account_name=service_account.metadata.name,
                        automount_service_account_token=False,
                        enable_service_links=False,
                        security_context=kube.pod_security(VALKEY_UID, VALKEY_UID, fs_group=VALKEY_UID),
                        containers=[
                            k8s.core.v1.ContainerArgs(
                                name="redis",
                                image=args.settings.image,
                                image_pull_policy=args.image_pull_policy,
                                # The password reaches valkey-server in its config file and valkey-cli in its environment,
                                # never in arguments: those show in `ps` in the pod, and the kubelet writes container args
                                # (with any $(VAR) it expanded) into the container runtime's spec.
                                command=["valkey-server"],
                                args=[f"{CONFIG_DIR}/{CONFIG_KEY}"],
                                ports=[k8s.core.v1.ContainerPortArgs(name="redis", container_port=PORT)],
                                env=[
                                    k8s.core.v1.EnvVarArgs(
                                        name=CLI_AUTH_ENV,
                                        value_from=k8s.core.v1.EnvVarSourceArgs(
                                            secret_key_ref=k8s.core.v1.SecretKeySelectorArgs(
                                                name=credentials.metadata.name, key="password"
                                            )
                                        ),
                                    )
                                ],
                                security_context=kube.container_security(),
                                resources=kube.resource_requirements(args.settings.resources),
                                readiness_probe=kube.exec_probe(
                                    # Without -e, valkey-cli exits 0 on an error reply (NOAUTH, LOADING): only PONG means ready.
                                    ["sh", "-c", "valkey-cli ping | grep -q PONG"],
                                    period=10,
                                    timeout=5,
                                    failures=3,
                                ),
                                liveness_probe=k8s.core.v1.ProbeArgs(
                                    tcp_socket=k8s.core.v1.TCPSocketActionArgs(port="redis"),
                                    period_seconds=20,
                                    timeout_seconds=5,
                                    failure_threshold=6,
                                ),
                                volume_mounts=[
                                    data_mount,
                                    k8s.core.v1.VolumeMountArgs(name="config", mount_path=CONFIG_DIR, read_only=True),
                                ],
                            )
                        ],
                        volumes=[
                            data_volume,
                            k8s.core.v1.VolumeArgs(
                                name="config",
                                secret=k8s.core.v1.SecretVolumeSourceArgs(
                                    secret_name=credentials.metadata.name,
                                    items=[k8s.core.v1.KeyToPathArgs(key=CONFIG_KEY, path=CONFIG_KEY)],
                                    default_mode=CONFIG_MODE,
                                ),
                            ),
                        ],
                    ),
                ),
            ),
            opts=child,
        )

        host = pulumi.Output.concat(service.metadata.name, ".", service.metadata.namespace, ".svc")
        self.broker_url = pulumi.Output.secret(pulumi.Output.format("redis://:{0}@{1}:{2}/0", args.password, host, PORT))
        self.component = COMPONENT
        self.register_outputs({"broker_url": self.broker_url})
