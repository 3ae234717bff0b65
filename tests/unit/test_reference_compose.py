"""compose/ is the renderer's output: any drift fails here."""

from __future__ import annotations

from pathlib import Path

import pytest

from stackctl.reference import PLACEHOLDER, REFERENCE_DIR, render_reference

pytestmark = pytest.mark.unit

HAND_WRITTEN = {"redis/node-start-env.sh", "README.md"}


def test_compose_dir_matches_the_renderer(tmp_path: Path) -> None:
    written = render_reference(tmp_path)
    fresh = {p.relative_to(tmp_path).as_posix(): p.read_text() for p in written}
    committed = {p.relative_to(REFERENCE_DIR).as_posix(): p.read_text()
                 for p in REFERENCE_DIR.rglob("*") if p.is_file()
                 and p.relative_to(REFERENCE_DIR).as_posix() not in HAND_WRITTEN
                 and p.name != ".env"}
    assert sorted(committed) == sorted(fresh), "run `stackctl render --format reference`"
    for name, text in fresh.items():
        assert committed[name] == text, f"compose/{name} drifted: re-render it"


def test_reference_holds_no_secret(tmp_path: Path) -> None:
    for path in render_reference(tmp_path):
        text = path.read_text()
        assert "password" not in text.lower() or PLACEHOLDER in text or "PASSWORD" in text
    compose = (tmp_path / "compose.yaml").read_text()
    assert "${REDIS_PASSWORD:?" in compose and "${GATEWAY_SECRET:?" in compose
    assert '"internal": true' in compose
    assert "127.0.0.1:${GATEWAY_PORT:-8080}:8080" in compose
