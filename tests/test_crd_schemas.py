"""Third-party CRD schemas come from their release's Go module, pinned by hash, installed into the repository."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools import crd_schemas
from tools.crd_schemas import CrdSet

CERT_MANAGER = crd_schemas.CRD_SETS["cert-manager-v1.21.1"]


@pytest.fixture
def schemas_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(crd_schemas, "SCHEMAS_DIR", tmp_path)
    return tmp_path


def test_should_install_the_release_files_and_stamp_them_with_their_source(schemas_dir: Path) -> None:
    assert crd_schemas.main(["--check"]) == 1
    assert crd_schemas.main([]) == 0
    installed = schemas_dir / "cert-manager-v1.21.1"
    assert (installed / ".source").read_text() == (
        "github.com/cert-manager/cert-manager@v1.21.1 h1:0LttV37Q5c2CBNoHkjuI8sLKTXWZDC2SwQkxrBMKV9w=\n"
    )
    assert "name: clusterissuers.cert-manager.io" in (installed / "cert-manager.io_clusterissuers.yaml").read_text()
    assert not (installed / "README.md").exists(), "only the CRD manifests"
    assert crd_schemas.main(["--check"]) == 0


def test_should_reinstall_a_set_whose_stamp_names_another_source(schemas_dir: Path) -> None:
    stale = schemas_dir / "cert-manager-v1.21.1"
    stale.mkdir()
    (stale / ".source").write_text("github.com/cert-manager/cert-manager@v1.20.0 h1:old\n")
    (stale / "leftover.yaml").write_text("kind: CustomResourceDefinition\n")
    assert crd_schemas.main([]) == 0
    assert crd_schemas.is_current("cert-manager-v1.21.1")
    assert not (stale / "leftover.yaml").exists()


def test_should_refuse_a_module_whose_hash_is_not_the_pinned_one(schemas_dir: Path) -> None:
    tampered = CrdSet(CERT_MANAGER.module, CERT_MANAGER.version, "h1:AAAA", CERT_MANAGER.directory)
    with pytest.raises(RuntimeError, match=r"has hash h1:0LttV37Q5c2CBNoHkjuI8sLKTXWZDC2SwQkxrBMKV9w=, but h1:AAAA is pinned"):
        crd_schemas.download(tampered)


def test_should_say_that_go_is_needed_when_it_is_missing(schemas_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(schemas_dir))
    with pytest.raises(RuntimeError, match=r"the Go toolchain is needed to download github\.com/cert-manager/cert-manager"):
        crd_schemas.download(CERT_MANAGER)
