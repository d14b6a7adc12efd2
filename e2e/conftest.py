"""Fixtures of the e2e tier: the toolchain from the cache, a loopback cluster per session, and the
Pulumi CLI in a temporary home. A test whose binaries are not in the cache skips and names them."""

from __future__ import annotations

from pathlib import Path

import kube
import pytest
from cluster import Cluster
from layout import BIN, CERT_MANAGER_CRDS, VERSIONS
from pulumi_cli import Pulumi

CLUSTER_BINARIES = ("etcd", "kube-apiserver", "kube-controller-manager")
PULUMI_BINARIES = ("pulumi", "pulumi-language-python", "pulumi-language-python-exec",
                   "pulumi-resource-kubernetes", "pulumi-resource-random")


def require_binaries(names) -> None:
    missing = [n for n in names if not (BIN / n).is_file()]
    if missing:
        pytest.skip(f"the e2e toolchain in {BIN} lacks {', '.join(missing)}: run `make toolchain`")


@pytest.fixture(scope="session")
def cluster(tmp_path_factory):
    require_binaries(CLUSTER_BINARIES)
    c = Cluster(BIN, tmp_path_factory.mktemp("cluster"))
    try:
        try:
            c.start()
        except Exception as e:
            pytest.fail(f"the e2e cluster did not start: {e}\n{c.logs()}")
        api = kube.api_client(c.kubeconfig)
        kube.install_fake_cert_manager(api, CERT_MANAGER_CRDS)
        kube.install_fake_ingress_controller(api)
        yield c
    finally:
        c.stop()


@pytest.fixture(scope="session")
def api(cluster):
    return kube.api_client(cluster.kubeconfig)


@pytest.fixture(scope="session")
def objects(api):
    return kube.Objects(api)


@pytest.fixture(scope="session")
def pulumi_factory(cluster, tmp_path_factory):
    """Makes a Pulumi CLI logged in to a fresh file backend, for a project directory."""
    require_binaries(PULUMI_BINARIES)

    def make(project_dir: Path) -> Pulumi:
        p = Pulumi(BIN, tmp_path_factory.mktemp("pulumi-home"), project_dir, cluster.kubeconfig)
        # test_harness checks that these are the versions the SDKs in .venv ask for.
        p.setup({"kubernetes": VERSIONS["PULUMI_KUBERNETES_VERSION"], "random": VERSIONS["PULUMI_RANDOM_VERSION"]})
        return p

    return make
