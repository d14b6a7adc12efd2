"""The helpers every component builds its Kubernetes objects with, where the program's objects do not show them."""

from __future__ import annotations

import pytest

from components.kube import CheckovSkip, checkov_skips


def test_should_number_checkov_skips_in_annotations_from_one() -> None:
    skips = checkov_skips(CheckovSkip("CKV_K8S_8", "no probe"), CheckovSkip("CKV_K8S_9", "no port"))
    assert skips == {"checkov.io/skip1": "CKV_K8S_8=no probe", "checkov.io/skip2": "CKV_K8S_9=no port"}


def test_should_refuse_a_checkov_skip_reason_holding_the_separator() -> None:
    """checkov splits the annotation's value at '=': the rest of such a reason would be lost, or the skip misread."""
    with pytest.raises(ValueError, match=r"^a checkov skip reason must not contain '='$"):
        checkov_skips(CheckovSkip("CKV_K8S_8", "probe=none"))
