"""The static assets are package data: every one the code needs is reachable through
`stackctl.assets`, the wheel carries all of them, and no module finds files by path."""

from __future__ import annotations

import glob
import re
import tomllib
from pathlib import Path

import pytest

import stackctl
from stackctl import assets, versions
from stackctl.cluster.redis_conf import SCRIPTS
from stackctl.errors import ConfigError
from stackctl.render.tyk import gateway_assets

pytestmark = pytest.mark.unit

PACKAGE_DIR = Path(stackctl.__file__).parent
PATH_ARITHMETIC = re.compile(r"__file__|\.parents\[|\bSTACK_ASSETS\b|STACKCTL_RECIPES|"
                             r"[\"']stack[\"']\s*/|/\s*[\"']stack[\"']")


def test_every_asset_the_code_needs_is_reachable() -> None:
    for name in SCRIPTS:
        assert assets.read_text(*assets.REDIS_SCRIPTS, name).strip(), name
    assert "response" in assets.read_text(*assets.WRK_SCRIPT)
    assert assets.names(*assets.TYK_APPS, suffix=".json")
    assert assets.asset(*assets.TYK_POLICIES).is_dir()
    for name in versions.BUILDABLE:
        recipe = versions.image(name).recipe
        assert "Dockerfile" in assets.walk(*assets.IMAGE_RECIPES, recipe), name
    assert "Dockerfile" in assets.walk(*assets.TEST_RECIPES, "shardcount-gate-gateway")


def test_a_missing_asset_is_one_config_error_line() -> None:
    with pytest.raises(ConfigError) as err:
        assets.read_text("redis", "nope.sh")
    assert str(err.value).startswith("stack/redis/nope.sh: cannot be read")
    assert "\n" not in str(err.value)
    with pytest.raises(ConfigError, match="stack/nope: is not a folder"):
        assets.walk("nope")


def test_no_module_reaches_the_repository_by_path() -> None:
    offenders = [f"{path.relative_to(PACKAGE_DIR)}:{n}: {line.strip()}"
                 for path in sorted(PACKAGE_DIR.rglob("*.py")) if path.name != "assets.py"
                 for n, line in enumerate(path.read_text().splitlines(), 1)
                 if PATH_ARITHMETIC.search(line.split("#", 1)[0])]
    assert offenders == []


def test_the_wheel_carries_every_asset_file() -> None:
    """pyproject's package-data globs cover all of stack/, so an installed wheel has the
    same recipe files (and image digests) as the checkout."""
    checkout = assets.checkout()
    if checkout is None:
        pytest.skip("installed from a wheel: no stack/ to compare with")
    config = tomllib.loads((checkout / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert config["package-dir"][assets.PACKAGE] == "stack"
    root = checkout / "stack"
    shipped = {m for pattern in config["package-data"][assets.PACKAGE]
               for m in glob.glob(pattern, root_dir=root, recursive=True)
               if (root / m).is_file()}
    assert shipped == set(assets.walk()) - {"__init__.py"}


def test_copy_tree_mirrors_a_folder(tmp_path: Path) -> None:
    target = tmp_path / "redis"
    (target / "old.sh").parent.mkdir(parents=True)
    (target / "old.sh").write_text("stale")
    assets.copy_tree(target, *assets.REDIS_SCRIPTS, mode=0o755)
    assert sorted(p.name for p in target.iterdir()) == sorted(SCRIPTS)
    assert (target / "lib.sh").stat().st_mode & 0o777 == 0o755
    inode = (target / "lib.sh").stat().st_ino
    assets.copy_tree(target, *assets.REDIS_SCRIPTS, mode=0o755)
    assert (target / "lib.sh").stat().st_ino == inode  # unchanged files are not rewritten


def test_as_directory_is_a_real_folder() -> None:
    with assets.as_directory(*assets.IMAGE_RECIPES) as recipes:
        assert (recipes / "base" / "Dockerfile").is_file()


def test_gateway_assets_live_in_the_state_dir(tmp_path: Path) -> None:
    apps, policies = gateway_assets(tmp_path / "gateway")
    name = assets.names(*assets.TYK_APPS, suffix=".json")[0]
    assert (apps / name).read_bytes() == assets.read_bytes(*assets.TYK_APPS, name)
    (apps / name).write_text("{}")  # the gateway API's own edit is kept
    assert gateway_assets(tmp_path / "gateway") == (apps, policies)
    assert (apps / name).read_text() == "{}"
    assert policies == tmp_path / "gateway" / "policies" and policies.is_dir()


def test_reference_needs_a_checkout_or_out(monkeypatch: pytest.MonkeyPatch) -> None:
    from stackctl.render import reference

    monkeypatch.setattr(reference, "REFERENCE_DIR", None)
    with pytest.raises(ConfigError, match=r"^--out: .*pass --out DIR$"):
        reference.render_reference()
