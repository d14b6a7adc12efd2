"""GitSync: the DAG files, from a git repository, in every pod that parses or runs DAGs.

Owns the Secret with the git credentials (an SSH private key and the known_hosts file, or an HTTPS token; none for a
public HTTPS repository). Exposes what a pod needs to use them: a one-time init container, so that the DAGs are on disk
before Airflow first parses, the git-sync sidecar that keeps them current, the volumes, the read-only mount for the
Airflow containers, the DAGs folder, and how often the dag-processor lists that folder (derived from the sync period,
so that a pushed DAG shows up within a period); `dags_source` bundles them for AirflowCore, which adds them to the pods
that parse DAGs (dag-processor, triggerer, workers). It does not own those pods, nor the network policy that must let
git-sync reach the git host (TCP 22, or the SSH URL's port; 443 for HTTPS; DNS).

Who can read the key. The credentials volume has mode 0440, not the 0400 of the seed article: the Airflow pods set
fsGroup (0), and the kubelet then makes every file of a Secret volume owned by root:<fsGroup> and ORs 0440 into its mode
(pkg/volume/volume_linux.go, roMask), so a declared 0400 would be a 0440 in the pod anyway, and without the group bit
a root-owned file would be unreadable to uid 65533. The git-sync containers run as uid 65533 with gid 0, and they also
get the fsGroup as a supplementary group, so they can read the key whatever the pod's fsGroup is. No other uid or group
can. The Airflow containers share gid 0, but the credentials volume is mounted into the git-sync containers only, and
containers of a pod do not see one another's mounts (the pods do not share a process namespace). OpenSSH accepts the
group bit because the file is not owned by the user that reads it (it checks only keys owned by the caller).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components import kube
from components.airflow import AIRFLOW_GID, AIRFLOW_HOME, DagsSource
from components.settings import GitSyncSettings, GitTransport

COMPONENT = "git-sync"
# The user the git-sync image creates for itself (and runs as); the seed article used it too.
GIT_SYNC_UID = 65533
ROOT = "/git"
LINK = "repo"
DAGS_VOLUME = "dags"
DAGS_MOUNT = f"{AIRFLOW_HOME}/dags"
# A clone of a typical DAG repository, with one commit of history, stays far below this; the limit keeps a runaway
# repository from filling the node's disk (the pod is evicted instead).
DAGS_SIZE_LIMIT = "1Gi"
# git-sync writes its git config under $HOME (/tmp in the image), and ssh its known_hosts when verification is off.
HOME_VOLUME = "git-sync-home"
HOME = "/tmp"
CREDENTIALS_VOLUME = "git-sync-credentials"
CREDENTIALS_DIR = "/etc/git-secret"
CREDENTIALS_MODE = 0o440
SSH_KEY_FILE = "ssh"
KNOWN_HOSTS_FILE = "known_hosts"
TOKEN_FILE = "token"
SECRET_NAME = "airflow-git-sync"
HTTP_PORT = 8000
HTTP_PORT_NAME = "git-sync-http"


@dataclass(frozen=True)
class GitSyncArgs:
    """Inputs of the DAG sync."""

    namespace: pulumi.Input[str]
    """Namespace of the Secret (the Airflow pods' namespace)."""
    settings: GitSyncSettings
    """Repository, revision, credentials, image and resources."""
    image_pull_policy: str
    """Pull policy of the git-sync image."""


def dag_processor_refresh(interval: int) -> dict[str, str]:
    """How often the dag-processor lists the synced folder. Airflow 3 sees a new or deleted DAG file only when it
    lists a bundle's files (every 300 s by default); a changed file is re-parsed as soon as its mtime is newer than
    its last parse, which a new git-sync worktree always gives."""
    return {
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": str(interval),
        # Whether a listing is due is checked every 5 s by default: never less often than the listing itself.
        "AIRFLOW__DAG_PROCESSOR__BUNDLE_REFRESH_CHECK_INTERVAL": str(min(interval, 5)),
    }


class GitSync(pulumi.ComponentResource):
    """The git credentials Secret, and the containers, volumes and mount that bring the DAGs into a pod."""

    init_container: k8s.core.v1.ContainerArgs
    """Syncs once and exits, before the Airflow containers start."""
    sidecar: k8s.core.v1.ContainerArgs
    """Syncs every period for as long as the pod runs."""
    volumes: list[k8s.core.v1.VolumeArgs]
    """The DAGs emptyDir, git-sync's home, and the credentials Secret when there are credentials."""
    dags_mount: k8s.core.v1.VolumeMountArgs
    """Read-only mount of the DAGs for the Airflow containers."""
    dags_folder: str
    """AIRFLOW__CORE__DAGS_FOLDER: <mount>/<link>/<sub-path>."""
    dags_source: DagsSource
    """All of the above, as AirflowCore takes it."""

    def __init__(self, name: str, args: GitSyncArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("airflow:index:GitSync", name, None, opts)
        settings = args.settings
        repository = settings.repository

        if repository.transport is GitTransport.SSH and not settings.verify_host_keys:
            pulumi.log.warn(
                f"gitSyncVerifyHostKeys is false: git-sync accepts any SSH host key for {repository.host}, so whoever "
                "can intercept the connection can serve DAGs that Airflow will run. Set it to true and give "
                "gitSyncKnownHosts.",
                resource=self,
            )

        dags_volume, git_mount = kube.writable_dir(DAGS_VOLUME, ROOT, DAGS_SIZE_LIMIT)
        home_volume, home_mount = kube.writable_dir(HOME_VOLUME, HOME)
        volumes = [dags_volume, home_volume]
        mounts = [git_mount, home_mount]
        env = {
            "GITSYNC_REPO": repository.url,
            "GITSYNC_REF": settings.ref,
            "GITSYNC_ROOT": ROOT,
            "GITSYNC_LINK": LINK,
            "GITSYNC_PERIOD": settings.period,
            "GITSYNC_DEPTH": str(settings.depth),
            "GITSYNC_MAX_FAILURES": str(settings.max_failures),
        }

        credentials = self._credentials(settings)
        if credentials:
            secret = k8s.core.v1.Secret(
                f"{name}-credentials",
                metadata=kube.object_meta(SECRET_NAME, args.namespace, COMPONENT),
                type="Opaque",
                string_data=credentials,
                opts=pulumi.ResourceOptions(parent=self),
            )
            volumes.append(
                k8s.core.v1.VolumeArgs(
                    name=CREDENTIALS_VOLUME,
                    secret=k8s.core.v1.SecretVolumeSourceArgs(
                        # From the object, so that Pulumi creates the Secret before any pod that mounts it.
                        secret_name=secret.metadata.name,
                        default_mode=CREDENTIALS_MODE,
                    ),
                )
            )
            # The whole directory rather than subPath files: only a directory mount sees a rotated key.
            mounts.append(k8s.core.v1.VolumeMountArgs(name=CREDENTIALS_VOLUME, mount_path=CREDENTIALS_DIR, read_only=True))
        env.update(self._credential_env(settings))

        def container(
            container_name: str,
            extra_env: dict[str, str],
            ports: list[k8s.core.v1.ContainerPortArgs] | None = None,
            startup: k8s.core.v1.ProbeArgs | None = None,
            liveness: k8s.core.v1.ProbeArgs | None = None,
        ) -> k8s.core.v1.ContainerArgs:
            return k8s.core.v1.ContainerArgs(
                name=container_name,
                image=settings.image,
                image_pull_policy=args.image_pull_policy,
                env=[k8s.core.v1.EnvVarArgs(name=key, value=value) for key, value in {**env, **extra_env}.items()],
                # gid 0 is the Airflow pods' group, so the files git-sync writes are theirs to read.
                security_context=kube.container_security(GIT_SYNC_UID, AIRFLOW_GID),
                resources=kube.resource_requirements(settings.resources),
                volume_mounts=mounts,
                ports=ports,
                startup_probe=startup,
                liveness_probe=liveness,
            )

        # `/` answers 503 until this process's first sync has succeeded, then 200 while it serves.
        health = k8s.core.v1.HTTPGetActionArgs(path="/", port=HTTP_PORT_NAME)
        self.init_container = container(f"{COMPONENT}-init", {"GITSYNC_ONE_TIME": "true"})
        self.sidecar = container(
            COMPONENT,
            {"GITSYNC_HTTP_BIND": f":{HTTP_PORT}"},
            ports=[k8s.core.v1.ContainerPortArgs(name=HTTP_PORT_NAME, container_port=HTTP_PORT)],
            # Five minutes for the first pull (the git host may be slow or briefly down); then three misses mean a hang.
            startup=k8s.core.v1.ProbeArgs(http_get=health, period_seconds=10, timeout_seconds=5, failure_threshold=30),
            liveness=k8s.core.v1.ProbeArgs(http_get=health, period_seconds=30, timeout_seconds=5, failure_threshold=3),
        )
        self.volumes = volumes
        self.dags_mount = k8s.core.v1.VolumeMountArgs(name=DAGS_VOLUME, mount_path=DAGS_MOUNT, read_only=True)
        self.dags_folder = "/".join(part for part in (DAGS_MOUNT, LINK, settings.sub_path) if part)
        self.dags_source = DagsSource(
            folder=self.dags_folder,
            addons=kube.PodAddons(
                volumes=self.volumes,
                mounts=[self.dags_mount],
                init_containers=[self.init_container],
                sidecars=[self.sidecar],
            ),
            dag_processor_env=dag_processor_refresh(settings.dag_refresh_interval),
        )
        self.register_outputs({"dags_folder": self.dags_folder})

    @staticmethod
    def _credentials(settings: GitSyncSettings) -> dict[str, pulumi.Input[str]]:
        """The files of the credentials Secret; empty for a public HTTPS repository."""
        files: dict[str, pulumi.Input[str]] = {}
        if settings.ssh_key is not None:
            files[SSH_KEY_FILE] = settings.ssh_key
        if settings.known_hosts:
            files[KNOWN_HOSTS_FILE] = settings.known_hosts
        if settings.token is not None:
            files[TOKEN_FILE] = settings.token
        return files

    @staticmethod
    def _credential_env(settings: GitSyncSettings) -> dict[str, str]:
        if settings.repository.transport is GitTransport.SSH:
            env = {
                "GITSYNC_SSH_KEY_FILE": f"{CREDENTIALS_DIR}/{SSH_KEY_FILE}",
                "GITSYNC_SSH_KNOWN_HOSTS": str(settings.verify_host_keys).lower(),
            }
            if settings.verify_host_keys:
                env["GITSYNC_SSH_KNOWN_HOSTS_FILE"] = f"{CREDENTIALS_DIR}/{KNOWN_HOSTS_FILE}"
            return env
        if settings.token is not None:
            return {"GITSYNC_USERNAME": settings.username, "GITSYNC_PASSWORD_FILE": f"{CREDENTIALS_DIR}/{TOKEN_FILE}"}
        return {}
