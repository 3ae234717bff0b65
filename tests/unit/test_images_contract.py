"""The contract check on recorded facts: the old root-and-bash gateway recipe fails it, the
shell-less one passes, and each kind of drift is named (fixtures: tests/unit/fixtures/
images/README.md)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from stackctl import versions
from stackctl.images.contract import (
    CONTRACT_OF,
    CONTRACTS,
    GATEWAY,
    Facts,
    check,
    local_subjects,
)
from stackctl.runtime.image_files import ImageFile

pytestmark = pytest.mark.unit

FIXTURES = Path(__file__).parent / "fixtures" / "images"


def _facts(name: str) -> Facts:
    return Facts.from_dict(json.loads((FIXTURES / name).read_text()))


def test_old_recipe_runs_as_root_with_a_shell() -> None:
    found = check(GATEWAY, _facts("old-gateway-facts.json"))
    assert found[0] == "runs as root (contract: 65532:65532)"
    assert "has a shell: /bin/sh (contract: no shell, no coreutils)" in found
    assert "has a shell: /bin/bash (contract: no shell, no coreutils)" in found
    assert "has a command: /bin/cat (contract: no shell, no coreutils)" in found
    assert "/opt/tyk-gateway/middleware: mode 0755 (contract: 0777)" in found
    assert "/opt/tyk-gateway/middleware/bundles: missing (contract: dir)" in found


def test_shell_less_recipe_keeps_the_contract() -> None:
    assert check(GATEWAY, _facts("gateway-facts.json")) == []


def _with(facts: Facts, **files: ImageFile) -> Facts:
    return dataclasses.replace(facts, files={**facts.files, **files})


def test_each_drift_is_named() -> None:
    good = _facts("gateway-facts.json")
    conf = good.files["/opt/tyk-gateway/tyk.conf"]
    cases = {
        "runs as 1000:1000 (contract: 65532:65532)": dataclasses.replace(good, user=(1000, 1000)),
        "workdir /opt (contract: /opt/tyk-gateway/)": dataclasses.replace(good, workdir="/opt"),
        "cmd [] (contract: ['--conf=/opt/tyk-gateway/tyk.conf'])":
            dataclasses.replace(good, cmd=()),
        "has a shell: /bin/sh (contract: no shell, no coreutils)": _with(
            good, **{"/usr/bin": ImageFile("/usr/bin", 0, 0, 0o755, "dir"),
                     "/bin": ImageFile("/bin", 0, 0, 0o777, "link", "usr/bin"),
                     "/usr/bin/sh": ImageFile("/usr/bin/sh", 0, 0, 0o777, "link", "dash"),
                     "/usr/bin/dash": ImageFile("/usr/bin/dash", 0, 0, 0o755, "file")}),
        "/opt/tyk-gateway/tyk.conf: mode 0600 is not world-readable (contract: a+rX below "
        "/opt/tyk-gateway)": _with(good, **{conf.path: dataclasses.replace(conf, mode=0o600)}),
        "/opt/tyk-gateway/tyk.conf: owned by 65532:65532 (contract: 0:0)": _with(
            good, **{conf.path: dataclasses.replace(conf, uid=65532, gid=65532)}),
    }
    for line, facts in cases.items():
        assert line in check(GATEWAY, facts), line


def test_a_symlink_to_a_shell_counts_and_a_dangling_one_does_not() -> None:
    good = _facts("gateway-facts.json")
    dangling = _with(good, **{"/usr/local/bin": ImageFile("/usr/local/bin", 0, 0, 0o755, "dir"),
                              "/usr/local/bin/sh": ImageFile("/usr/local/bin/sh", 0, 0, 0o777,
                                                             "link", "/nowhere/sh")})
    assert check(GATEWAY, dangling) == []


def test_every_local_tyk_and_redis_image_has_its_contract() -> None:
    refs = dict(local_subjects())
    for name in ("tyk-gateway", "tyk-gateway-as-released", "tyk-pump", "redis"):
        assert refs[versions.image(name).local] is CONTRACT_OF[name]
    for contract in CONTRACTS:
        assert contract.source, contract.image
        assert contract.shell or contract.uid != 0, contract.image  # shell-less => non-root


def test_facts_round_trip_through_json() -> None:
    facts = _facts("gateway-facts.json")
    assert Facts.from_dict(json.loads(json.dumps(facts.as_dict()))) == facts


def test_shardcount_double_defaults_to_our_base_for_its_shell() -> None:
    recipe = (Path(__file__).resolve().parents[2] / "stack" / "test-images"
              / "shardcount-gate-gateway" / "Dockerfile").read_text()
    assert f"ARG SHELL_BASE={versions.BASE_IMAGE}\n" in recipe
    assert "USER 65532:65532" in recipe
