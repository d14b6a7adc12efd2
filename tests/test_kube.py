"""The helpers every component builds its Kubernetes objects with, where the program's objects do not show them."""

from __future__ import annotations

import pulumi_kubernetes as k8s
import pytest

from components.kube import CheckovSkip, PodAddons, checkov_skips, pod_security


def test_should_number_checkov_skips_in_annotations_from_one() -> None:
    skips = checkov_skips(CheckovSkip("CKV_K8S_8", "no probe"), CheckovSkip("CKV_K8S_9", "no port"))
    assert skips == {"checkov.io/skip1": "CKV_K8S_8=no probe", "checkov.io/skip2": "CKV_K8S_9=no port"}


def test_should_refuse_a_checkov_skip_reason_holding_the_separator() -> None:
    """checkov splits the annotation's value at '=': the rest of such a reason would be lost, or the skip misread."""
    with pytest.raises(ValueError, match=r"^a checkov skip reason must not contain '='$"):
        checkov_skips(CheckovSkip("CKV_K8S_8", "probe=none"))


def test_should_add_pod_addons_field_by_field_keeping_the_order() -> None:
    """How git-sync's and the worker logs' additions to a pod combine: nothing of either is lost."""

    def addons(tag: str) -> PodAddons:
        return PodAddons(
            volumes=[k8s.core.v1.VolumeArgs(name=f"{tag}-volume")],
            mounts=[k8s.core.v1.VolumeMountArgs(name=f"{tag}-volume", mount_path=f"/{tag}")],
            env=[k8s.core.v1.EnvVarArgs(name=f"{tag.upper()}_ENV", value=tag)],
            init_containers=[k8s.core.v1.ContainerArgs(name=f"{tag}-init")],
            sidecars=[k8s.core.v1.ContainerArgs(name=f"{tag}-sidecar")],
        )

    combined = addons("first") + addons("second")
    assert {
        "volumes": [volume.name for volume in combined.volumes],
        "mounts": [(mount.name, mount.mount_path) for mount in combined.mounts],
        "env": [(variable.name, variable.value) for variable in combined.env],
        "init_containers": [container.name for container in combined.init_containers],
        "sidecars": [container.name for container in combined.sidecars],
    } == {
        "volumes": ["first-volume", "second-volume"],
        "mounts": [("first-volume", "/first"), ("second-volume", "/second")],
        "env": [("FIRST_ENV", "first"), ("SECOND_ENV", "second")],
        "init_containers": ["first-init", "second-init"],
        "sidecars": ["first-sidecar", "second-sidecar"],
    }


@pytest.mark.parametrize(("fs_group", "change_policy"), [(None, None), (999, "OnRootMismatch")])
def test_should_set_a_volume_ownership_policy_only_with_an_fs_group(fs_group: int | None, change_policy: str | None) -> None:
    """A pod without volumes to own (the metadata clean-up) gets neither; Kubernetes ignores a policy without a group."""
    security = pod_security(50000, 0, fs_group=fs_group)
    assert (security.run_as_non_root, security.run_as_user, security.run_as_group) == (True, 50000, 0)
    assert (security.fs_group, security.fs_group_change_policy) == (fs_group, change_policy)
    assert isinstance(security.seccomp_profile, k8s.core.v1.SeccompProfileArgs)
    assert security.seccomp_profile.type == "RuntimeDefault"
