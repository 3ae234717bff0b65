"""Every local image with an official equivalent keeps that image's runtime contract
(controller/stackctl/images/contract.py), read from the real images without running them;
and the dashboard contract double, built here from its recipe and removed."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from stackctl import versions
from stackctl.images.contract import DASHBOARD, Contract, local_subjects, violations
from stackctl.names import GO_MOD_LABEL, GO_REDIS_LABEL, RELEASE_LABEL, STORAGE_LABEL
from stackctl.runtime.image_files import image_files, image_user
from stackctl.runtime.images import build_image, image_exists, remove_image

pytestmark = pytest.mark.docker

DOUBLE_RECIPE = (Path(__file__).resolve().parents[2] / "stack" / "test-images"
                 / "dashboard-contract-double")
DOUBLE_TAG = f"stackctl/test-dashboard-contract-double:contract-{os.getpid()}"


def _present(ref: str) -> None:
    """Fail in CI (provisioning builds every image), skip elsewhere, when `ref` is absent."""
    if image_exists(ref):
        return
    message = f"{ref} missing; run `stackctl images build`"
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.mark.parametrize(("ref", "contract"), local_subjects(),
                         ids=[ref for ref, _ in local_subjects()])
def test_local_image_keeps_the_official_contract(ref: str, contract: Contract) -> None:
    _present(ref)
    assert violations(ref, contract) == []


@pytest.fixture(scope="module")
def double() -> Iterator[str]:
    _present(versions.BASE_IMAGE)
    build_image(DOUBLE_RECIPE, DOUBLE_TAG, {"BASE_IMAGE": versions.BASE_IMAGE},
                {"io.stackctl.test-double": "dashboard-contract-double"})
    try:
        yield DOUBLE_TAG
    finally:
        remove_image(DOUBLE_TAG)


def test_dashboard_double_runs_as_65532_without_a_shell(double: str) -> None:
    assert violations(double, DASHBOARD) == []
    assert image_user(double) == (65532, 65532)
    assert "/opt/stackctl-test/double.py" in image_files(double, ["/opt/stackctl-test"])


def test_tyk_images_carry_release_and_client_labels() -> None:
    from stackctl.runtime.images import image_facts

    for name in ("tyk-gateway", "tyk-gateway-as-released", "tyk-pump"):
        spec = versions.image(name)
        _present(spec.local)
        facts = image_facts(spec.local)
        assert facts is not None
        assert spec.module is not None
        assert facts.labels[RELEASE_LABEL] == spec.module.release
        assert facts.labels[GO_REDIS_LABEL].startswith("v9.")
    gateway = image_facts(versions.image("tyk-gateway").local)
    assert gateway is not None
    assert gateway.labels[GO_REDIS_LABEL] == "v9.13.0"
    assert gateway.labels[STORAGE_LABEL] == "v1.3.4"
    assert "github.com/redis/go-redis/v9 v9.7.0->v9.13.0" in gateway.labels[
        GO_MOD_LABEL]
    released = image_facts(versions.image("tyk-gateway-as-released").local)
    assert released is not None
    assert released.labels[GO_REDIS_LABEL] == "v9.7.0"
    assert GO_MOD_LABEL not in released.labels


def test_an_absent_image_is_one_line_naming_it() -> None:
    from stackctl.errors import ToolError

    with pytest.raises(ToolError, match=r"^image stackctl/absent:nope is not present: "):
        image_files("stackctl/absent:nope")
    with pytest.raises(ToolError, match=r"^image stackctl/absent:nope is not present: "):
        image_user("stackctl/absent:nope")
