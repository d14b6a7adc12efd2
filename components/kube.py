"""Small builders shared by every component: labels, hardened security contexts, resources, probes.

They hold the project's security defaults in one place, so no component can forget one: every container runs
non-root, without privilege escalation, with all capabilities dropped, seccomp RuntimeDefault and a read-only root
filesystem (a component that needs to write mounts an emptyDir there).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.settings import Resources

PART_OF = "airflow"
COMPONENT_LABEL = "app.kubernetes.io/component"


def labels(component: str) -> dict[str, str]:
    """Labels of one component's objects; the selector subset is `selector_labels`."""
    return {**selector_labels(component), "app.kubernetes.io/part-of": PART_OF, "app.kubernetes.io/managed-by": "pulumi"}


def selector_labels(component: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": PART_OF, COMPONENT_LABEL: component}


def object_meta(
    name: str, namespace: pulumi.Input[str], component: str, annotations: dict[str, str] | None = None
) -> k8s.meta.v1.ObjectMetaArgs:
    return k8s.meta.v1.ObjectMetaArgs(
        name=name, namespace=namespace, labels=labels(component), annotations=annotations or None
    )


@dataclass(frozen=True)
class CheckovSkip:
    """A checkov check that does not fit one object, and why: the reason shows in every scan (tools/checkov_scan.py)."""

    check: str
    reason: str


def checkov_skips(*skips: CheckovSkip) -> dict[str, str]:
    """Annotations that make checkov skip these checks on this object alone, never globally (for object_meta)."""
    # checkov splits the value on "=": a reason must not hold one.
    if any("=" in skip.reason for skip in skips):
        raise ValueError("a checkov skip reason must not contain '='")
    return {f"checkov.io/skip{index}": f"{skip.check}={skip.reason}" for index, skip in enumerate(skips, start=1)}


# Policy choices that every workload of this product makes.
IMAGE_BY_TAG = CheckovSkip(
    "CKV_K8S_43",
    "images are pinned to release tags set in the stack config, reviewed in every preview; a digest would go stale at "
    "each rebuild of the same release",
)
PULL_POLICY_SETTING = CheckovSkip(
    "CKV_K8S_15",
    "imagePullPolicy is a stack setting: IfNotPresent by default since tags are pinned (no registry round trip per pod "
    "start); set Always where nodes are shared with untrusted workloads",
)
SECRETS_IN_ENV = CheckovSkip(
    "CKV_K8S_35",
    "the process reads these credentials from its environment (Airflow's AIRFLOW__* settings, the database and broker "
    "images); they come from a Secret by secretKeyRef and are never written in the pod spec",
)
WORKLOAD_SKIPS = (IMAGE_BY_TAG, PULL_POLICY_SETTING, SECRETS_IN_ENV)
NO_READINESS_PROBE = CheckovSkip(
    "CKV_K8S_9",
    "readiness gates nothing here: no Service routes traffic by it (the workers' headless log Service publishes "
    "not-ready pods too); the liveness probe checks the process",
)
SIDECAR_WITHOUT_LIVENESS = CheckovSkip(
    "CKV_K8S_8",
    "a helper sidecar without a liveness probe (such as the log groomer) has nothing to probe, and the pod's work does "
    "not depend on it; the main container has its liveness probe",
)


def sidecar_skips(sidecars: list[k8s.core.v1.ContainerArgs]) -> list[CheckovSkip]:
    """checkov wants a liveness probe in every container: skip that on an object only for its probe-less sidecars."""
    return [SIDECAR_WITHOUT_LIVENESS] if any(sidecar.liveness_probe is None for sidecar in sidecars) else []


IMAGE_USER = CheckovSkip(
    "CKV_K8S_40",
    "runs as uid 999, the user the official image is built for and that owns its data; the pod shares no host "
    "namespace or path, so a host user with that uid gains nothing",
)


def pod_security_labels(enforce: str) -> dict[str, str]:
    """Namespace labels by which the cluster itself refuses any pod below `enforce`, whoever creates it; audit and warn
    stay at restricted, so an exception (see WorkerLogs) is still named on every apply and in the audit log."""
    return {
        "pod-security.kubernetes.io/enforce": enforce,
        "pod-security.kubernetes.io/enforce-version": "latest",
        "pod-security.kubernetes.io/audit": "restricted",
        "pod-security.kubernetes.io/warn": "restricted",
    }


def namespace(
    logical_name: str, name: str, component: str, opts: pulumi.ResourceOptions, enforce: str = "restricted"
) -> k8s.core.v1.Namespace:
    """A namespace of this product, enforcing the Pod Security level `enforce`."""
    return k8s.core.v1.Namespace(
        logical_name,
        metadata=k8s.meta.v1.ObjectMetaArgs(name=name, labels={**labels(component), **pod_security_labels(enforce)}),
        opts=opts,
    )


def service_account(
    logical_name: str, name: str, namespace: pulumi.Input[str], component: str, parent: pulumi.Resource
) -> k8s.core.v1.ServiceAccount:
    """A component's own identity, with no API token mounted: none of these processes talks to the Kubernetes API."""
    return k8s.core.v1.ServiceAccount(
        logical_name,
        metadata=object_meta(name, namespace, component),
        automount_service_account_token=False,
        opts=pulumi.ResourceOptions(parent=parent),
    )


def container_security(run_as_user: int | None = None, run_as_group: int | None = None) -> k8s.core.v1.SecurityContextArgs:
    """The restricted Pod Security profile and a read-only root filesystem."""
    return k8s.core.v1.SecurityContextArgs(
        run_as_non_root=True,
        run_as_user=run_as_user,
        run_as_group=run_as_group,
        allow_privilege_escalation=False,
        privileged=False,
        read_only_root_filesystem=True,
        capabilities=k8s.core.v1.CapabilitiesArgs(drop=["ALL"]),
        seccomp_profile=k8s.core.v1.SeccompProfileArgs(type="RuntimeDefault"),
    )


def pod_security(run_as_user: int, run_as_group: int, fs_group: int | None = None) -> k8s.core.v1.PodSecurityContextArgs:
    return k8s.core.v1.PodSecurityContextArgs(
        run_as_non_root=True,
        run_as_user=run_as_user,
        run_as_group=run_as_group,
        fs_group=fs_group,
        # Only chown a volume when its root does not already match, so restarts of pods with big log volumes stay fast.
        fs_group_change_policy="OnRootMismatch" if fs_group is not None else None,
        seccomp_profile=k8s.core.v1.SeccompProfileArgs(type="RuntimeDefault"),
    )


def resource_requirements(resources: Resources) -> k8s.core.v1.ResourceRequirementsArgs:
    return k8s.core.v1.ResourceRequirementsArgs(
        requests={"cpu": resources.cpu_request, "memory": resources.memory_request},
        limits={"cpu": resources.cpu_limit, "memory": resources.memory_limit},
    )


def exec_probe(
    command: list[str], *, period: int, timeout: int, failures: int, initial_delay: int = 0
) -> k8s.core.v1.ProbeArgs:
    return k8s.core.v1.ProbeArgs(
        exec_=k8s.core.v1.ExecActionArgs(command=command),
        period_seconds=period,
        timeout_seconds=timeout,
        failure_threshold=failures,
        initial_delay_seconds=initial_delay or None,
    )


SCRATCH_SIZE = "256Mi"
"""What a writable directory may hold unless its caller says otherwise: runtime files and a process's temporary files."""


def writable_dir(
    name: str, mount_path: str, size_limit: str = SCRATCH_SIZE
) -> tuple[k8s.core.v1.VolumeArgs, k8s.core.v1.VolumeMountArgs]:
    """An emptyDir for a path a process must write under a read-only root filesystem."""
    return (
        k8s.core.v1.VolumeArgs(name=name, empty_dir=k8s.core.v1.EmptyDirVolumeSourceArgs(size_limit=size_limit)),
        k8s.core.v1.VolumeMountArgs(name=name, mount_path=mount_path),
    )


@dataclass(frozen=True)
class PodAddons:
    """What a component adds to the pods of another: the way GitSync and WorkerLogs reach the Airflow pods.

    `mounts` and `env` go into each Airflow container; `init_containers` and `sidecars` run beside them.
    """

    volumes: list[k8s.core.v1.VolumeArgs] = field(default_factory=list)
    mounts: list[k8s.core.v1.VolumeMountArgs] = field(default_factory=list)
    env: list[k8s.core.v1.EnvVarArgs] = field(default_factory=list)
    init_containers: list[k8s.core.v1.ContainerArgs] = field(default_factory=list)
    sidecars: list[k8s.core.v1.ContainerArgs] = field(default_factory=list)

    def __add__(self, other: PodAddons) -> PodAddons:
        return PodAddons(
            volumes=self.volumes + other.volumes,
            mounts=self.mounts + other.mounts,
            env=self.env + other.env,
            init_containers=self.init_containers + other.init_containers,
            sidecars=self.sidecars + other.sidecars,
        )


def secret_env(name: str, secret_name: pulumi.Input[str], key: str) -> k8s.core.v1.EnvVarArgs:
    """An environment variable read from a Secret's key: the value is never written in the pod spec."""
    return k8s.core.v1.EnvVarArgs(
        name=name,
        value_from=k8s.core.v1.EnvVarSourceArgs(
            secret_key_ref=k8s.core.v1.SecretKeySelectorArgs(name=secret_name, key=key)
        ),
    )


def secret_volume(name: str, secret_name: pulumi.Input[str]) -> k8s.core.v1.VolumeArgs:
    """A Secret as files readable by the pod's user and group (fsGroup) only."""
    return k8s.core.v1.VolumeArgs(
        name=name, secret=k8s.core.v1.SecretVolumeSourceArgs(secret_name=secret_name, default_mode=0o440)
    )


# A run missed while the controller was down (a cluster upgrade) still starts within this; later, the next one does.
CRON_STARTING_DEADLINE_SECONDS = 3600


def cron_job_spec(schedule: str, job: k8s.batch.v1.JobSpecArgs, suspend: bool = False) -> k8s.batch.v1.CronJobSpecArgs:
    """A CronJob of this product: its schedule in UTC whatever the controller's time zone, one run at a time, the
    last three successful and failed Jobs (and their pods' logs) kept for inspection."""
    return k8s.batch.v1.CronJobSpecArgs(
        schedule=schedule,
        time_zone="Etc/UTC",
        suspend=suspend,
        concurrency_policy="Forbid",
        starting_deadline_seconds=CRON_STARTING_DEADLINE_SECONDS,
        successful_jobs_history_limit=3,
        failed_jobs_history_limit=3,
        job_template=k8s.batch.v1.JobTemplateSpecArgs(spec=job),
    )


# Domain separation: the digest's key is also Airflow's API secret key, which signs other things with HMAC.
SECRETS_DIGEST_CONTEXT = b"airflow.pulumi.io/secrets-digest\n"


def secrets_digest(data: Mapping[str, pulumi.Input[str]], key: pulumi.Input[str]) -> pulumi.Output[str]:
    """HMAC-SHA256 of the Secret's data (sorted by key), as hex, and not secret.

    Keyed with a generated secret, the digest tells nothing about the values, not even whether a guessed database URL
    is the right one; so it is unsecreted, and a preview shows which pods restart and that the migration Job re-runs.
    """

    def digest(values: list[Any]) -> str:
        key_value, data_values = values
        message = json.dumps(data_values, sort_keys=True, separators=(",", ":"))
        return hmac.new(str(key_value).encode(), SECRETS_DIGEST_CONTEXT + message.encode(), hashlib.sha256).hexdigest()

    return pulumi.Output.unsecret(pulumi.Output.all(key, pulumi.Output.from_input(dict(data))).apply(digest))


SKIP_AWAIT = {"pulumi.com/skipAwait": "true"}


def skip_await_transformation(args: pulumi.ResourceTransformationArgs) -> pulumi.ResourceTransformationResult | None:
    """Adds pulumi.com/skipAwait to every Kubernetes object: for test API servers where no pod ever becomes ready.

    Every object of this program passes its metadata as ObjectMetaArgs (tests/test_stack.py fails on one without).
    Nothing else does: not a Helm release, which has none and awaits its chart itself, nor a lookup of an existing
    object, which creates nothing to await, nor any resource that is not Kubernetes'; they are left alone."""
    metadata = args.props.get("metadata")
    if not isinstance(metadata, k8s.meta.v1.ObjectMetaArgs):
        return None
    metadata.annotations = {**(metadata.annotations or {}), **SKIP_AWAIT}  # type: ignore[dict-item]
    return pulumi.ResourceTransformationResult(args.props, args.opts)


# The Kubernetes provider's annotation that makes a server-side apply take over fields another manager owns.
PATCH_FORCE = {"pulumi.com/patchForce": "true"}
STATEFULSET = "kubernetes:apps/v1:StatefulSet"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"


def replica_count_owner(workload_type: str, component: str, autoscaled: bool) -> pulumi.ResourceTransformation:
    """For AirflowCore's options: who sets the replica count of one workload (by Pulumi type and component label)
    after its creation: the worker StatefulSet's (KEDA), the api-server Deployment's (an HPA).

    Autoscaled, the autoscaler (KEDA's or the HPA): the count is left out of every later update, so `pulumi up` never
    resets the count it chose and no preview shows that as a change. Not autoscaled, the stack: the update forces
    its count past the field ownership that an autoscaler took through the scale subresource, which a plain
    server-side apply refuses as a conflict once autoscaling is turned off (the real API server does,
    e2e/test_airflow.py)."""

    def transformation(args: pulumi.ResourceTransformationArgs) -> pulumi.ResourceTransformationResult | None:
        if args.type_ != workload_type:
            return None
        metadata = args.props.get("metadata")
        if not isinstance(metadata, k8s.meta.v1.ObjectMetaArgs):
            return None
        labels = metadata.labels
        if not isinstance(labels, dict) or labels.get(COMPONENT_LABEL) != component:
            return None
        metadata.annotations = {**(metadata.annotations or {}), **PATCH_FORCE}  # type: ignore[dict-item]
        if not autoscaled:
            return pulumi.ResourceTransformationResult(args.props, args.opts)
        ignored = pulumi.ResourceOptions(ignore_changes=["spec.replicas"])
        return pulumi.ResourceTransformationResult(args.props, pulumi.ResourceOptions.merge(args.opts, ignored))

    return transformation
