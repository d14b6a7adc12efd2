"""Fixtures of the e2e tier: the toolchain from the cache, a loopback cluster per session (and one for a module
that needs its own), and the Pulumi CLI in a temporary home. A test whose binaries are not in the cache skips and names them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import kube
import pytest
from cluster import Cluster
from layout import BIN, CRD_SETS, VENV
from pulumi_cli import Pulumi, install_language_host

CLUSTER_BINARIES = ("etcd", "kube-apiserver", "kube-controller-manager")
PULUMI_BINARIES = ("pulumi", "pulumi-resource-kubernetes", "pulumi-resource-random")


def require_binaries(names) -> None:
    missing = [n for n in names if not (BIN / n).is_file()]
    if missing:
        pytest.skip(f"the e2e toolchain in {BIN} lacks {', '.join(missing)}: run `make toolchain`")


@contextmanager
def started_cluster(work_dir: Path) -> Iterator[Cluster]:
    """A loopback cluster with the third-party CRDs and the stand-ins for an installed cert-manager and ingress-nginx,
    stopped on exit."""
    require_binaries(CLUSTER_BINARIES)
    c = Cluster(BIN, work_dir)

    def install_fakes(kubeconfig: Path) -> None:
        api = kube.api_client(kubeconfig)
        kube.install_crds(api, CRD_SETS)
        kube.install_fake_cert_manager(api)
        kube.install_fake_ingress_controller(api)

    try:
        try:
            c.start(before_controllers=install_fakes)
        except Exception as e:
            pytest.fail(f"the e2e cluster did not start: {e}\n{c.logs()}")
        yield c
    finally:
        c.stop()


@pytest.fixture(scope="session")
def cluster(tmp_path_factory):
    with started_cluster(tmp_path_factory.mktemp("cluster")) as c:
        yield c


@pytest.fixture(scope="module")
def own_cluster(tmp_path_factory):
    """A cluster for one module alone, for a module that leaves behind what would disturb the others (the
    acceptance tier ends with what `pulumi destroy` keeps, in the namespace the engine tier deploys to)."""
    with started_cluster(tmp_path_factory.mktemp("own-cluster")) as c:
        yield c


FIGURES = pytest.StashKey[list[str]]()


@pytest.fixture(scope="session")
def figures(request) -> list[str]:
    """Lines a test appends to report what it measured (counts of objects checked); printed after the results."""
    return request.config.stash.setdefault(FIGURES, [])


def pytest_terminal_summary(terminalreporter, config) -> None:
    lines = config.stash.get(FIGURES, [])
    if lines:
        terminalreporter.section("e2e figures")
        for line in lines:
            terminalreporter.write_line(line)


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
    language_host = install_language_host(tmp_path_factory.mktemp("language-host"), VENV)

    def make(project_dir: Path) -> Pulumi:
        p = Pulumi(BIN, language_host, tmp_path_factory.mktemp("pulumi-home"), project_dir, cluster.kubeconfig)
        p.setup()
        return p

    return make
