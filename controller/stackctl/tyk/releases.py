"""Release numbers and the version ranges the tables attach to every name."""

from __future__ import annotations

import re
from dataclasses import dataclass

_RELEASE = re.compile(r"^v?(\d+)\.(\d+)(?:\.(\d+))?")

Release = tuple[int, int, int]


def parse(release: str) -> Release:
    """`v5.8.15` -> (5, 8, 15); a missing patch is 0. Raises ValueError on anything else."""
    match = _RELEASE.match(release.strip())
    if match is None:
        raise ValueError(f"not a release number: {release!r}")
    major, minor, patch = match.groups()
    return int(major), int(minor), int(patch or 0)


def looks_like_release(text: str) -> bool:
    """Whether `text` (e.g. an image tag) starts like a release number."""
    return _RELEASE.match(text.strip()) is not None


@dataclass(frozen=True)
class Range:
    """Releases `since`..`until`, both inclusive; None is open-ended. An `until` without a
    patch number (`v5.2`) covers that whole minor line."""

    since: str | None = None
    until: str | None = None

    def contains(self, release: str) -> bool:
        """Whether `release` falls in this range."""
        rel = parse(release)
        if self.since is not None and rel < parse(self.since):
            return False
        if self.until is None:
            return True
        if self.until.count(".") == 1:
            return rel[:2] <= parse(self.until)[:2]
        return rel <= parse(self.until)

    def describe(self) -> str:
        """Human form: `v5.3.0+`, `v2.3.2-v2.9.2`, `up to v2.9.2`, `all releases`."""
        if self.since and self.until:
            return f"{self.since}-{self.until}"
        if self.since:
            return f"{self.since}+"
        if self.until:
            return f"up to {self.until}"
        return "all releases"


ALWAYS = Range()
