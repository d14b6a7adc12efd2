"""WorkerLogs: where Celery workers keep task logs, and how the UI reaches the logs of running tasks.

Owns the headless Service that gives every worker pod a stable DNS name (it is the worker StatefulSet's serviceName);
the api-server reads task logs from `http://<task's hostname>:8793/log/...` on the worker that ran the task, both
while the task runs and afterwards (nothing else holds a copy: there is no remote logging). Exposes, as a
`WorkerStorage`, what the worker StatefulSet takes: the `logs` volumeClaimTemplate (or an emptyDir without
persistence), the claims' retention policy, the mount at /opt/airflow/logs, the fsGroup that lets uid 50000 write the
volume, the hostname setting, the log-groomer sidecar and, when enabled, the root permissions-fix init container.

The StatefulSet itself belongs to AirflowCore, and so does the triggerer, whose log server (8794) is reached by pod IP.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components import kube
from components.airflow import AIRFLOW_GID, AIRFLOW_UID, LOGS_PATH, WORKER_LOG_PORT, WorkerStorage
from components.log_groomer import log_groomer
from components.settings import ClaimRetention, WorkerLogsSettings

COMPONENT = "worker"
SERVICE_NAME = "airflow-worker"
LOG_PORT_NAME = "worker-logs"
VOLUME_NAME = "logs"

# Airflow records `[core] hostname_callable()` as each task instance's hostname (the Task SDK's get_hostname(), in
# the worker that starts the task), and the api-server fetches logs from http://<that hostname>:8793. The default,
# airflow.utils.net.getfqdn, returns the canonical name of getaddrinfo(gethostname(), AI_CANONNAME). In a StatefulSet
# pod whose serviceName is set, the kubelet names the pod's host `<pod>` and writes `<ip> <pod>.<service>.<namespace>
# .svc.<cluster domain> <pod>` into /etc/hosts, so the canonical name is that FQDN (checked against glibc with such
# an /etc/hosts line): exactly the record the headless Service publishes, in any cluster domain, and the same after
# a restart, when the pod comes back with the same name and the same claim. The pod IP (get_host_ip_address) changes
# on restart and the bare pod name (socket.gethostname) resolves nowhere, so neither could find finished tasks' logs.
# It is Airflow's default: set explicitly because log reading depends on it.
HOSTNAME_CALLABLE = "airflow.utils.net.getfqdn"

# The only container of this product that may run as root, and only when workerLogsFixPermissions is true. A Pod
# Security check recognises the exception by this annotation on the worker pod template (its value is the reason);
# the namespace then enforces `baseline` (see `pod_security_enforce_level`).
PERMISSIONS_FIX_NAME = "fix-logs-permissions"
POD_SECURITY_EXCEPTION_ANNOTATION = "airflow.pulumi.io/pod-security-exception"
POD_SECURITY_EXCEPTION_REASON = (
    f"init container {PERMISSIONS_FIX_NAME} runs as root with CHOWN, FOWNER and DAC_OVERRIDE to give the logs volume "
    f"to uid {AIRFLOW_UID}, for a provisioner that ignores fsGroup (workerLogsFixPermissions=true)"
)
PERMISSIONS_FIX_CAPABILITIES = ["CHOWN", "FOWNER", "DAC_OVERRIDE"]

# Changes the volume only when its root is not already uid 50000's, like fsGroupChangePolicy OnRootMismatch, so a
# restart of a worker with a big volume does not walk every file again.
PERMISSIONS_FIX_SCRIPT = r"""set -eu
if [ "$(stat -c %u "$LOGS")" != "$OWNER_UID" ]; then
  chown -R "$OWNER_UID:$OWNER_GID" "$LOGS"
  chmod -R g+rwX "$LOGS"
  echo "fix-logs-permissions: gave $LOGS to $OWNER_UID:$OWNER_GID"
fi
"""


@dataclass(frozen=True)
class WorkerLogsArgs:
    """Inputs of the worker logs."""

    namespace: pulumi.Input[str]
    """Namespace of the workers."""
    settings: WorkerLogsSettings
    """Persistence, size, storage class, claim retention, groomer."""
    image: str
    """The Airflow image: the groomer and the permissions fix use its bash, find and chown."""
    image_pull_policy: str
    """Pull policy of those containers."""


def pod_security_enforce_level(settings: WorkerLogsSettings) -> str:
    """The Pod Security level the workers' namespace can enforce: `baseline` only for the opt-in root init container."""
    return "baseline" if settings.persistence and settings.fix_permissions else "restricted"


def describe_volume(settings: WorkerLogsSettings) -> str:
    """One line a stack output shows, so `pulumi preview` states a size or class change in plain words."""
    if not settings.persistence:
        return f"emptyDir of at most {settings.size} per worker, lost with the pod"
    storage_class = settings.storage_class or "the cluster's default StorageClass"
    fate = {ClaimRetention.RETAIN: "kept", ClaimRetention.DELETE: "deleted"}
    return (
        f"{settings.size} per worker on {storage_class}; a claim is {fate[settings.when_scaled]} on scale-down "
        f"and {fate[settings.when_deleted]} with the StatefulSet"
    )


class WorkerLogs(pulumi.ComponentResource):
    """The logs volume of the Celery workers, its groomer, and the Service through which their log servers are reached."""

    service_name: pulumi.Output[str]
    """Name of the headless Service of the workers."""
    storage: WorkerStorage
    """What the worker StatefulSet takes: serviceName, claim template, retention policy, fsGroup, containers, env."""
    volume: str
    """Where worker logs live, in words (size, class, retention)."""

    def __init__(self, name: str, args: WorkerLogsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("airflow:index:WorkerLogs", name, None, opts)
        settings = args.settings
        service = k8s.core.v1.Service(
            f"{name}-service",
            metadata=kube.object_meta(SERVICE_NAME, args.namespace, COMPONENT),
            spec=k8s.core.v1.ServiceSpecArgs(
                cluster_ip="None",
                selector=kube.selector_labels(COMPONENT),
                ports=[k8s.core.v1.ServicePortArgs(name=LOG_PORT_NAME, port=WORKER_LOG_PORT, target_port=LOG_PORT_NAME)],
                # A worker on warm shutdown is terminating, hence not ready, for up to its grace period while it
                # finishes tasks; without this its DNS record would vanish and the UI could not read those tasks' logs.
                publish_not_ready_addresses=True,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        mount = k8s.core.v1.VolumeMountArgs(name=VOLUME_NAME, mount_path=LOGS_PATH)
        addons = kube.PodAddons(
            mounts=[mount],
            env=[k8s.core.v1.EnvVarArgs(name="AIRFLOW__CORE__HOSTNAME_CALLABLE", value=HOSTNAME_CALLABLE)],
            sidecars=[
                log_groomer(
                    args.image, args.image_pull_policy, args.settings.groomer, args.settings.retention_days, mount,
                    run_as=(AIRFLOW_UID, AIRFLOW_GID),
                )
            ],
        )
        claim_templates: list[k8s.core.v1.PersistentVolumeClaimArgs] = []
        retention_policy = None
        annotations: dict[str, str] = {}
        if settings.persistence:
            claim_templates = [self._claim_template(settings)]
            retention_policy = k8s.apps.v1.StatefulSetPersistentVolumeClaimRetentionPolicyArgs(
                when_scaled=settings.when_scaled.value, when_deleted=settings.when_deleted.value
            )
            if settings.fix_permissions:
                addons = addons + kube.PodAddons(init_containers=[self._permissions_fix(args, mount)])
                annotations[POD_SECURITY_EXCEPTION_ANNOTATION] = POD_SECURITY_EXCEPTION_REASON
        else:
            # The seed chart's `if not .Values.logs.persistence.enabled`: same volume name, so mounts do not change.
            addons = addons + kube.PodAddons(
                volumes=[
                    k8s.core.v1.VolumeArgs(
                        name=VOLUME_NAME, empty_dir=k8s.core.v1.EmptyDirVolumeSourceArgs(size_limit=settings.size)
                    )
                ]
            )

        self.service_name = service.metadata.name
        self.storage = WorkerStorage(
            service_name=self.service_name,
            addons=addons,
            volume_claim_templates=claim_templates,
            retention_policy=retention_policy,
            pod_annotations=annotations,
        )
        self.volume = describe_volume(settings)
        self.register_outputs({"service_name": self.service_name, "volume": self.volume})

    @staticmethod
    def _claim_template(settings: WorkerLogsSettings) -> k8s.core.v1.PersistentVolumeClaimArgs:
        return k8s.core.v1.PersistentVolumeClaimArgs(
            # Named `logs`, so each worker's claim is logs-airflow-worker-<n>. Every field here is immutable in a
            # StatefulSet: changing one replaces the StatefulSet, and existing claims keep their old spec.
            metadata=k8s.meta.v1.ObjectMetaArgs(name=VOLUME_NAME, labels=kube.labels("worker-logs")),
            spec=k8s.core.v1.PersistentVolumeClaimSpecArgs(
                access_modes=["ReadWriteOnce"],
                # Left out when empty: storageClassName "" would mean "no class" (static volumes only), not the default.
                storage_class_name=settings.storage_class or None,
                resources=k8s.core.v1.VolumeResourceRequirementsArgs(requests={"storage": settings.size}),
            ),
        )

    @staticmethod
    def _permissions_fix(args: WorkerLogsArgs, mount: k8s.core.v1.VolumeMountArgs) -> k8s.core.v1.ContainerArgs:
        return k8s.core.v1.ContainerArgs(
            name=PERMISSIONS_FIX_NAME,
            image=args.image,
            image_pull_policy=args.image_pull_policy,
            command=["bash", "-c", PERMISSIONS_FIX_SCRIPT],
            env=[
                k8s.core.v1.EnvVarArgs(name="LOGS", value=LOGS_PATH),
                k8s.core.v1.EnvVarArgs(name="OWNER_UID", value=str(AIRFLOW_UID)),
                k8s.core.v1.EnvVarArgs(name="OWNER_GID", value=str(AIRFLOW_GID)),
            ],
            # The documented exception to the restricted profile: root, with only the capabilities chown -R and
            # chmod -R need on files another user owns; still no privilege escalation and a read-only root fs.
            security_context=k8s.core.v1.SecurityContextArgs(
                run_as_non_root=False,
                run_as_user=0,
                run_as_group=0,
                allow_privilege_escalation=False,
                privileged=False,
                read_only_root_filesystem=True,
                capabilities=k8s.core.v1.CapabilitiesArgs(drop=["ALL"], add=PERMISSIONS_FIX_CAPABILITIES),
                seccomp_profile=k8s.core.v1.SeccompProfileArgs(type="RuntimeDefault"),
            ),
            resources=kube.resource_requirements(args.settings.groomer),
            volume_mounts=[mount],
        )
