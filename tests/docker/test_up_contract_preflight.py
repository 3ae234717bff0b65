"""`stackctl up` under the official images' contract refuses, before anything starts, what
would stop a Tyk container later: an override image whose user cannot be found or cannot
read its own files, a TLS file named in the settings that is missing (named before any
image check), and official images that cannot be pulled (no registry here). One line,
exit 2, no container, no network."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from stackctl import versions
from stackctl.runtime.images import build_image, remove_image
from stackenv import project_objects, stack_env, stackctl

pytestmark = pytest.mark.docker

SUBNETS = ("172.31.176.0/24", "172.31.177.0/24")
NO_USER = "stackctl/test-contract-no-user:1"
CLOSED = "stackctl/test-contract-closed:1"
RECIPES = {
    NO_USER: "USER nosuchuser\n",
    # the gateway's layout, its binary and templates closed to anyone but root
    CLOSED: ("RUN mkdir -p /opt/tyk-gateway/templates && touch /opt/tyk-gateway/tyk && "
             "chmod 0700 /opt/tyk-gateway/tyk /opt/tyk-gateway/templates\nUSER 65532\n"),
}


@pytest.fixture(scope="module")
def images(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    for tag, body in RECIPES.items():
        context = tmp_path_factory.mktemp("recipe")
        (context / "Dockerfile").write_text(f"FROM {versions.image('base').local}\n{body}")
        build_image(context, tag, {}, {"io.stackctl.test-double": "contract-preflight"})
    try:
        yield
    finally:
        for tag in RECIPES:
            remove_image(tag)


def refused(tmp_path: Path, project: str, *args: str, **extra: str) -> str:
    env = stack_env(project, *SUBNETS, **extra)
    out = stackctl(tmp_path, env, "up", "--no-smoke", *args, timeout=120)
    assert out.returncode == 2, out.stdout + out.stderr
    # the progress view shows the failed step; the error itself is one line, the last
    last = out.stderr.strip().splitlines()[-1]
    assert last.startswith("stackctl: error: preflight: "), out.stderr
    assert project_objects(project) == []
    return last


def test_override_whose_user_is_not_in_its_passwd(tmp_path: Path, images: None) -> None:
    line = refused(tmp_path, "stackctl-test-contract-user", STACKCTL_IMAGES__GATEWAY=NO_USER)
    assert f"images.gateway: {NO_USER}: its user cannot be found" in line
    assert "nosuchuser" in line and "USER" in line


def test_override_whose_user_cannot_read_its_files(tmp_path: Path, images: None) -> None:
    line = refused(tmp_path, "stackctl-test-contract-closed", STACKCTL_IMAGES__GATEWAY=CLOSED)
    assert f"images.gateway: {CLOSED}: its user 65532 cannot use" in line
    assert "/opt/tyk-gateway/templates (cannot read)" in line
    assert "/opt/tyk-gateway/tyk (cannot run)" in line and "chmod -R a+rX" in line


def test_missing_ca_file_is_named_before_the_images(tmp_path: Path) -> None:
    # also an absent gateway image: the CA file is what the line names
    line = refused(tmp_path, "stackctl-test-contract-ca",
                   STACKCTL_REDIS__MODE="external", STACKCTL_REDIS__EXTERNAL__NETWORK="none",
                   STACKCTL_REDIS__EXTERNAL__ADDRS='["cfg:6379"]',
                   STACKCTL_REDIS__EXTERNAL__TLS="tls",
                   STACKCTL_REDIS__EXTERNAL__CA_FILE=str(tmp_path / "missing-ca.crt"),
                   STACKCTL_IMAGES__GATEWAY="stackctl/does-not-exist:1")
    assert "redis.external.ca_file:" in line and "missing-ca.crt does not exist" in line
    assert "not present" not in line and "does-not-exist" not in line


def test_no_registry_names_the_images_and_offline(tmp_path: Path) -> None:
    started = time.monotonic()
    line = refused(tmp_path, "stackctl-test-contract-pull", "--official")
    took = time.monotonic() - started
    official = versions.image("tyk-gateway").official
    assert official is not None and official in line and "--offline" in line
    assert "cannot pull" in line
    assert took < 60, took  # an unreachable registry answers at once here


def test_no_pull_refuses_listing_them(tmp_path: Path) -> None:
    line = refused(tmp_path, "stackctl-test-contract-nopull", "--official", "--no-pull")
    official = versions.image("tyk-gateway").official
    assert official is not None and official in line and "without --no-pull" in line
